"""How long `/gaps` takes to group a period's refused questions, by their number.

    python bench/gaps.py [--sizes 100 400 1600 3200]

Synthetic unit vectors of the embedder's width, ten paraphrases around each subject, all
of one kind of question (the worst case: one block for the clustering). Median of three
runs per size. Before SciPy's average linkage, 400 questions took 89 s on 2 cores: every
pair of groups was searched again after each merge.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import machine, median, table

from absatz.gaps import cluster


def questions(n: int, rng: np.random.Generator, dim: int = 384) -> np.ndarray:
    subjects = rng.normal(size=(max(n // 10, 1), dim))
    vectors = np.repeat(subjects, 10, axis=0)[:n] + 0.15 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400, 1600, 3200])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for n in args.sizes:
        vectors = questions(n, rng)
        times, groups = [], 0
        for _ in range(3):
            started = time.perf_counter()
            groups = len(cluster(vectors, ["other"] * n))
            times.append(time.perf_counter() - started)
        rows.append([n, n // 10, groups, f"{median(times):.3f}"])
    print(machine())
    print(table(["questions", "subjects", "groups found", "median s"], rows))


if __name__ == "__main__":
    main()
