"""Fit the answerability gate (absatz/answerability.py) and show what it buys.

    python bench/fit_answerability.py --workdir /tmp/gate [--cost 3] [--write]

The gate must learn what a question looks like when the corpus covers its story but not
its article. Each training set's articles are split in two halves, each half gets an
index of its own, and every question is asked of both: of the half that holds its
article (it must be answered) and of the other half (it must be refused). No question
or article of the development sets is used:

| family | questions | articles (two halves) |
|---|---|---|
| news | bench/data/train-questions.jsonl | 10kGNAD articles with id % 3 == 2, split by (id // 3) % 2 |
| xquad | XQuAD-de questions on the odd articles | XQuAD-de odd articles, split alternately |

(10kGNAD articles with id % 3 == 0 are held out for an evaluation this project never
sees; id % 3 == 1 and the even XQuAD-de articles are the development sets `absatz eval`
reports on.) Each question is asked in German and English. The gate only sees what the
margin lets through, and it can only refuse more.

The gate is fitted on one half's indexes and measured on the other's, both ways round
(the cross-validated rows), then fitted on everything. Per question language, its cut is
the log-odds that maximises refused unanswerable questions minus ``--cost`` times
refused answerable ones. With ``--write`` the weights go to
absatz/answerability_weights.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import DATA, ROOT, index_articles, machine, read_jsonl, require, table

from absatz.answer import read
from absatz.answerability import FEATURES, Gate
from absatz.query_tower import question_order
from vectorstore.embeddings import load_embedder
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings

EMBEDDER = "bundled:multilingual-e5-small"
LANGUAGES = (("de", "question"), ("en", "question_en"))


def _gnad_half(half: int):
    def pick(articles):
        ids = [(a, int(a.id.split("-")[1])) for a in articles]
        return [a for a, n in ids if n % 3 == 2 and (n // 3) % 2 == half]

    return pick


STORES = {
    # name: (family, questions file, articles file, which articles to index)
    "news-a": ("news", ROOT / "bench" / "data" / "train-questions.jsonl", DATA / "gnad10k", _gnad_half(0)),
    "news-b": ("news", ROOT / "bench" / "data" / "train-questions.jsonl", DATA / "gnad10k", _gnad_half(1)),
    "xquad-a": ("xquad", DATA / "xquad-de" / "questions.jsonl", DATA / "xquad-de", lambda a: a[1::2][0::2]),
    "xquad-b": ("xquad", DATA / "xquad-de" / "questions.jsonl", DATA / "xquad-de", lambda a: a[1::2][1::2]),
}


@dataclass
class Asked:
    """One question in one language asked of one index."""

    store: str
    family: str
    language: str
    answerable: bool  # the index holds its article
    row: np.ndarray | None  # the gate's signals; None when the margin already refuses


def asked(name: str, workdir: Path, embedder) -> list[Asked]:
    """Every question of the family asked of this index (cached under ``workdir``)."""
    cache = workdir / f"{name}.pickle"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    family, questions, folder, pick = STORES[name]
    settings = StoreSettings(chroma_path=workdir / name / "chroma")
    articles = index_articles(settings.chroma_path, folder / "articles.jsonl", pick, embedder)
    searcher = Searcher.open(settings, embedder, question_order)  # searched as answers search
    indexed = set(searcher.view().index.hashes)
    both_halves = {a.id for other, (f, *_, p) in STORES.items() if f == family for a in p(articles)}
    out = []
    for q in read_jsonl(require(questions)):
        if q.get("unanswerable") or q["article_id"] not in both_halves:
            continue
        for language, field in LANGUAGES:
            result = searcher.search(q[field], k=5)
            row = None
            if result.hits and result.evidence >= result.threshold:
                row = read(q[field], result, result.hits[:2]).signals
            out.append(Asked(name, family, language, q["article_id"] in indexed, row))
    cache.write_bytes(pickle.dumps(out))
    return out


def fit(rows: np.ndarray, labels: np.ndarray, l2: float = 1.0, iterations: int = 50) -> tuple[np.ndarray, float]:
    """L2-regularised logistic regression by Newton steps on standardised features;
    returns weights and bias for the raw features."""
    mean, std = rows.mean(axis=0), rows.std(axis=0) + 1e-9
    x = np.hstack([(rows - mean) / std, np.ones((len(rows), 1))])
    w = np.zeros(x.shape[1])
    penalty = np.diag([l2] * (x.shape[1] - 1) + [0.0])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(x @ w)))
        gradient = x.T @ (p - labels) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        w -= np.linalg.solve(hessian, gradient)
    weights = w[:-1] / std
    return weights, float(w[-1] - weights @ mean)


def best_cut(log_odds: np.ndarray, labels: np.ndarray, cost: float) -> float:
    """The cut (questions below it are refused) maximising refused unanswerable minus
    ``cost`` × refused answerable questions."""
    candidates = np.concatenate([[-np.inf], np.sort(log_odds)])
    gains = [np.sum((log_odds < c) & (labels == 0)) - cost * np.sum((log_odds < c) & (labels == 1)) for c in candidates]
    return float(candidates[int(np.argmax(gains))])


def train(examples: list[Asked], cost: float) -> Gate:
    passed = [a for a in examples if a.row is not None]
    rows = np.asarray([a.row for a in passed])
    labels = np.asarray([float(a.answerable) for a in passed])
    weights, bias = fit(rows, labels)
    log_odds = rows @ weights + bias
    cuts = {}
    for language, _ in LANGUAGES:
        mine = np.asarray([a.language == language for a in passed])
        cuts[language] = best_cut(log_odds[mine], labels[mine], cost)
    return Gate(EMBEDDER, dict(zip(FEATURES, weights.tolist(), strict=True)), bias, cuts)


def shares(examples: list[Asked], gate: Gate | None) -> tuple[float, float, int, int]:
    """Answered share of answerable questions, refused share of the others."""
    pos = [a for a in examples if a.answerable]
    neg = [a for a in examples if not a.answerable]

    def refused_by(a: Asked) -> bool:
        return gate is not None and gate.refuses(a.row, a.language, EMBEDDER)

    answered = sum(a.row is not None and not refused_by(a) for a in pos)
    refused = sum(a.row is None or refused_by(a) for a in neg)
    return answered / len(pos), refused / len(neg), len(pos), len(neg)


def write_weights(path: Path, gate: Gate, cost: float, trained_on: str) -> None:
    body = "\n".join(f'        "{name}": {round(w, 5)!r},' for name, w in gate.weights.items())
    cuts = ", ".join(f'"{language}": {round(c, 4)!r}' for language, c in gate.cuts.items())
    path.write_text(
        '"""The fitted answerability gate: written by bench/fit_answerability.py."""\n\n'
        "from .answerability import Gate\n\n"
        f"# Fitted on {dt.date.today().isoformat()} from\n# {trained_on};\n"
        f"# cuts maximise refused unanswerable − {cost:g} × refused answerable questions.\n"
        f'GATE = Gate(\n    embedder="{EMBEDDER}",\n    weights={{\n' + body + "\n    },\n"
        f"    bias={round(gate.bias, 5)!r},\n    cuts={{{cuts}}},\n)\n",
        encoding="utf-8",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, required=True, help="stores and search caches (reused)")
    ap.add_argument("--cost", type=float, default=3.0, help="a refused answerable question counts this many times")
    ap.add_argument("--write", action="store_true", help="store the gate in absatz/answerability_weights.py")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder(EMBEDDER)
    data = [a for name in STORES for a in asked(name, args.workdir, embedder)]
    halves = {"a": [a for a in data if a.store.endswith("-a")], "b": [a for a in data if a.store.endswith("-b")]}
    crossed = {"a": train(halves["b"], args.cost), "b": train(halves["a"], args.cost)}
    rows = []
    for family in ("news", "xquad"):
        for language, _ in LANGUAGES:
            mine = [a for a in data if a.family == family and a.language == language]
            base = shares(mine, None)
            cv = [shares([a for a in mine if a.store.endswith(f"-{h}")], crossed[h]) for h in "ab"]
            answered = sum(s[0] * s[2] for s in cv) / base[2]
            refused = sum(s[1] * s[3] for s in cv) / base[3]
            shown = [f"{x:.3f}" for x in (base[0], answered, base[1], refused)]
            rows.append([family, language, base[2], base[3], *shown])
    print(f"{machine()}; every question asked of the index that holds its article and of the one that does not")
    print(
        table(
            [
                "family",
                "lang",
                "answerable",
                "unanswerable",
                "answered (margin)",
                "answered (+ gate, cross-validated)",
                "refused (margin)",
                "refused (+ gate, cross-validated)",
            ],
            rows,
        )
    )
    gate = train(data, args.cost)
    print()
    print(table(["feature", "weight"], [[f, f"{w:+.4f}"] for f, w in gate.weights.items()]))
    print(f"bias {gate.bias:+.4f}; cuts {', '.join(f'{k} {v:+.3f}' for k, v in gate.cuts.items())}")
    if args.write:
        trained = "; ".join(
            f"{family}: {sum(1 for a in data if a.family == family) // 4} questions, German and English, two indexes"
            for family in ("news", "xquad")
        )
        write_weights(ROOT / "absatz" / "answerability_weights.py", gate, args.cost, trained)
        print("\nwrote absatz/answerability_weights.py")


if __name__ == "__main__":
    main()
