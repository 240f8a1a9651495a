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

from absatz.answer import answer
from ingest.pipeline import ingest_paths
from vectorstore import readindex
from vectorstore.chroma import Chroma
from vectorstore.errors import UnknownCitation
from vectorstore.lexical import LexicalIndex, Lexicon, LexiconWriter
from vectorstore.publish import announce
from vectorstore.readindex import Manifest, ReadIndex, merge
from vectorstore.search import Searcher, rank
from vectorstore.segment import FileRows, RawWriter
from vectorstore.text import query_terms, tokenize
from vectorstore.writer import Writer

from .conftest import CORPUS, GNAD, ROOT, needs_gnad, settings_for, write_jsonl

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
        seg.lexicon.tf,
        seg.lexicon.indices,
        seg.lexicon.indptr,
        seg.a_key,
    ):
        assert isinstance(array, np.memmap)
    searcher.search("Wie heiß wurde es in Freiburg?")
    with open("/proc/self/maps") as maps:
        mapped = {line.split()[-1] for line in maps if str(seg.directory) in line}
    assert {str(seg.directory / n) for n in ("p_vec", "p_codes.faiss")} <= mapped
    assert str(seg.directory / "bm25" / "tf.npy") in mapped
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
    index = LexicalIndex([Lexicon(tmp_path / "bm25")], np.asarray([0, len(paragraphs)]))
    reference = bm25s.BM25()
    reference.index([tokenize(p) for p in paragraphs], show_progress=False)
    for query in ("Hafen Terminal Umweltverbände", "Preis Brötchen Bäckerei", "Hitze Freiburg Grad", "Museum"):
        tokens = [t for t in tokenize(query) if t in reference.vocab_dict]
        np.testing.assert_allclose(index.scores(tokens), reference.get_scores(tokens), rtol=1e-5, atol=1e-6)


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


# --- BM25 statistics of the live passages, whatever history built the index --------------------


def live_scores(index: ReadIndex, question: str) -> dict[tuple[str, str], float]:
    """BM25 score of every live passage for ``question``, by paragraph and passage text
    (row numbers differ between an index built piece by piece and one built at once)."""
    vec, lexical = index.vectors, index.lexical
    scores = lexical.scores(query_terms(question))
    dead = lexical._dead_mask() if lexical.dead is not None else np.zeros(lexical.n_rows, bool)
    return {
        (vec.para_id(int(vec.p_para[row])), vec.p_text[row]): float(scores[row])
        for row in range(lexical.n_rows)
        if not dead[row]
    }


def assert_scores_of_a_fresh_build(index: ReadIndex, writer: Writer, embedder) -> None:
    fresh = ReadIndex.build(writer, "check", (embedder.name, embedder.dim))
    questions = [*QUESTIONS, *(index.article(aid).title for aid in sorted(index.hashes))]
    for q in questions:
        got, expected = live_scores(index, q), live_scores(fresh, q)
        assert got.keys() == expected.keys()
        keys = sorted(expected)
        np.testing.assert_allclose([got[k] for k in keys], [expected[k] for k in keys], rtol=1e-5, atol=0, err_msg=q)
        terms = tokenize(q)
        assert [index.lexical.idf(t) for t in terms] == pytest.approx([fresh.lexical.idf(t) for t in terms], rel=1e-9)
        assert index.lexical.coverage(q) == fresh.lexical.coverage(q)
    assert index.lexical.live_docs == fresh.lexical.live_docs


@pytest.mark.parametrize("merging", ["as the policy merges", "never merged"])
def test_bm25_after_many_small_ingests_scores_as_a_fresh_build(tmp_path, embedder, monkeypatch, merging):
    """A live corpus (feeds, a watched folder) is built one article at a time. BM25 weights
    computed when each segment was written, with the statistics of the index then, had
    stayed with the article for good (merges copied them): the article ingested first kept
    weights of a corpus of one, 92 % too low in 150 articles; and removed or replaced rows
    had counted in later articles' statistics. Statistics are now the live passages' at
    query time: any history of ingests, edits, removals and merges scores as a fresh build."""
    if merging == "never merged":
        monkeypatch.setattr(readindex, "MERGE_FLOOR", 0)
        monkeypatch.setattr(readindex, "MERGE_SHARE", 100.0)
    folder = tmp_path / "corpus"
    folder.mkdir()
    chroma = Chroma(settings_for(tmp_path / "chroma"))
    names = sorted(p.name for p in CORPUS.glob("*.txt"))
    first, batch, rest = names[2], names[3:6], [names[0], names[1], *names[6:]]
    shutil.copy(CORPUS / first, folder / first)
    ingest_paths(chroma, embedder, [folder])  # one article alone first
    for name in batch:
        shutil.copy(CORPUS / name, folder / name)
    ingest_paths(chroma, embedder, [folder])
    edited = folder / batch[0]
    edited.write_text(
        edited.read_text(encoding="utf-8") + "\n\nDer Hafen meldet am Abend neue Zahlen zum Terminal.\n",
        encoding="utf-8",
    )
    ingest_paths(chroma, embedder, [folder])  # an edit: the old version's rows die
    (folder / batch[1]).unlink()
    ingest_paths(chroma, embedder, [folder])  # a removal
    for name in rest:
        shutil.copy(CORPUS / name, folder / name)
    ingest_paths(chroma, embedder, [folder])

    index = Searcher(chroma, embedder).view().index
    if merging == "never merged":
        assert len(index.manifest.segments) > 1 and any(e.dead_passages for e in index.manifest.segments)
    else:
        assert len(index.manifest.segments) == 1
    assert_scores_of_a_fresh_build(index, Writer.live(chroma), embedder)


SENFGAS = "Wo genau in Syrien wurde bei Kämpfen zwischen Rebellen Senfgas eingesetzt?"


@needs_gnad
def test_the_article_ingested_first_is_found_first_for_its_own_question(tmp_path, embedder):
    """10kGNAD's report of mustard gas near Aleppo (gnad-0004) ingested on its own, then two
    other reports of mustard gas in Syria and five unrelated articles: BM25 had kept the
    first article's weights of a corpus of one, so search ranked another report first and
    ``ask`` answered from it."""
    wanted = ["gnad-0004", "gnad-0166", "gnad-0209", "gnad-0001", "gnad-0002", "gnad-0005", "gnad-0007", "gnad-0008"]
    rows = {r["id"]: r for r in map(json.loads, GNAD.read_text(encoding="utf-8").splitlines()) if r["id"] in wanted}
    folder = tmp_path / "corpus"
    chroma = Chroma(settings_for(tmp_path / "chroma"))
    write_jsonl(folder / "a-first.jsonl", [rows[wanted[0]]])
    ingest_paths(chroma, embedder, [folder])
    write_jsonl(folder / "b-rest.jsonl", [rows[aid] for aid in wanted[1:]])
    ingest_paths(chroma, embedder, [folder])

    searcher = Searcher(chroma, embedder)
    assert [h.para_id for h in searcher.search(SENFGAS, k=3).hits][:1] == ["gnad-0004#1"]
    reply = answer(searcher, SENFGAS)
    assert not reply.abstained and reply.citations[0].id == "gnad-0004#1"
    assert "Marea" in reply.answer
    assert [pid for pid, _ in searcher.view().index.lexical_paragraphs(SENFGAS, 1)] == ["gnad-0004#1"]


def write_the_format_before(directory) -> list[str]:
    """Turn the index in ``directory`` into what the code before left (format 3 in the
    manifest and every segment's header, finished BM25 weights in ``bm25/data.npy``);
    its segments' names."""
    old = [p.name for p in directory.glob("seg-*")]
    manifest = json.loads((directory / "manifest.json").read_text())
    (directory / "manifest.json").write_text(json.dumps({**manifest, "format": 3}))
    for name in old:
        header = json.loads((directory / name / "segment.json").read_text())
        (directory / name / "segment.json").write_text(json.dumps({**header, "format": 3}))
        bm25 = directory / name / "bm25"
        for path in bm25.glob("*.npy"):
            if path.name not in ("indices.npy", "indptr.npy", "doc_len.npy", "t_key.npy", "t_key_row.npy"):
                path.unlink()
        np.save(bm25 / "data.npy", np.ones(int(np.load(bm25 / "indptr.npy")[-1]), np.float32))
    return old


def test_an_index_written_with_frozen_bm25_weights_is_built_again_from_the_store(tmp_path, embedder, monkeypatch):
    """An index of the format before (finished BM25 weights, frozen when each segment was
    written) cannot be scored with the live statistics: a reader opening it, or the next
    ingest, builds it again from the vectors Chroma holds (a reader embeds nothing again),
    and it answers as a fresh build."""
    settings = settings_for(tmp_path / "chroma")
    chroma = Chroma(settings)
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in (f"{GONE}.txt", "2024-07-hitze-freiburg.txt"):
        shutil.copy(CORPUS / name, folder / name)
    ingest_paths(chroma, embedder, [folder])
    directory = settings.read_index_dir
    old = write_the_format_before(directory)
    assert old

    def no_embedding(texts):
        raise AssertionError("the read index is built from the vectors in Chroma, never embedded again")

    searcher = Searcher(Chroma(settings), embedder)
    with monkeypatch.context() as m:
        m.setattr(embedder, "embed_passages", no_embedding)
        assert searcher.search(GONE_QUESTION).hits[0].article_id == GONE
    assert Manifest.load(directory) is not None
    assert not {p.name for p in directory.glob("seg-*")} & set(old)  # the old segments are gone
    assert_scores_of_a_fresh_build(searcher.view().index, Writer.live(chroma), embedder)

    # The next ingest finds the format before too, and builds the index again with its article.
    old = write_the_format_before(directory)
    shutil.copy(CORPUS / f"{NEW}.txt", folder / f"{NEW}.txt")
    ingest_paths(chroma, embedder, [folder])
    assert Manifest.load(directory) is not None
    assert not {p.name for p in directory.glob("seg-*")} & set(old)
    assert searcher.search(NEW_QUESTION).hits[0].article_id == NEW
    assert_scores_of_a_fresh_build(searcher.view().index, Writer.live(chroma), embedder)
