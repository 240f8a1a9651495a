"""The read index as segments: an ingest adds a small segment that a running reader opens
without reloading the rest, a removal marks rows dead, a merge keeps every result, and
the scanned files are memory-mapped (shared between processes, not copied into each) and
scattered rows are read on demand."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import bm25s
import numpy as np
import pytest

from ingest.pipeline import ingest_paths
from vectorstore import readindex
from vectorstore.chroma import Chroma
from vectorstore.errors import UnknownCitation
from vectorstore.lexical import Lexicon, LexiconWriter
from vectorstore.publish import announce
from vectorstore.readindex import Manifest, ReadIndex, merge
from vectorstore.search import Searcher, rank
from vectorstore.segment import FileRows, RawWriter
from vectorstore.text import tokenize
from vectorstore.writer import Writer

from .conftest import CORPUS, ROOT, settings_for

NEW = "2025-06-baeckerei-preise"
NEW_QUESTION = "Um wie viel Cent steigt der Preis für Brötchen?"
GONE = "2024-03-hafen-terminal"
GONE_QUESTION = "Was kritisieren Umweltverbände am neuen Terminal im Hafen?"
QUESTIONS = [
    NEW_QUESTION,
    GONE_QUESTION,
    "Wie heiß wurde es in Freiburg?",
    "Wer gewann das Pokalfinale?",
    "Welche Käferart wurde im Harz entdeckt?",
    "How many visitors did the museum in Leipzig expect?",
    "Wo gilt künftig Tempo 30?",
    "Warum ist die Bahnstrecke gesperrt?",
]


@pytest.fixture
def segmented(tmp_path, embedder, monkeypatch):
    """A store of the sample corpus without one article, ingested in-process with merging
    off (so every ingest leaves its own segment), and a reader that has loaded it."""
    monkeypatch.setattr(readindex, "MERGE_FLOOR", 0)
    monkeypatch.setattr(readindex, "MERGE_SHARE", 100.0)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in CORPUS.glob("*.txt"):
        if path.stem != NEW:
            shutil.copy(path, folder / path.name)
    settings = settings_for(tmp_path / "chroma")
    chroma = Chroma(settings)
    ingest_paths(chroma, embedder, [folder])
    reader = Searcher(Chroma(settings), embedder)
    return chroma, reader, folder


def segment_names(index: ReadIndex) -> list[str]:
    return [e.name for e in index.manifest.segments]


def results(searcher: Searcher) -> list[list[tuple[str, float, float, float]]]:
    return [[(h.para_id, h.score, h.dense, h.lexical) for h in searcher.search(q, k=5).hits] for q in QUESTIONS]


def assert_same(got: list, expected: list) -> None:
    """The same paragraphs in the same order, the same scores (to float32 rounding: a
    matrix product over other rows may sum in another order)."""
    assert [[h[0] for h in hits] for hits in got] == [[h[0] for h in hits] for hits in expected]
    np.testing.assert_allclose(
        [h[1:] for hits in got for h in hits], [h[1:] for hits in expected for h in hits], rtol=0, atol=1e-6
    )


def test_an_added_article_is_found_by_a_reader_that_did_not_reload(segmented, embedder):
    chroma, reader, _ = segmented
    before = reader.view().index
    base = before.vectors.segments[0]
    assert segment_names(before) == [base.name] and before.vectors.article_row(NEW) is None

    ingest_paths(chroma, embedder, [CORPUS / f"{NEW}.txt"])  # an ingest in another "process": the pointer moves

    after = reader.view().index
    assert after.version != before.version
    assert len(after.vectors.segments) == 2
    assert after.vectors.segments[0] is base  # the base was not opened again, let alone copied
    assert after.vectors.segments[1].articles == 1  # the delta holds just the new article
    hits = reader.search(NEW_QUESTION).hits
    assert hits[0].article_id == NEW
    assert after.paragraph(hits[0].para_id).article_id == NEW
    assert after.counts().articles == before.counts().articles + 1
    assert NEW in after.hashes and after.article(NEW).title


def test_a_removed_article_disappears_and_an_edited_one_is_replaced(segmented, embedder):
    chroma, reader, folder = segmented
    base = reader.view().index.vectors.segments[0]
    assert reader.search(GONE_QUESTION).hits[0].article_id == GONE
    writer = Writer.live(chroma)
    writer.delete_article(GONE)  # as /remove does: out of the index, the file into the trash
    (folder / f"{GONE}.txt").unlink()
    announce(writer, embedder, f"removed {GONE}")

    index = reader.view().index
    assert index.vectors.segments == (base,)  # nothing new to open: the base's rows are marked dead
    assert index.manifest.segments[0].deleted and index.manifest.segments[0].dead_passages > 0
    assert GONE not in index.hashes and index.vectors.article_row(GONE) is None
    with pytest.raises(UnknownCitation):
        index.paragraph(f"{GONE}#1")
    with pytest.raises(UnknownCitation):
        index.article(GONE)
    for q in QUESTIONS:
        assert all(h.article_id != GONE for h in reader.search(q, k=10).hits)
    assert all(not pid.startswith(GONE + "#") for pid in index.vectors.para_ids())
    assert all(
        index.vectors.para_id(int(index.vectors.p_para[r])).split("#")[0] != GONE
        for r, _ in index.lexical.search(GONE_QUESTION, 40)
    )

    # An edit: the new version is a new segment, the old rows die.
    path = folder / "2024-07-hitze-freiburg.txt"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\nDer Deutsche Wetterdienst rechnet mit 41 Grad am Sonntag.\n",
        encoding="utf-8",
    )
    ingest_paths(chroma, embedder, [folder])
    index = reader.view().index
    assert len(index.vectors.segments) == 2 and index.vectors.segments[0] is base
    hits = reader.search("Mit wie viel Grad rechnet der Wetterdienst am Sonntag?").hits
    assert hits[0].article_id == "2024-07-hitze-freiburg"
    assert (
        sum(pid.startswith("2024-07-hitze-freiburg#") for pid in index.vectors.para_ids())
        == index.article("2024-07-hitze-freiburg").paragraphs
    )
    # Live records counted from the dead rows are what Chroma holds once the ingest pruned.
    counts = index.counts()
    assert index.unit_counts() == (counts.passages, counts.sentences) == writer.unit_counts()


def test_a_merge_keeps_results_identical_and_readers_move_to_it(segmented, embedder):
    chroma, reader, _ = segmented
    ingest_paths(chroma, embedder, [CORPUS / f"{NEW}.txt"])
    writer = Writer.live(chroma)
    writer.delete_article(GONE)
    announce(writer, embedder, f"removed {GONE}")
    index = reader.view().index
    assert len(index.manifest.segments) == 2 and index.manifest.segments[0].dead_passages
    before = results(reader)
    lookups = (
        index.counts(),
        index.article_titles(),
        index.vectors.para_ids(),
        index.lexical.idf(tokenize("Brötchen")[0]),
        index.lexical.coverage(NEW_QUESTION),
    )
    evidence_before = rank(index, NEW_QUESTION, embedder.embed_question(NEW_QUESTION)).evidence

    directory = chroma.settings.read_index_dir
    assert merge(directory, segment_names(index))
    merged = reader.view().index  # same corpus version: the reader notices the new manifest
    assert merged.version == index.version and len(merged.manifest.segments) == 1
    assert not merged.manifest.segments[0].deleted  # dead rows are gone
    assert_same(results(reader), before)
    assert (
        merged.counts(),
        merged.article_titles(),
        merged.vectors.para_ids(),
        merged.lexical.idf(tokenize("Brötchen")[0]),
        merged.lexical.coverage(NEW_QUESTION),
    ) == lookups
    # The merged segment's float32 similarities are computed over another matrix shape,
    # so they may differ in the last bit (seen: 1e-9); the evidence itself must not move.
    evidence_after = rank(merged, NEW_QUESTION, embedder.embed_question(NEW_QUESTION)).evidence
    assert evidence_after == pytest.approx(evidence_before, abs=1e-6)
    assert sorted(p.name for p in directory.iterdir() if p.name.startswith("seg-")) == segment_names(merged)

    # A fresh build from scratch holds the same articles (BM25 statistics computed afresh).
    fresh = ReadIndex.build(writer, "check", (embedder.name, embedder.dim))
    assert fresh.hashes == merged.hashes and fresh.vectors.para_ids() == merged.vectors.para_ids()


def test_a_background_merge_runs_in_its_own_process(segmented, embedder, monkeypatch):
    chroma, reader, _ = segmented
    ingest_paths(chroma, embedder, [CORPUS / f"{NEW}.txt"])
    directory = chroma.settings.read_index_dir
    assert len(Manifest.load(directory).segments) == 2
    before = results(reader)
    monkeypatch.setattr(readindex, "MERGE_SHARE", 0.0)  # ask for a merge; above the floor it runs in the background
    readindex.schedule_merge(directory)
    deadline = time.monotonic() + 120
    while len(Manifest.load(directory).segments) != 1:
        assert time.monotonic() < deadline, "the background merge did not finish"
        time.sleep(0.2)
    assert len(reader.view().index.manifest.segments) == 1
    assert_same(results(reader), before)


def test_scanned_index_files_are_memory_mapped_and_shared_between_processes(built_store, searcher):
    index = searcher.view().index
    seg = index.vectors.segments[0]
    for array in (
        seg.p_vec,
        seg.s_scale,
        seg.p_para,
        seg.sent_start,
        seg.lexicon.data,
        seg.lexicon.indices,
        seg.lexicon.indptr,
        seg.a_key,
    ):
        assert isinstance(array, np.memmap)
    searcher.search("Wie heiß wurde es in Freiburg?")
    with open("/proc/self/maps") as maps:
        mapped = {line.split()[-1] for line in maps if str(seg.directory) in line}
    assert {str(seg.directory / n) for n in ("p_vec", "p_codes.faiss")} <= mapped
    assert str(seg.directory / "bm25" / "data.npy") in mapped
    # Rows picked here and there are read, not mapped: a page fault would map a whole
    # page-cache folio each time and the reader's resident set would grow towards the files.
    assert not {str(seg.directory / n) for n in ("p_f32", "s_vec", "s_text.txt", "p_text.txt")} & mapped

    # A second process maps the very same files: the page cache holds one copy for both.
    code = (
        "import sys; from pathlib import Path; from vectorstore.readindex import Reader; "
        "from vectorstore.chroma import Chroma; from vectorstore.settings import StoreSettings; "
        f"r = Reader(Chroma(StoreSettings(chroma_path=Path({str(built_store.chroma_path)!r})))); "
        "seg = r.view().index.vectors.segments[0]; "
        "print(sorted({l.split()[-1] for l in open('/proc/self/maps') if str(seg.directory) in l}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert str(seg.directory / "p_vec") in out.stdout and str(seg.directory / "p_codes.faiss") in out.stdout


def test_rows_read_on_demand_are_the_rows_on_disk(tmp_path):
    data = np.random.default_rng(0).standard_normal((500, 6)).astype(np.float32)
    writer = RawWriter(tmp_path / "vec", np.float32, 6)
    writer.add(data[:200])
    writer.add(data[200:])
    rows = FileRows(tmp_path / "vec", writer.close())
    picks = np.asarray([499, 3, 4, 5, 3, 0, 250, 251, 120])  # unsorted, runs, a repeat, both ends
    assert np.array_equal(rows[picks], data[picks])
    assert np.array_equal(rows[10:20], data[10:20]) and np.array_equal(rows[7], data[7])
    assert np.array_equal(rows[-1], data[-1]) and np.array_equal(rows[0:500:7], data[0:500:7])
    assert rows[np.zeros(0, np.int64)].shape == (0, 6)
    with pytest.raises(IndexError):
        rows[np.asarray([500])]
    with pytest.raises(TypeError):
        rows[np.ones(500, bool)]


def test_segment_bm25_scores_are_bm25s_scores(tmp_path):
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    paragraphs = [p for t in texts for p in t.split("\n\n") if p.strip()]
    writer = LexiconWriter(tmp_path / "bm25")
    writer.add(paragraphs[:7])  # in two batches, as a streamed build adds them
    writer.add(paragraphs[7:])
    writer.finish()
    lexicon = Lexicon(tmp_path / "bm25")
    reference = bm25s.BM25()
    reference.index([tokenize(p) for p in paragraphs], show_progress=False)
    for query in ("Hafen Terminal Umweltverbände", "Preis Brötchen Bäckerei", "Hitze Freiburg Grad", "Museum"):
        tokens = [t for t in tokenize(query) if t in reference.vocab_dict]
        expected = reference.get_scores(tokens)
        docs, weights = lexicon.postings(lexicon.term_ids(tokens).tolist())
        got = np.bincount(docs, weights=weights, minlength=len(paragraphs))
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_an_older_index_is_rebuilt_as_segments(tmp_path, embedder):
    settings = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(settings), embedder, [CORPUS / f"{GONE}.txt"])
    directory = settings.read_index_dir
    for path in list(directory.iterdir()):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    (directory / "index.json").write_text(json.dumps({"format": 2}))  # what an older absatz left
    (directory / "p_vec.npy").write_bytes(b"old")
    searcher = Searcher(Chroma(settings), embedder)
    assert searcher.search(GONE_QUESTION).hits[0].article_id == GONE
    assert Manifest.load(directory) is not None
    assert not (directory / "index.json").exists() and not (directory / "p_vec.npy").exists()
