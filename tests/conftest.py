"""Shared fixtures: real embedders, real Chroma stores in temporary folders."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from absatz.cli import main as cli_main
from vectorstore.embeddings import load_embedder
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings

ROOT = Path(__file__).resolve().parent.parent
# ABSATZ_SHARED_DIR points the tests at another copy of ../shared (the suite's own test
# of the CI rule below points it at a folder that does not exist).
SHARED = Path(os.environ.get("ABSATZ_SHARED_DIR") or ROOT.parent / "shared")
SEED = SHARED / "seed" / "000_a05d8c91f093345a.txt"
XQUAD = SHARED / "data" / "xquad-de"
GNAD = SHARED / "data" / "gnad10k" / "articles.jsonl"
CORPUS = ROOT / "corpus"
BENCH_DATA = ROOT / "bench" / "data"


def bench_questions(name: str) -> list[dict]:
    """A question set of bench/data (JSON lines)."""
    return [json.loads(line) for line in (BENCH_DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def needs_shared(path: Path, what: str) -> pytest.MarkDecorator:
    """A test that reads ``path`` from ../shared: skipped with the reason where it is
    absent, but a failure in CI (``CI=true``), where a silent skip would hide that the
    data never arrived."""
    return pytest.mark.needs_shared(path=str(path), reason=f"{what} is absent ({path})")


needs_seed = needs_shared(SEED, "the real seed article ../shared/seed")
needs_xquad = needs_shared(XQUAD, "XQuAD-de ../shared/data/xquad-de")
needs_gnad = needs_shared(GNAD, "10kGNAD ../shared/data/gnad10k")


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_shared(path, reason): the test reads a file from ../shared")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs_shared"):
        if not Path(mark.kwargs["path"]).exists():
            if in_ci():
                pytest.fail(f"CI=true but {mark.kwargs['reason']}: CI must run this test, not skip it", pytrace=False)
            pytest.skip(mark.kwargs["reason"])


@pytest.fixture(autouse=True)
def isolated_bot_db(tmp_path, monkeypatch):
    """CLI runs write the audit log; keep it out of the working tree."""
    monkeypatch.setenv("BOT_DB", str(tmp_path / "absatz.sqlite3"))


@pytest.fixture
def private_tempdir(tmp_path, monkeypatch) -> Path:
    """The temp dir of this test's code, and of the processes it starts, under its
    tmp_path. A store on a Chroma server keeps its ingest lock in the temp dir
    (``absatz-<host>-<port>-<collection>.lock``, see ``ingest.lock``), and every test server
    has a new port: each run would leave new lock files in /tmp. The lock file stays
    after an ingest on purpose (removing a flock file that another process has opened lets
    two processes hold "the" lock), so the tests put it where pytest cleans up."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def embedder():
    return load_embedder("bundled:multilingual-e5-small")


def settings_for(path: Path, collection: str = "absatz") -> StoreSettings:
    return StoreSettings(chroma_path=path, collection=collection)


def vector_folders(chroma_path: Path) -> set[str]:
    """Chroma's segment folders in an embedded store: named by their segment's UUID."""
    return {p.name for p in chroma_path.iterdir() if p.is_dir() and len(p.name) == 36 and p.name.count("-") == 4}


@pytest.fixture
def store_settings(tmp_path) -> StoreSettings:
    return settings_for(tmp_path / "chroma")


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory) -> Path:
    """The sample corpus plus the real seed article, as an admin would lay it out."""
    d = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, d, dirs_exist_ok=True)
    if SEED.exists():
        shutil.copy(SEED, d / SEED.name)
    return d


@pytest.fixture(scope="session")
def built_store(tmp_path_factory, corpus_dir) -> StoreSettings:
    """One index of sample corpus + seed, built through the real CLI, shared read-only."""
    folder = tmp_path_factory.mktemp("built")
    settings = settings_for(folder / "chroma")
    with pytest.MonkeyPatch.context() as mp:  # session-wide: before isolated_bot_db, so its own log
        mp.setenv("BOT_DB", str(folder / "absatz.sqlite3"))
        assert cli_main(["ingest", str(corpus_dir), "--chroma-path", str(settings.chroma_path), "--json"]) == 0
    return settings


@pytest.fixture(scope="session")
def searcher(built_store, embedder) -> Searcher:
    return Searcher.open(built_store, embedder)


# A small news corpus from 10kGNAD: the five articles each of ten training questions
# finds in the development index (stories covered from another side), and the articles
# of five development conversations (bench/data/followup-questions.jsonl) and of two
# new questions asked in a conversation (switch-questions.jsonl; the conversations' first
# questions are about articles left out).
STORY_ARTICLES = [
    f"gnad-{n:04d}"
    for n in [
        *(34, 58, 85, 103, 112, 139, 142, 172, 190, 232, 370, 421, 430, 448, 463, 469, 472, 502, 508, 526, 532),
        *(535, 604, 613, 628, 688, 733, 754, 757, 760, 769, 787, 802, 820, 823, 847, 862, 889, 913, 925, 973, 1006),
    ]
]
THREAD_ARTICLES = ["gnad-0052", "gnad-0454", "gnad-0556", "gnad-0961", "gnad-1024", "gnad-0343", "gnad-0742"]


@pytest.fixture(scope="session")
def story_searcher(tmp_path_factory, embedder) -> Searcher:
    wanted = {*STORY_ARTICLES, *THREAD_ARTICLES}
    rows = [r for r in map(json.loads, GNAD.read_text(encoding="utf-8").splitlines()) if r["id"] in wanted]
    d = tmp_path_factory.mktemp("stories")
    settings = settings_for(d / "chroma")
    assert (
        cli_main(["ingest", str(write_jsonl(d / "news.jsonl", rows)), "--chroma-path", str(settings.chroma_path)]) == 0
    )
    return Searcher.open(settings, embedder)


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli_main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """Articles (or any rows) as a JSONL file, one object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
