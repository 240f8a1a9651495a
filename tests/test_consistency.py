"""Serving while ingesting, rebuild switch-over, and kill-and-resume of a real ingest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import ingest.pipeline as pipeline
from ingest.passages import units_for
from ingest.pipeline import ingest_paths
from ingest.sources import load_articles
from vectorstore.search import Searcher
from vectorstore.store import Store

from .conftest import GNAD, ROOT, needs_gnad

OLD = "Die Fähre nach Helgoland fährt ab Mai täglich um neun Uhr. Tickets kosten 40 Euro.\n\nDer Hafen wird saniert."
NEW = "Die Fähre nach Helgoland fährt ab Juni stündlich. Tickets kosten 55 Euro.\n\nDer Hafen wird saniert."


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_readers_see_the_old_or_the_new_version_never_a_mix(tmp_path, store_settings, embedder, monkeypatch):
    corpus = tmp_path / "corpus"
    write(corpus, "faehre.txt", OLD)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt zwei Eisbären. Sie kommen aus Finnland.")
    store = Store(store_settings)
    ingest_paths(store, embedder, [corpus])
    reader = Searcher(Store(store_settings), embedder)
    assert "40 Euro" in reader.search("Was kostet das Ticket für die Fähre nach Helgoland?", k=1).hits[0].passage

    write(corpus, "faehre.txt", NEW)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt drei Eisbären. Sie kommen aus Norwegen.")
    monkeypatch.setattr(pipeline, "EMBED_BATCH", 1)  # one article per write: observe between them
    seen: list[tuple[str, str]] = []

    def observe(done, total, _):
        if 0 < done < total:
            hit = reader.search("Was kostet das Ticket für die Fähre nach Helgoland?", k=1).hits[0]
            full = reader.store.paragraph(hit.para_id, reader.view().snapshot).text
            lexical = [pid for pid, _ in reader.view().index.lexical_paragraphs("Helgoland Tickets Euro", 3)]
            seen.append((hit.passage, full))
            assert hit.para_id in lexical  # BM25 and vectors agree on what exists

    ingest_paths(store, embedder, [corpus], progress=observe)
    assert seen, "the ingest was observed half-way"
    for passage, full in seen:
        # Mid-ingest a reader still sees the whole old version: passage and paragraph agree.
        assert "40 Euro" in passage and "40 Euro" in full and "55 Euro" not in full
    after = reader.search("Was kostet das Ticket für die Fähre nach Helgoland?", k=1).hits[0]
    assert "55 Euro" in after.passage
    assert "55 Euro" in reader.store.paragraph(after.para_id).text


def test_rebuild_serves_the_old_index_until_the_new_one_is_complete(tmp_path, store_settings, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, "faehre.txt", OLD)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt zwei Eisbären. Sie kommen aus Finnland.")
    store = Store(store_settings)
    ingest_paths(store, embedder, [corpus])
    old_gen = store.meta["live"]
    reader = Searcher(Store(store_settings), embedder)
    during: list[str] = []

    def observe(done, total, _):
        during.append(reader.store.meta["live"])
        assert reader.search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"

    report = ingest_paths(store, embedder, [corpus], progress=observe, full_rebuild=True)
    assert report.added == ["faehre", "zoo"] and during and set(during) == {old_gen}
    new_gen = store.meta["live"]
    assert new_gen != old_gen
    names = {c.name for c in store.client.list_collections()}
    assert not any(n.startswith(old_gen + ".") for n in names), "the old generation is dropped after the switch"
    assert reader.search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"


@needs_gnad
def test_killed_ingest_is_finished_by_the_next_run(tmp_path):
    """SIGKILL a real `absatz ingest` at several points; the next run completes the job."""
    lines = GNAD.read_text(encoding="utf-8").splitlines()[:24]
    corpus = tmp_path / "corpus"
    write(corpus, "gnad.jsonl", "\n".join(lines) + "\n")
    chroma = tmp_path / "chroma"
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    cmd = [exe, "ingest", str(corpus), "--chroma-path", str(chroma), "--json"]
    env = {**os.environ, "BOT_DB": str(tmp_path / "bot.sqlite3")}
    kills = 0
    for delay in (3.0, 5.0, 7.0, 9.0):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2, "the ingest must have been killed mid-way at least twice"
    final = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout)
    assert report["failed"] == [] and report["added"] + report["updated"] + report["unchanged"] == 24

    from vectorstore.settings import StoreSettings

    store = Store(StoreSettings(chroma_path=chroma))
    articles, _ = load_articles([corpus])
    committed = store.committed()
    assert set(committed) == {a.id for a in articles}  # no manifest entry without its records, none missing
    for article in articles:
        units = units_for(article)
        passages = store.stored_ids("passages", article.id)
        sentences = store.stored_ids("sentences", article.id)
        # Exactly one copy of each passage and sentence, all of the committed version.
        assert sorted(passages) == sorted(u.id for u in units if u.kind == "passage")
        assert sorted(sentences) == sorted(u.id for u in units if u.kind == "sentence")
    from vectorstore.embeddings import load_embedder

    searcher = Searcher.open(StoreSettings(chroma_path=chroma), load_embedder("bundled:multilingual-e5-small"))
    index = searcher.view().index
    assert set(index.vectors.para_ids()) == {f"{a.id}#{p.n}" for a in articles for p in a.paragraphs}
