"""Incremental ingest and bad input against a real embedded Chroma and real embeddings."""

import json
import os
import pickle
import shutil

import pytest

import ingest.passages
import ingest.sources
from ingest.pipeline import RebuildRefused, ingest_paths
from vectorstore.chroma import Chroma
from vectorstore.generations import Generations
from vectorstore.readindex import Reader
from vectorstore.records import ParagraphView
from vectorstore.search import Searcher
from vectorstore.writer import Writer

from .conftest import CORPUS, SEED, json_lines, needs_seed, run_cli, settings_for, write_jsonl

ARTICLE = """date 2024-02 BONN (Test) - Die Stadt Bonn baut eine neue Seilbahn über den Rhein. \
Sie soll 2027 fertig sein.

Die Kosten liegen bei 60 Millionen Euro. Der Bund zahlt den größten Teil.

Streit im Rat

Die Opposition hält die Seilbahn für zu teuer. Sie fordert mehr Busse.

Die Bauarbeiten beginnen im Herbst./tst
"""


def paragraph(store: Chroma, cid: str) -> ParagraphView:
    """As a reader that starts now finds it."""
    return Reader(store).view().index.paragraph(cid)


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def test_add_edit_delete_and_noop(tmp_path, store_settings, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, "seilbahn.txt", ARTICLE)
    write(corpus, "zweiter.txt", "Ein zweiter Artikel über Kartoffeln. Sie wachsen gut.\n\nNoch ein Absatz.")
    store = Chroma(store_settings)

    first = ingest_paths(store, embedder, [corpus])
    assert sorted(first.added) == ["seilbahn", "zweiter"] and first.paragraphs_embedded == 6

    noop = ingest_paths(store, embedder, [corpus])
    assert noop.paragraphs_embedded == 0 and noop.units_embedded == 0
    assert sorted(noop.unchanged) == ["seilbahn", "zweiter"]

    # Edit one paragraph: only that paragraph is embedded again, the citation ids stay.
    write(corpus, "seilbahn.txt", ARTICLE.replace("Sie fordert mehr Busse.", "Sie fordert mehr Radwege."))
    edit = ingest_paths(store, embedder, [corpus])
    assert edit.updated == ["seilbahn"] and edit.paragraphs_embedded == 1
    assert "Radwege" in paragraph(store, "seilbahn#3").text
    assert paragraph(store, "seilbahn#2").text.startswith("Die Kosten liegen")

    # Delete a file: its article disappears from both the store and the answers.
    (corpus / "zweiter.txt").unlink()
    removal = ingest_paths(store, embedder, [corpus])
    assert removal.removed == ["zweiter"]
    writer = Writer.live(store)
    assert set(writer.committed_articles()) == {"seilbahn"}
    assert not writer.stored_ids("passages", "zweiter") and not writer.stored_ids("sentences", "zweiter")
    # Superseded versions are pruned: one record per passage/sentence of the live version.
    assert len(writer.stored_ids("passages", "seilbahn")) == 4
    committed = writer.committed_articles()["seilbahn"].article_hash
    assert all(i.endswith(committed[:10]) for i in writer.stored_ids("sentences", "seilbahn"))


def test_better_sentence_splitting_rewrites_only_the_articles_it_splits_differently(
    tmp_path, store_settings, embedder, monkeypatch
):
    """After an update that splits sentences better, stored quotes must not stay cut in
    two: the next ingest rewrites the affected article, embedding only what changed."""
    corpus = tmp_path / "corpus"
    write(corpus, "celmins.txt", "Die Künstlerin Vija Celmins (geb. 1938 in Riga) stellt aus. Die Schau läuft lange.")
    write(corpus, "zweiter.txt", "Ein zweiter Artikel über Kartoffeln. Sie wachsen gut.")
    store = Chroma(store_settings)
    rules = ingest.passages.split_sentences

    def older_rules(text: str) -> list[str]:
        """Splits at every period, as releases that did not know "geb." did."""
        return [piece if piece.endswith(".") else piece + "." for piece in text.split(". ")]

    monkeypatch.setattr(ingest.passages, "split_sentences", older_rules)
    ingest_paths(store, embedder, [corpus])
    assert paragraph(store, "celmins#1").sentences[0].endswith("(geb.")
    monkeypatch.setattr(ingest.passages, "split_sentences", rules)

    again = ingest_paths(store, embedder, [corpus])
    assert again.updated == ["celmins"] and again.unchanged == ["zweiter"]
    assert paragraph(store, "celmins#1").sentences == (
        "Die Künstlerin Vija Celmins (geb. 1938 in Riga) stellt aus.",
        "Die Schau läuft lange.",
    )
    # The one new sentence is embedded (the passage is the paragraph's text, unchanged).
    assert again.units_embedded == 1


def test_one_file_is_ingested_without_reading_every_record(tmp_path, store_settings, embedder, monkeypatch):
    """At 330,000 articles, reading every article record took ~50 s and scanning every
    record to prune ~45 s more, whatever the ingest changed. One file's ingest reads its
    own records; the full prune scan runs only when Chroma holds records no committed
    version uses (an interrupted run's), and then removes them."""
    corpus = tmp_path / "corpus"
    write(corpus, "seilbahn.txt", ARTICLE)
    write(corpus, "zweiter.txt", "Ein zweiter Artikel über Kartoffeln. Sie wachsen gut.\n\nNoch ein Absatz.")
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    writer = Writer.live(store)
    scans: list[tuple[str, object]] = []
    scan = Chroma.scan

    def spy(self, collection, include, where=None):
        scans.append((collection.name.rsplit(".", 1)[-1], where))
        return scan(self, collection, include, where)

    monkeypatch.setattr(Chroma, "scan", spy)

    new = write(tmp_path / "neu", "dritter.txt", "Ein dritter Artikel über Äpfel. Sie sind rot.\n\nNoch ein Absatz.")
    assert ingest_paths(store, embedder, [new]).added == ["dritter"]
    assert scans and all(where is not None for _, where in scans), scans
    assert set(writer.committed_articles()) == {"seilbahn", "zweiter", "dritter"}

    # An edit: the superseded version is pruned by a scan of that article's records only.
    path = write(corpus, "seilbahn.txt", ARTICLE.replace("Sie fordert mehr Busse.", "Sie fordert mehr Radwege."))
    scans.clear()
    assert ingest_paths(store, embedder, [path]).updated == ["seilbahn"]
    assert scans and all(where is not None for _, where in scans), scans
    assert len(writer.stored_ids("passages", "seilbahn")) == 4
    assert "Radwege" in paragraph(store, "seilbahn#3").text

    # Records of a version never committed (a run killed before its commit, whose file
    # is gone since): the next ingest scans everything once and removes them.
    leftover = writer.stored_ids("passages", "dritter")[0]
    got = writer.collections.passages.get(ids=[leftover], include=["documents", "metadatas", "embeddings"])
    writer.collections.passages.upsert(
        ids=["geist#1:0:abc"],
        embeddings=got["embeddings"],
        documents=got["documents"],
        metadatas=[{**got["metadatas"][0], "article_id": "geist", "article_hash": "abc"}],
    )
    scans.clear()
    assert ingest_paths(store, embedder, [new]).unchanged == ["dritter"]
    assert ("passages", None) in scans and writer.stored_ids("passages", "geist") == []
    scans.clear()
    ingest_paths(store, embedder, [new])
    assert all(where is not None for _, where in scans), scans


def test_insert_paragraph_reuses_vectors_of_unchanged_ones(tmp_path, store_settings, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, "seilbahn.txt", ARTICLE)
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    write(corpus, "seilbahn.txt", ARTICLE.replace("Die Bauarbeiten", "Ein neuer Absatz zum Wetter.\n\nDie Bauarbeiten"))
    report = ingest_paths(store, embedder, [corpus])
    # The new paragraph is embedded; the last one only moved from #4 to #5.
    assert report.paragraphs_embedded == 1
    assert paragraph(store, "seilbahn#5").text == "Die Bauarbeiten beginnen im Herbst."


def test_bad_files_are_reported_and_good_ones_ingested(tmp_path, store_settings, capsys):
    corpus = tmp_path / "corpus"
    write(corpus, "gut.txt", ARTICLE)
    (corpus / "binaer.txt").write_bytes(b"\x00\x01\x02binary\x00")
    (corpus / "latin1.txt").write_bytes("Ein Artikel über Köln.".encode("latin-1"))
    (corpus / "leer.md").write_text("")
    (corpus / "gross.txt").write_text("Wort " * 400)
    with open(corpus / "riesig.txt", "wb") as f:  # 50 MB (sparse): never read, refused by size
        f.truncate(50 * 1024 * 1024)
    write(
        corpus,
        "liste.jsonl",
        "\n".join(
            [
                json.dumps({"id": "j1", "text": "Ein Absatz über Schiffe im Hafen."}),
                "{kaputt",
                json.dumps({"id": "gut", "text": "Doppelte Id."}),
            ]
        ),
    )
    outside = tmp_path / "geheim.txt"
    outside.write_text("Geheimer Text.")
    os.symlink(outside, corpus / "link.txt")
    (tmp_path / "privat").mkdir()
    (tmp_path / "privat" / "brief.txt").write_text("Ein privater Brief.")
    os.symlink(tmp_path / "privat", corpus / "ordner")  # a linked folder was skipped without a word

    env = {"MAX_FILE_BYTES": "1000"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        code, out, _ = run_cli(
            capsys, "ingest", str(corpus), "--chroma-path", str(store_settings.chroma_path), "--json"
        )
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    report = json.loads(out)
    assert code == 1
    assert report["added"] == 2  # gut.txt and j1
    reasons = {(os.path.basename(f["path"]), f["line"]): f["reason"] for f in report["failed"]}
    assert "binary" in reasons[("binaer.txt", None)]
    assert "UTF-8" in reasons[("latin1.txt", 1)]
    assert "empty" in reasons[("leer.md", None)]
    assert "limit" in reasons[("gross.txt", None)]
    assert "52.4 MB" in reasons[("riesig.txt", None)]
    assert "JSON" in reasons[("liste.jsonl", 2)]
    assert "duplicate" in reasons[("liste.jsonl", 3)]  # its line: the way to find it in a large file
    assert "outside" in reasons[("link.txt", None)] and "outside" in reasons[("ordner", None)]
    assert len(report["failed"]) == 9


def test_a_file_that_turns_bad_does_not_lose_what_was_stored(tmp_path, store_settings, embedder):
    corpus = tmp_path / "corpus"
    path = write(corpus, "seilbahn.txt", ARTICLE)
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    path.write_bytes(b"\xff\xfe kaputt")
    report = ingest_paths(store, embedder, [corpus])
    assert report.failed and not report.removed
    assert paragraph(store, "seilbahn#1").text.startswith("Die Stadt Bonn")


def test_a_jsonl_record_whose_id_another_file_holds_is_named_by_its_line(tmp_path, store_settings, embedder):
    """In a large JSONL file the line is the one way to find the record; it had been
    reported with the file alone, in this ingest and in a later one of the file alone."""
    corpus = tmp_path / "corpus"
    first = write(corpus, "bericht.txt", ARTICLE)
    records = [{"id": "kartoffel", "text": "Kartoffeln wachsen gut."}, {"id": "bericht", "text": "Ein anderer."}]
    second = write_jsonl(corpus / "more.jsonl", records)
    store = Chroma(store_settings)
    folder = ingest_paths(store, embedder, [corpus])
    assert sorted(folder.added) == ["bericht", "kartoffel"]
    assert [(f.path, f.line) for f in folder.failed] == [(str(second), 2)]
    alone = ingest_paths(store, embedder, [second])
    assert [str(f) for f in alone.failed] == [f"{second}:2: duplicate article id 'bericht' (first in {first})"]


def test_a_jsonl_record_cannot_take_over_an_id_another_jsonl_file_holds(tmp_path, store_settings, embedder):
    """With the duplicate's line named, the file that holds the id had counted as read, and
    a new file sorted before it took the id over: its citations cited another text."""
    corpus = tmp_path / "corpus"
    write_jsonl(corpus / "b.jsonl", [{"id": "x", "text": "Der Hafen wächst."}, {"id": "y", "text": "Ein Zug fährt."}])
    store = Chroma(store_settings)
    assert sorted(ingest_paths(store, embedder, [corpus]).added) == ["x", "y"]
    write_jsonl(corpus / "a.jsonl", [{"id": "x", "text": "Ein anderer Text."}, {"id": "z", "text": "Neu."}])
    report = ingest_paths(store, embedder, [corpus])
    assert report.added == ["z"] and not report.updated and report.failed
    assert paragraph(store, "x#1").text == "Der Hafen wächst."


def test_a_file_with_an_id_another_file_holds_is_refused_when_ingested_alone(
    tmp_path, store_settings, embedder, monkeypatch
):
    """The folder watcher ingests a changed file alone: had it replaced the article that
    another file holds, each later ingest would flip the text one citation id cites."""
    corpus = tmp_path / "corpus"
    first = write(corpus / "2023", "bericht.txt", ARTICLE)
    second = write(corpus / "2024", "bericht.txt", "Ein anderer Bericht über Kartoffeln. Sie wachsen gut.")
    store = Chroma(store_settings)
    folder = ingest_paths(store, embedder, [corpus])
    assert folder.added == ["bericht"] and [f.path for f in folder.failed] == [str(second)]

    alone = ingest_paths(store, embedder, [second])
    assert not alone.changed
    assert [str(f) for f in alone.failed] == [f"{second}: duplicate article id 'bericht' (first in {first})"]
    assert paragraph(store, "bericht#1").text.startswith("Die Stadt Bonn")

    # The stored file itself, given relative to the working directory, is no duplicate.
    monkeypatch.chdir(tmp_path)
    relative = ingest_paths(store, embedder, [first.relative_to(tmp_path)])
    assert relative.unchanged == ["bericht"] and not relative.failed
    # Nor is a file named twice in one ingest: in its folder and itself, relative and absolute.
    again = ingest_paths(store, embedder, [corpus / "2023", first.relative_to(tmp_path), first])
    assert again.unchanged == ["bericht"] and not again.failed


def test_an_article_whose_file_moved_follows_it(tmp_path, store_settings, embedder):
    corpus = tmp_path / "corpus"
    first = write(corpus / "2023", "bericht.txt", ARTICLE)
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [first])
    (corpus / "archiv").mkdir()
    moved = first.rename(corpus / "archiv" / "bericht.txt")
    report = ingest_paths(store, embedder, [moved])
    assert report.updated == ["bericht"] and not report.failed

    # Now the moved file holds the id; once it is deleted, another file may take it over.
    second = write(corpus / "2024", "bericht.txt", "Ein anderer Bericht über Kartoffeln. Sie wachsen gut.")
    assert f"(first in {moved})" in str(ingest_paths(store, embedder, [second]).failed[0])
    moved.unlink()
    report = ingest_paths(store, embedder, [second])
    assert report.updated == ["bericht"] and not report.failed
    assert paragraph(store, "bericht#1").text.startswith("Ein anderer Bericht")


def test_a_renamed_file_is_a_new_article_whose_paragraphs_are_not_embedded_again(tmp_path, store_settings, embedder):
    """The file's name is the article's id, so a rename removes one article and adds
    another; its paragraphs are the ones stored already, and their vectors are taken
    over (they had all been embedded again)."""
    corpus = tmp_path / "corpus"
    old = write(corpus, "seilbahn.txt", ARTICLE)
    store = Chroma(store_settings)
    first = ingest_paths(store, embedder, [corpus])
    old.rename(corpus / "seilbahn-bonn.txt")
    write(corpus, "kartoffel.txt", "Ein Artikel über Kartoffeln. Sie wachsen gut.")
    report = ingest_paths(store, embedder, [corpus])
    assert (report.added, report.removed) == (["kartoffel", "seilbahn-bonn"], ["seilbahn"])
    assert report.paragraphs_embedded == 1 and first.paragraphs_embedded == 4  # the new article's alone
    assert paragraph(store, "seilbahn-bonn#1").text.startswith("Die Stadt Bonn")
    hits = Searcher.open(store_settings, embedder).search("Wie viel kostet die Seilbahn über den Rhein?").hits
    assert hits[0].para_id == "seilbahn-bonn#2" and "seilbahn" not in {h.article_id for h in hits}


def test_a_jsonl_line_moved_to_another_file_follows_it(tmp_path, store_settings, embedder):
    """Its old file still exists, but the ingest read it without finding the id."""
    corpus = tmp_path / "corpus"
    rows = [{"id": "gut", "text": "Ein Artikel über Kartoffeln."}, {"id": "zug", "text": "Ein Artikel über Züge."}]
    write_jsonl(corpus / "a.jsonl", rows)
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    write_jsonl(corpus / "a.jsonl", rows[:1])
    write_jsonl(corpus / "b.jsonl", rows[1:])
    report = ingest_paths(store, embedder, [corpus])
    assert report.updated == ["zug"] and not report.failed


def ingested_jsonl(tmp_path, store_settings, embedder, name: str, rows: list[dict]):
    """A corpus folder holding ``rows`` as one JSONL file, ingested into a new store."""
    corpus = tmp_path / "corpus"
    write_jsonl(corpus / name, rows)
    store = Chroma(store_settings)
    assert sorted(ingest_paths(store, embedder, [corpus]).added) == sorted(r["id"] for r in rows)
    return corpus, store


def test_a_jsonl_line_moved_out_of_a_file_with_a_broken_line_follows_it(tmp_path, store_settings, embedder):
    """The broken line is reported; it does not hold the moved article back, and what only
    the broken line may hold stays stored."""
    rows = [
        {"id": "gut", "text": "Ein Artikel über Kartoffeln."},
        {"id": "zug", "text": "Ein Artikel über Züge."},
        {"id": "bus", "text": "Ein Artikel über Busse."},
    ]
    corpus, store = ingested_jsonl(tmp_path, store_settings, embedder, "a.jsonl", rows)
    write(corpus, "a.jsonl", json.dumps(rows[0]) + '\n{"id": "bus", "text": "Ein Artikel\n')
    moved = write_jsonl(corpus / "b.jsonl", rows[1:2])
    report = ingest_paths(store, embedder, [corpus])
    assert [(os.path.basename(f.path), f.line, "JSON" in f.reason) for f in report.failed] == [("a.jsonl", 2, True)]
    assert report.updated == ["zug"] and report.unchanged == ["gut"] and not report.removed
    stored = Writer.live(store).committed_articles()
    assert stored["zug"].meta.path == str(moved.resolve())
    assert paragraph(store, "bus#1").text == "Ein Artikel über Busse."


def test_the_same_files_named_from_another_directory_are_the_same_files(
    tmp_path, store_settings, embedder, monkeypatch
):
    """``absatz ingest corpus`` in /srv, then the same folder by its absolute path from
    elsewhere: nothing is rewritten, and a deleted file's article is removed."""
    srv = tmp_path / "srv"
    write(srv / "corpus", "seilbahn.txt", ARTICLE)
    write(srv / "corpus", "zweiter.txt", "Ein zweiter Artikel über Kartoffeln. Sie wachsen gut.")
    store = Chroma(store_settings)
    monkeypatch.chdir(srv)
    assert sorted(ingest_paths(store, embedder, ["corpus"]).added) == ["seilbahn", "zweiter"]
    (srv / "corpus" / "zweiter.txt").unlink()
    monkeypatch.chdir(tmp_path)
    report = ingest_paths(store, embedder, [srv / "corpus"])
    assert report.removed == ["zweiter"] and report.unchanged == ["seilbahn"] and not report.updated
    assert not report.failed


def test_a_store_with_paths_relative_to_the_working_directory_keeps_working(
    tmp_path, store_settings, embedder, monkeypatch
):
    """Stores written before paths were absolute: from the directory they were ingested
    in, the same folder named as before or by its absolute path changes nothing."""
    srv = tmp_path / "srv"
    write(srv / "corpus", "seilbahn.txt", ARTICLE)
    write(srv / "corpus", "zweiter.txt", "Ein zweiter Artikel über Kartoffeln. Sie wachsen gut.")
    store = Chroma(store_settings)
    monkeypatch.chdir(srv)
    with monkeypatch.context() as older:
        older.setattr(ingest.sources, "stored_path", str)
        ingest_paths(store, embedder, ["corpus"])
    assert Writer.live(store).committed_articles()["seilbahn"].meta.path == "corpus/seilbahn.txt"
    assert sorted(ingest_paths(store, embedder, ["corpus"]).unchanged) == ["seilbahn", "zweiter"]
    (srv / "corpus" / "zweiter.txt").unlink()
    report = ingest_paths(store, embedder, [srv / "corpus"])
    assert report.removed == ["zweiter"] and report.unchanged == ["seilbahn"] and not report.failed


def test_a_rebuild_that_would_drop_articles_stops_and_keeps_the_index(tmp_path, store_settings, embedder, capsys):
    corpus = tmp_path / "corpus"
    path = write(corpus, "seilbahn.txt", ARTICLE)
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    # A mistyped folder, an empty one, and a file that turned bad: each would have emptied it.
    with pytest.raises(RebuildRefused, match="corpsu: no such file") as refused:
        ingest_paths(store, embedder, [tmp_path / "corpsu"], full_rebuild=True)
    # Every failure comes along, also across the pipe from the bot's ingest process.
    assert [f.path for f in pickle.loads(pickle.dumps(refused.value)).failed] == [str(tmp_path / "corpsu")]
    (tmp_path / "empty").mkdir()
    with pytest.raises(RebuildRefused, match="no articles found"):
        ingest_paths(store, embedder, [tmp_path / "empty"], full_rebuild=True)
    path.write_bytes(b"\xff\xfe kaputt")
    code, _, err = run_cli(capsys, "ingest", str(corpus), "--rebuild", "--chroma-path", str(store_settings.chroma_path))
    assert code != 0 and "seilbahn.txt" in err and "not UTF-8" in err and "Traceback" not in err
    assert paragraph(store, "seilbahn#1").text.startswith("Die Stadt Bonn")


def test_a_rebuild_leaves_a_collection_whose_name_begins_with_its_own_alone(tmp_path, embedder):
    """A rebuild drops the generations an interrupted one left; it had taken every
    collection named "absatz-…" for one: the live index of "absatz-news" was gone."""
    from absatz import Absatz
    from absatz.settings import Settings

    news = settings_for(tmp_path / "chroma", collection="absatz-news")
    write(tmp_path / "news", "seilbahn.txt", ARTICLE)
    ingest_paths(Chroma(news), embedder, [tmp_path / "news"])
    ingest_paths(Chroma(settings_for(tmp_path / "chroma")), embedder, [CORPUS], full_rebuild=True)
    stats = Absatz(Settings(store=news), embedder=embedder).stats()
    assert stats.articles == 1 and Writer.live(Chroma(news)).committed_articles().keys() == {"seilbahn"}


def test_a_reader_whose_store_is_emptied_says_there_is_no_index(tmp_path, embedder):
    """A Chroma server restarted on an empty folder: a running reader had answered every
    question "not in the corpus", where a process opened then says there is no index."""
    from absatz import Absatz
    from absatz.settings import Settings
    from vectorstore.errors import NoIndex

    store = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(store), embedder, [CORPUS])
    core = Absatz(Settings(store=store, db=tmp_path / "bot.sqlite3"), embedder=embedder)
    assert core.ask("Was kostet ein Brötchen in München?").citations
    chroma = Chroma(store)
    chroma.drop(*chroma.names())  # what the reader finds on the server now
    with pytest.raises(NoIndex, match="no index at"):
        core.ask("Was kostet ein Brötchen in München?")


def test_an_upload_may_be_a_new_stores_first_article(tmp_path, embedder):
    """The upload reads which files hold which ids; in a store never ingested into that
    is none, not "no index": seeding a new deployment by /upload had failed."""
    from absatz import Absatz
    from absatz.settings import Settings
    from ingest.settings import IngestSettings

    settings = Settings(
        store=settings_for(tmp_path / "chroma"),
        ingest=IngestSettings(corpus_dir=tmp_path / "corpus"),
        db=tmp_path / "bot.sqlite3",
    )
    done = Absatz(settings, embedder=embedder).upload("seilbahn.txt", ARTICLE.encode(), actor="admin")
    assert done.report.added == ["seilbahn"]


def test_an_upload_may_replace_a_linked_file_of_its_name(tmp_path):
    """The store names a linked file by its own name; read through the link it had
    seemed another file holding the id, and its own upload was refused."""
    from absatz.corpus import Corpus
    from absatz.db.audit import AuditLog
    from absatz.settings import Settings
    from ingest.settings import IngestSettings
    from ingest.sources import stored_path

    corpus = tmp_path / "corpus"
    write(corpus / "archiv", "seilbahn-2024.txt", ARTICLE)
    (corpus / "seilbahn.txt").symlink_to(corpus / "archiv" / "seilbahn-2024.txt")
    uploads = Corpus(Settings(ingest=IngestSettings(corpus_dir=corpus)), AuditLog(tmp_path / "audit.sqlite3"))
    held = {"seilbahn": stored_path(corpus / "seilbahn.txt")}
    assert uploads.check_upload("seilbahn.txt", ARTICLE.encode(), held)[0] == "seilbahn.txt"


def test_a_rebuild_of_part_of_the_corpus_says_what_it_removed(tmp_path, store_settings, embedder):
    """A rebuild is the whole index: of one file it keeps one article, and its report had
    said "0 removed" of the others."""
    corpus = tmp_path / "corpus"
    one = write(corpus, "seilbahn.txt", ARTICLE)
    write(corpus, "kartoffel.txt", "Ein Artikel über Kartoffeln. Sie wachsen gut.")
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    report = ingest_paths(store, embedder, [one], full_rebuild=True)
    assert (report.added, report.removed) == (["seilbahn"], ["kartoffel"])
    assert Generations(store).read().last_ingest_summary.startswith("1 added, 0 updated, 1 removed")
    # a store missing a collection is told to rebuild: the rebuild is not stopped by it
    store.drop(f"{Generations(store).read().live}.sentences")
    report = ingest_paths(store, embedder, [corpus], full_rebuild=True)
    assert sorted(report.added) == ["kartoffel", "seilbahn"] and report.removed == []


def test_the_last_ingest_reads_in_the_readers_language(built_store):
    """The store keeps the last ingest as one English line, and /stats had shown it as
    such under German labels ("Letzter Ingest: 9 added, 0 updated, …")."""
    from absatz import Absatz
    from absatz.settings import Settings
    from bot.cogs.stats import last_change_text

    stats = Absatz(Settings(store=built_store)).stats()
    assert stats.last_change is not None
    key, counts = stats.last_change
    assert key == "stats_ingest_counts" and counts["added"] == stats.articles and counts["failed"] == 0
    german = last_change_text(stats, "de")
    assert german.startswith(f"{stats.articles} neu, 0 geändert, 0 entfernt") and "added" not in german
    assert last_change_text(stats, "en") == stats.last_ingest_summary


def test_a_removal_and_an_import_read_in_the_readers_language(tmp_path, embedder):
    """After a /remove or an import /stats had shown German readers the stored English
    line ("removed 2025-06-baeckerei-preise", "imported from backup.jsonl")."""
    from absatz import Absatz
    from absatz.settings import Settings
    from bot.cogs.stats import last_change_text

    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    core = Absatz(Settings(store=settings_for(tmp_path / "chroma"), db=tmp_path / "bot.sqlite3"), embedder=embedder)
    core.ingest([corpus], actor="test")
    core.remove("2025-06-baeckerei-preise", actor="test")
    removed = core.stats()
    assert last_change_text(removed, "de") == "Artikel 2025-06-baeckerei-preise entfernt"
    assert last_change_text(removed, "en") == "article 2025-06-baeckerei-preise removed"
    backup = tmp_path / "sicherung_1.jsonl"
    with backup.open("w", encoding="utf-8") as out:
        core.export(out)
    core.import_(backup, actor="test", replace=True)
    imported = core.stats()
    assert last_change_text(imported, "de") == "importiert aus sicherung\\_1.jsonl"  # as Markdown: the name as written
    assert imported.last_ingest_summary == "imported from sicherung_1.jsonl"


def test_a_folder_that_cannot_be_listed_keeps_what_was_stored_from_it(tmp_path, store_settings, embedder, monkeypatch):
    corpus = tmp_path / "corpus"
    write(corpus, "seilbahn.txt", ARTICLE)
    write(corpus / "archiv", "zweiter.txt", "Ein zweiter Artikel über Kartoffeln. Sie wachsen gut.")
    store = Chroma(store_settings)
    assert sorted(ingest_paths(store, embedder, [corpus]).added) == ["seilbahn", "zweiter"]
    real_walk = os.walk

    def walk_without_permission(top, onerror=None, **kwargs):
        # As root (CI) chmod cannot forbid listing a folder: the walk reports it instead.
        for dirpath, dirnames, filenames in real_walk(top, onerror=onerror, **kwargs):
            if "archiv" in dirnames:
                dirnames.remove("archiv")
                if onerror is not None:
                    onerror(PermissionError(13, "Permission denied", os.path.join(dirpath, "archiv")))
            yield dirpath, dirnames, filenames

    monkeypatch.setattr(ingest.sources.os, "walk", walk_without_permission)
    report = ingest_paths(store, embedder, [corpus])
    assert not report.removed and report.unchanged == ["seilbahn"]
    assert "archiv" in str(report.failed[0]) and "Permission denied" in str(report.failed[0])
    assert paragraph(store, "zweiter#1").text.startswith("Ein zweiter Artikel")


def test_an_article_deleted_from_a_jsonl_file_goes_though_another_line_is_broken(tmp_path, store_settings, embedder):
    """A broken line that names its id holds back only that id: "kiel", deleted from the
    file, had stayed and been cited as long as any line of the file failed. A broken line
    that names no id (malformed JSON) may hold anything the file held: all of it stays."""
    rows = [
        {"id": "ulm", "text": "Die Stadt Ulm baut eine neue Brücke über die Donau."},
        {"id": "kiel", "text": "In Kiel eröffnet ein neues Hallenbad mit acht Bahnen."},
        {"id": "bonn", "text": "In Bonn schließt die alte Stadthalle."},
    ]
    corpus, store = ingested_jsonl(tmp_path, store_settings, embedder, "news.jsonl", rows)
    # kiel deleted; bonn's line broken but naming its id
    write(corpus, "news.jsonl", json.dumps(rows[0]) + "\n" + json.dumps({"id": "bonn", "paragraphs": []}) + "\n")
    report = ingest_paths(store, embedder, [corpus])
    assert [(f.line, f.reason) for f in report.failed] == [(2, "no body paragraphs")]
    assert report.removed == ["kiel"] and report.unchanged == ["ulm"]
    assert paragraph(store, "bonn#1").text == "In Bonn schließt die alte Stadthalle."  # held back by its line
    # a line that names no id: nothing more is removed
    write(corpus, "news.jsonl", '{"id": "bonn", "text": \n')
    report = ingest_paths(store, embedder, [corpus])
    assert report.removed == [] and paragraph(store, "ulm#1").text.startswith("Die Stadt Ulm")


def test_a_jsonl_line_that_is_not_text_fails_alone(tmp_path, store_settings, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, "seilbahn.txt", ARTICLE)
    lines = [
        json.dumps({"id": "gut", "text": "Ein Artikel über Kartoffeln. Sie wachsen gut."}),
        '{"id": "kaputt", "text": "A \\ud800 b"}',  # an escaped lone surrogate
        "[" * 100_000 + "]" * 100_000,
    ]
    write(corpus, "feed.jsonl", "\n".join(lines))
    report = ingest_paths(Chroma(store_settings), embedder, [corpus])
    assert sorted(report.added) == ["gut", "seilbahn"]
    assert [(f.line, "surrogate" in f.reason or "nested" in f.reason) for f in report.failed] == [(2, True), (3, True)]


def test_a_jsonl_file_emptied_to_blank_lines_keeps_what_was_stored(tmp_path, store_settings, embedder):
    """A 0-byte file was a failure that kept its articles; a file holding one line break
    had removed them all."""
    corpus = tmp_path / "corpus"
    rows = [{"id": "kartoffel", "text": "Ein Artikel über Kartoffeln."}, {"id": "seilbahn", "text": ARTICLE}]
    path = write_jsonl(corpus / "feed.jsonl", rows)
    store = Chroma(store_settings)
    assert sorted(ingest_paths(store, embedder, [corpus]).added) == ["kartoffel", "seilbahn"]
    path.write_text("\n", encoding="utf-8")
    report = ingest_paths(store, embedder, [corpus])
    assert report.removed == []
    assert [(f.line, f.reason) for f in report.failed] == [(None, "file holds only blank lines")]
    assert paragraph(store, "kartoffel#1").text == "Ein Artikel über Kartoffeln."


def test_a_named_file_that_is_no_article_file_is_refused(tmp_path, store_settings, capsys):
    """In a folder it is passed over; named on its own it had been stored as one article of
    raw JSON or CSV."""
    data = write(tmp_path, "artikel.json", json.dumps([{"id": "a1", "text": "Ein Artikel über Köln."}]))
    good = write(tmp_path, "seilbahn.txt", ARTICLE)
    code, out, _ = run_cli(
        capsys, "ingest", str(data), str(good), "--chroma-path", str(store_settings.chroma_path), "--json"
    )
    report = json.loads(out)
    assert code == 1 and report["added"] == 1
    assert [(os.path.basename(f["path"]), f["reason"]) for f in report["failed"]] == [
        ("artikel.json", "not an article file: only .txt, .md, .jsonl are ingested")
    ]


@needs_seed
def test_ingest_json_summary_fields(tmp_path, store_settings, capsys):
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    code, out, _ = run_cli(capsys, "ingest", str(corpus), "--chroma-path", str(store_settings.chroma_path), "--json")
    (summary,) = json_lines(out)
    assert code == 0
    assert set(summary) == {
        "added",
        "updated",
        "removed",
        "unchanged",
        "failed",
        "paragraphs_embedded",
        "units_embedded",
        "seconds",
        "warnings",
    }
    assert summary["added"] == 1 and summary["paragraphs_embedded"] == 11 and summary["failed"] == []
    assert summary["warnings"] == []


def test_replaced_versions_within_one_second_are_all_kept(tmp_path):
    from ingest.corpus import trash_replaced

    kept = [trash_replaced(tmp_path, "news.jsonl", f"version {n}\n".encode()) for n in range(3)]
    assert sorted(p.read_text(encoding="utf-8") for p in kept) == [f"version {n}\n" for n in range(3)]


def test_boilerplate_repeated_as_paragraphs_does_not_switch_refusals_off(
    tmp_path, corpus_dir, store_settings, embedder
):
    """Three hundred paragraphs of one boilerplate line had filled every question's
    passage pool: every margin was zero, the threshold calibrated on them fell to zero,
    and "Wie hoch ist der Eiffelturm?" was answered from the rail article. Boilerplate is
    no news: it is never a hit, not even for its own words."""
    from absatz.answer import answer
    from vectorstore.search import Searcher, lexical_candidates

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    line = "Mehr zum Thema: Aktuelle Nachrichten aus der Region und der Welt finden Sie auf unserer Startseite."
    write(corpus, "2025-07-boilerplate.txt", "date 2025-07 Boilerplate\n\n" + "\n\n".join([line] * 300) + "\n")
    flood = "Das Hochwasser in der Region Passau hat seinen Höchststand erreicht."
    write(corpus, "2025-07-hochwasser.txt", f"date 2025-07 PASSAU - {flood}\n")
    ingest_paths(Chroma(store_settings), embedder, [corpus])
    searcher = Searcher.open(store_settings, embedder)
    assert searcher.view().pointer.abstain_threshold > 0.05
    assert answer(searcher, "Wie hoch ist der Eiffelturm?").abstained
    hits = searcher.search("Wo finde ich aktuelle Nachrichten aus der Region?", k=5).hits
    assert hits and not any(line in h.passage for h in hits)
    # BM25 ranks the 300 copies first; it looks past them to the news that shares a word
    index = searcher.view().index
    found = [index.vectors.para_id(p) for p in lexical_candidates(index, "Nachrichten aus der Region", None)]
    assert found == ["2025-07-hochwasser#1"]


ACCOUNTS = "".join(
    f"{user}:x:{uid}:{uid}:{user}:/var/{user}:/usr/sbin/nologin\n"
    for uid, user in enumerate(
        ["root", "daemon", "bin", "sys", "games", "man", "lp", "mail", "news", "proxy", "backup"]
    )
)
NEWSLETTER = (
    "Abonnieren Sie unseren Newsletter und verpassen Sie keine Nachrichten mehr. Alle Inhalte sind "
    "urheberrechtlich geschützt, eine Weiterverwendung ist nur mit Genehmigung der Redaktion erlaubt."
)


def test_boilerplate_under_a_page_raises_the_threshold_no_more_than_the_page_alone(
    tmp_path, corpus_dir, store_settings, embedder
):
    """A newsletter line reads like an answer to everyday questions ("How do I bake
    sourdough bread?"), so the off-topic probes found it nearest and the threshold that
    refuses real questions rose: beside the sample and seed, an imprint page repeating it
    300 times raised it from 0.127 to 0.236, twice what the page's heading alone does."""
    from vectorstore.search import Searcher

    line = NEWSLETTER
    thresholds = []
    for copies in (0, 300):
        corpus = tmp_path / f"corpus-{copies}"
        shutil.copytree(corpus_dir, corpus)
        write(corpus, "impressum.txt", "date 2025-01 Hinweis - Impressum\n\n" + "\n\n".join([line] * copies) + "\n")
        settings = store_settings.with_overrides(chroma_path=tmp_path / f"chroma-{copies}")
        ingest_paths(Chroma(settings), embedder, [corpus])
        searcher = Searcher.open(settings, embedder)
        thresholds.append(searcher.view().pointer.abstain_threshold)
    page_alone, with_boilerplate = thresholds
    assert with_boilerplate < page_alone + 0.01, thresholds
    assert not any(line in h.passage for h in searcher.search("How do I bake sourdough bread?", k=5).hits)


@pytest.mark.parametrize(
    ("name", "text", "suspect"),
    [
        ("konten.txt", ACCOUNTS, "konten"),
        ("impressum.txt", f"date 2025-01 Hinweis - Impressum\n\n{NEWSLETTER}\n", "impressum"),
    ],
)
def test_a_first_ingest_that_sets_the_threshold_above_news_says_so(
    tmp_path, corpus_dir, store_settings, embedder, capsys, name, text, suspect
):
    """Only a rise over the store's own threshold was reported: ingested all at once, a
    newsletter line or /etc/passwd beside the news set it silently (0.127 → 0.235, 0.195)
    and answerable questions were refused."""
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    write(corpus, name, text)
    code, out, err = run_cli(capsys, "ingest", str(corpus), "--chroma-path", str(store_settings.chroma_path))
    assert code == 0 and "warning: the abstention threshold is 0." in err, err
    assert f"{suspect} is the nearest match to " in err


def test_a_small_store_above_the_ceiling_is_told_once_and_blames_no_innocent_article():
    """Each later ingest into a store of fewer than 5 articles warned again, naming
    whichever new article a few probes found nearest, though /etc/passwd drew the most."""
    from vectorstore.evidence import threshold_rise

    e5 = "bundled:multilingual-e5-small"
    nearest = ["passwd"] * 26 + ["harz"] * 16 + ["museum"] * 2
    first = threshold_rise(None, 0.250, 0, nearest, {"passwd", "harz"}, e5)
    assert first is not None and first.suspect == ("passwd", 26)
    assert threshold_rise(0.250, 0.254, 2, nearest, {"museum"}, e5) is None
    later = threshold_rise(0.120, 0.254, 2, nearest, {"museum"}, e5)
    assert later is not None and later.suspect is None
    assert threshold_rise(None, 0.250, 0, nearest, {"passwd"}, "intfloat/multilingual-e5-small") is None


def test_a_small_store_above_the_ceiling_is_told_of_another_jump_and_of_a_tied_suspect():
    """A store of fewer than 5 articles already above the ceiling stayed silent however far
    the threshold jumped again; and a changed article tied for the most probes was named
    or not by the order the probes came in."""
    from vectorstore.evidence import threshold_rise

    e5 = "bundled:multilingual-e5-small"
    again = threshold_rise(0.200, 0.300, 3, ["csv"] * 30 + ["harz"] * 14, {"csv"}, e5)
    assert again is not None and (again.before, again.suspect) == (0.200, ("csv", 30))
    innocent = threshold_rise(0.200, 0.300, 2, ["passwd"] * 26 + ["harz"] * 16 + ["museum"] * 2, {"museum"}, e5)
    assert innocent is not None and innocent.suspect is None
    tied = ["harz"] * 20 + ["passwd"] * 20 + ["museum"] * 4
    for nearest in (tied, tied[::-1]):
        first = threshold_rise(None, 0.250, 0, nearest, {"passwd"}, e5)
        assert first is not None and first.suspect == ("passwd", 20)


def test_a_lead_published_again_is_listed_once_from_the_newest_report(tmp_path, store_settings, embedder):
    """Also when three reports repeat it: news published again is no boilerplate."""
    from vectorstore.search import Searcher

    lead = "Die Gewerkschaft ruft die Lokführer bundesweit zu einem dreitägigen Streik auf."
    write(tmp_path, "2024-01-streik.txt", f"date 2024-01 Streik\n\n{lead}\n\nDer Fernverkehr steht still.\n")
    write(tmp_path, "2024-03-streik.txt", f"date 2024-03 Streik\n\n{lead}\n\nDie Bahn bietet Ersatzzüge an.\n")
    write(tmp_path, "2024-02-streik.txt", f"date 2024-02 Streik\n\n{lead}\n\nPendler steigen auf Busse um.\n")
    ingest_paths(Chroma(store_settings), embedder, [tmp_path])
    hits = Searcher.open(store_settings, embedder).search("Streik der Lokführer", k=5).hits
    leads = [h.para_id for h in hits if h.sentences and h.sentences[0].text == lead]
    assert leads == ["2024-03-streik#2"]


def test_sections_that_read_the_same_are_no_boilerplate(tmp_path, store_settings, embedder):
    from vectorstore.search import Searcher

    body = "".join(
        f"\n\n{match}\n\nDas Spiel wurde abgesagt." for match in ("Rapid - Sturm", "LASK - Austria", "WAC - Salzburg")
    )
    write(tmp_path, "2025-02-frost.txt", f"date 2025-02 WIEN - Frost legt die Bundesliga lahm.{body}\n")
    write(tmp_path, "2025-02-oper.txt", "date 2025-02 WIEN - Die Staatsoper zeigt eine neue Tosca.\n")
    ingest_paths(Chroma(store_settings), embedder, [tmp_path])
    hits = Searcher.open(store_settings, embedder).search("Welches Spiel wurde abgesagt?", k=5).hits
    assert hits[0].article_id == "2025-02-frost" and hits[0].sentences[0].text == "Das Spiel wurde abgesagt."


def test_a_repeated_sentence_or_a_text_like_everything_does_not_silently_sink_answers(
    tmp_path, corpus_dir, store_settings, embedder, capsys
):
    """One sentence repeated a thousand times had filled the background of every question
    near it, so the sample's questions were refused; it now counts once. A file that is
    not prose (/etc/passwd) raises the abstention threshold: the admin is told, and which
    file it is likely to be."""
    from absatz.answer import answer
    from vectorstore.search import Searcher

    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    store = Chroma(store_settings)
    assert ingest_paths(store, embedder, [corpus]).warnings == []
    sentence = "Die Bahn hat die Strecke zwischen den beiden Städten wieder freigegeben. "
    write(corpus, "wiederholt.txt", "Wiederholung\n\n" + sentence * 1200 + "\n")
    assert ingest_paths(store, embedder, [corpus]).warnings == []
    if SEED.exists():
        a = answer(Searcher.open(store_settings, embedder), "Wie weit flogen die Raketen?")
        assert not a.abstained and "650 Kilometer" in a.answer
    write(corpus, "konten.txt", ACCOUNTS)
    code, out, err = run_cli(capsys, "ingest", str(corpus), "--chroma-path", str(store_settings.chroma_path))
    assert code == 0 and out.startswith("1 added")
    assert "warning: the abstention threshold rose from " in err
    assert "konten is the nearest match to " in err
