"""Helpers shared by the benchmark scripts: data paths, tables, timing summaries."""

from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("ABSATZ_SHARED_DIR") or ROOT.parent / "shared") / "data"  # as the tests read it


def missing_modules(*modules: str) -> list[str]:
    """Those of ``modules`` this environment lacks (the ``bench`` extra's)."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def require_modules(ap: argparse.ArgumentParser, modules: list[str], instead: str) -> None:
    """Stop before any work when a part of the run needs what is not installed: it had
    failed only after every store was built and measured, the tables never printed."""
    if missing := missing_modules(*modules):
        ap.error(f"needs {', '.join(missing)} (pip install '.[bench]'), or pass {instead}")


def spawn(script: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``script`` again in a fresh process, with pipes: what a bench measures in a process
    of its own (a reader's memory, a cold start) must not share this one's."""
    return subprocess.Popen(
        [sys.executable, script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}", **(env or {})},
    )


def in_ci() -> bool:
    """``CI=true`` (or 1, yes), as tests/conftest.py reads it."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(path: Path) -> Path:
    """``path``, a data set or question file a benchmark reads. Where it is absent the
    benchmark is skipped with the reason (exit 0), except in CI (``CI=true``), where a
    skip would hide that the data never arrived: there it fails (exit 1)."""
    if not path.exists():
        how = (
            f"the benchmarks read XQuAD-de and 10kGNAD from {DATA}: put the data sets there"
            if path.is_relative_to(DATA)
            else f"a file of the repository: restore it with `git checkout -- {path.relative_to(ROOT)}`"
        )
        if in_ci():
            sys.exit(f"CI=true but {path} is absent ({how}): CI must run this benchmark, not skip it")
        print(f"skipped: {path} is absent ({how})")
        sys.exit(0)
    return path


def built_first(paths: list[Path], command: str) -> None:
    """Stop (exit 1) unless the stores or caches another script builds, which this one
    reads, are all there: running that script first is the fix, not a skip."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"{', '.join(missing)} missing: run `{command}` first")


def scratch(prefix: str) -> Path:
    """A new temporary folder, removed when this process exits."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def index_articles(chroma_path: Path, articles_path: Path, pick, embedder) -> list:
    """Bring the store at ``chroma_path`` in line with ``pick(articles)`` of the file and
    return every article of it. A store built by an earlier run is only synced (nothing
    unchanged is embedded again), so the fitting scripts share and reuse their stores."""
    from ingest.pipeline import apply  # after ROOT is on the path
    from ingest.sources import load_articles
    from vectorstore.chroma import Chroma
    from vectorstore.settings import StoreSettings

    articles, failures = load_articles([require(articles_path)])
    if failures:
        raise SystemExit(f"{failures[0]}")
    apply(Chroma(StoreSettings(chroma_path=chroma_path)), embedder, pick(articles))
    return articles


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def table(headers: list[str], rows: list[list]) -> str:
    """A GitHub-flavoured Markdown table, so the output pastes straight into the README."""
    cells = [[str(c) for c in row] for row in rows]
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(out)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def proc_status_mb(field: str = "VmRSS") -> float:
    """This process's ``VmRSS`` (resident now) or ``VmHWM`` (peak resident) in MB."""
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith(field + ":")).split()[1]) / 1024


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
