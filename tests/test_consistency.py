"""Serving while ingesting, rebuild switch-over, and kill-and-resume of a real ingest."""

from __future__ import annotations

import json
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import ingest.pipeline as pipeline
from absatz.answer import answer
from ingest.passages import article_hash, units_for
from ingest.pipeline import ingest_paths
from ingest.sources import load_articles
from vectorstore.chroma import Chroma
from vectorstore.generations import Generations
from vectorstore.readindex import index_dir
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings

from .conftest import ROOT, vector_folders

OLD = "Die Fähre nach Helgoland fährt ab Mai täglich um neun Uhr. Tickets kosten 40 Euro.\n\nDer Hafen wird saniert."
NEW = "Die Fähre nach Helgoland fährt ab Juni stündlich. Tickets kosten 55 Euro.\n\nDer Hafen wird saniert."


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def ferry_and_zoo(tmp_path, store_settings, embedder) -> tuple[Path, Chroma, Searcher]:
    """A corpus folder of two articles, ingested, and a reader opened on it."""
    corpus = tmp_path / "corpus"
    write(corpus, "faehre.txt", OLD)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt zwei Eisbären. Sie kommen aus Finnland.")
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    return corpus, store, Searcher(Chroma(store_settings), embedder)


def test_readers_see_the_old_or_the_new_version_never_a_mix(tmp_path, store_settings, embedder, monkeypatch):
    corpus, store, reader = ferry_and_zoo(tmp_path, store_settings, embedder)
    assert "40 Euro" in reader.search("Was kostet das Ticket für die Fähre nach Helgoland?", k=1).hits[0].passage

    write(corpus, "faehre.txt", NEW)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt drei Eisbären. Sie kommen aus Norwegen.")
    monkeypatch.setattr(pipeline, "EMBED_BATCH", 1)  # one article per write: observe between them
    seen: list[tuple[str, str]] = []

    def observe(done, total, _):
        if 0 < done < total:
            hit = reader.search("Was kostet das Ticket für die Fähre nach Helgoland?", k=1).hits[0]
            full = reader.view().index.paragraph(hit.para_id).text
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
    assert "55 Euro" in reader.view().index.paragraph(after.para_id).text


def cut_short(segment: Path, name: str) -> None:
    """What a crash leaves of a file written but not yet on the disk."""
    paths = [p for p in sorted(segment.rglob("*")) if p.is_file()] if name == "every file" else [segment / name]
    for path in paths:
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 3])


@pytest.mark.parametrize("damage", ["segment", "bm25", "every file", "segment.json", "a_id.txt", "bm25/terms.txt"])
def test_a_damaged_search_index_is_built_again_from_the_store(tmp_path, store_settings, embedder, damage):
    """The search index is derived: a segment (or its BM25 folder) deleted by hand had
    made every search fail with "keeps changing under this reader", and no ingest repaired it.
    Files cut short had been a traceback for every command (the header, the vectors), or a
    citation without its article (the ids) or a keyword search finding nothing (the terms)."""
    corpus = tmp_path / "corpus"
    write(corpus, "faehre.txt", OLD)
    ingest_paths(Chroma(store_settings), embedder, [corpus])
    segments = list(index_dir(store_settings).glob("seg-*"))
    assert segments
    for segment in segments:
        if damage in ("segment", "bm25"):
            shutil.rmtree(segment if damage == "segment" else segment / "bm25")
        else:
            cut_short(segment, damage)
    reader = Searcher.open(store_settings, embedder)  # a process started now
    question = "Was kostet das Ticket für die Fähre nach Helgoland?"
    assert "40 Euro" in reader.search(question, k=1).hits[0].passage
    assert [pid for pid, _ in reader.view().index.lexical_paragraphs("Helgoland Tickets", 1)] == ["faehre#1"]


def test_what_a_failed_run_committed_is_announced_by_the_next_run_whatever_it_ingests(
    tmp_path, store_settings, embedder, monkeypatch
):
    """A live batch that died before it announced, then another batch announced: the
    second's announcement made the first's article visible, but neither run reported it,
    so the news channel and follows never heard of it. A writer whose clock runs ahead
    (another host, within CLOCK_SLACK_S) must not make a later run claim what it did not change."""
    import vectorstore.writer

    corpus = tmp_path / "corpus"
    store = Chroma(store_settings)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt zwei Eisbären. Sie kommen aus Finnland.")
    ahead = vectorstore.writer.time
    monkeypatch.setattr(
        vectorstore.writer, "time", type("Ahead", (), {"time": staticmethod(lambda: ahead.time() + 120)})
    )
    assert ingest_paths(store, embedder, [corpus / "zoo.txt"]).added == ["zoo"]
    monkeypatch.setattr(vectorstore.writer, "time", ahead)
    write(corpus, "faehre.txt", OLD)
    announce = pipeline.announce

    def killed(*args, **kwargs):
        raise RuntimeError("killed before announcing")

    monkeypatch.setattr(pipeline, "announce", killed)
    with pytest.raises(RuntimeError):
        ingest_paths(store, embedder, [corpus / "faehre.txt"])
    monkeypatch.setattr(pipeline, "announce", announce)
    write(
        corpus, "bahn.txt", "Die Bahnstrecke von Erfurt nach Kassel wird 2031 fertig. Sie kostet 6,8 Milliarden Euro."
    )
    report = ingest_paths(store, embedder, [corpus / "bahn.txt"])
    assert report.added == ["bahn", "faehre"] and not report.updated
    for name in ("faehre.txt", "zoo.txt"):
        again = ingest_paths(store, embedder, [corpus / name])
        assert not again.added and not again.updated and again.unchanged == [name.removesuffix(".txt")]


def test_what_a_failed_run_removed_is_announced_by_the_next_run_as_removed(
    tmp_path, store_settings, embedder, monkeypatch
):
    """A run that removed an article and died before it announced: the next run's
    announcement stopped serving it, but no run listed it as removed, so the news channel,
    follows and the summary never said it was gone. An article the killed run updated and
    this run removes is this run's removal alone, listed once."""
    corpus = tmp_path / "corpus"
    store = Chroma(store_settings)
    write(corpus, "faehre.txt", OLD)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt zwei Eisbären. Sie kommen aus Finnland.")
    assert ingest_paths(store, embedder, [corpus]).added == ["faehre", "zoo"]
    (corpus / "faehre.txt").unlink()
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt drei Eisbären. Sie kommen aus Norwegen.")
    announce = pipeline.announce

    def killed(*args, **kwargs):
        raise RuntimeError("killed before announcing")

    monkeypatch.setattr(pipeline, "announce", killed)
    with pytest.raises(RuntimeError):
        ingest_paths(store, embedder, [corpus])
    monkeypatch.setattr(pipeline, "announce", announce)
    (corpus / "zoo.txt").unlink()
    write(
        corpus, "bahn.txt", "Die Bahnstrecke von Erfurt nach Kassel wird 2031 fertig. Sie kostet 6,8 Milliarden Euro."
    )
    report = ingest_paths(store, embedder, [corpus])
    assert report.added == ["bahn"] and not report.updated and report.removed == ["zoo", "faehre"]
    again = ingest_paths(store, embedder, [corpus])
    assert not again.changed and again.unchanged == ["bahn"]


def test_rebuild_serves_the_old_index_until_the_new_one_is_complete(tmp_path, store_settings, embedder):
    corpus = tmp_path / "corpus"
    write(corpus, "faehre.txt", OLD)
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt zwei Eisbären. Sie kommen aus Finnland.")
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    old_gen = Generations(store).read().live
    reader = Searcher(Chroma(store_settings), embedder)
    during: list[str] = []

    def observe(done, total, _):
        during.append(Generations(reader.chroma).read().live)
        assert reader.search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"

    report = ingest_paths(store, embedder, [corpus], progress=observe, full_rebuild=True)
    assert report.added == ["faehre", "zoo"] and during and set(during) == {old_gen}
    new_gen = Generations(store).read().live
    assert new_gen != old_gen
    names = set(store.names())
    assert not any(n.startswith(old_gen + ".") for n in names), "the old generation is dropped after the switch"
    assert reader.search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"


def test_a_rebuild_leaves_no_folder_of_the_old_generation(tmp_path, store_settings, embedder):
    """Every rebuild had left a full copy of the vectors on disk: Chroma deletes a
    collection's rows but not its segment folders."""
    corpus, store, reader = ferry_and_zoo(tmp_path, store_settings, embedder)
    assert reader.search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"
    old = vector_folders(store_settings.chroma_path)
    assert old, "the first ingest wrote vector folders"
    stranger = store_settings.chroma_path / "0badcafe-0000-4000-8000-000000000000"  # no segment of ours
    stranger.mkdir()
    (stranger / "keep").write_text("not Chroma's")

    for _ in range(2):
        ingest_paths(store, embedder, [corpus], full_rebuild=True)
        left = vector_folders(store_settings.chroma_path) - {stranger.name}
        assert not old & left, "the old generation's vector folders are removed"
        assert len(left) == len(old), "only the live generation's folders stay"
        old = left
    assert (stranger / "keep").read_text() == "not Chroma's"

    # The running store, a reader opened before, and a reopened store all still answer.
    live = Generations(store).open(Generations(store).read().live)
    probe = embedder.embed_question("Eisbären im Zoo Kiel").tolist()
    assert store.call(live.passages.query, query_embeddings=[probe], n_results=1)["ids"][0]
    assert reader.search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"
    store.close()
    reader.chroma.close()
    shutil.rmtree(index_dir(store_settings))  # read every record back from Chroma
    reopened = Chroma(store_settings)
    assert Searcher(reopened, embedder).search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"
    live = Generations(reopened).open(Generations(reopened).read().live)
    assert reopened.call(live.passages.query, query_embeddings=[probe], n_results=1)["ids"][0]


def test_a_vector_folder_that_cannot_be_removed_does_not_fail_the_rebuild(
    tmp_path, store_settings, embedder, monkeypatch, caplog
):
    corpus = tmp_path / "corpus"
    write(corpus, "zoo.txt", "Der Zoo in Kiel bekommt zwei Eisbären. Sie kommen aus Finnland.")
    store = Chroma(store_settings)
    ingest_paths(store, embedder, [corpus])
    old_gen, old = Generations(store).read().live, vector_folders(store_settings.chroma_path)

    rmtree = shutil.rmtree

    def refused(path, *args, **kwargs):
        if Path(path).name in old:
            raise PermissionError(13, "Permission denied", str(path))
        rmtree(path, *args, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", refused)
    assert ingest_paths(store, embedder, [corpus], full_rebuild=True).added == ["zoo"]
    assert Generations(store).read().live != old_gen
    assert old <= vector_folders(store_settings.chroma_path)
    assert "cannot remove" in caplog.text and "Permission denied" in caplog.text
    # A store file that cannot be read: the folders stay, the rebuild completes.
    monkeypatch.setattr("vectorstore.chroma._SEGMENTS_OF", "raise SystemExit('no such table: segments')")
    assert ingest_paths(store, embedder, [corpus], full_rebuild=True).added == ["zoo"]
    assert "cannot tell the folders" in caplog.text and "no such table" in caplog.text
    assert Searcher(store, embedder).search("Eisbären im Zoo Kiel", k=1).hits[0].article_id == "zoo"


# --- kill-and-resume: SIGKILL a real ingest at deterministic points ------------------

ARTICLES = {
    "2024-01-eisbahn": "date 2024-01 ERFURT (absatz-Test, fiktiv) - Die Eisbahn am Domplatz in Erfurt öffnet am "
    "Samstag. Sie bleibt bis Ende Februar geöffnet.\n\nDer Eintritt kostet für Erwachsene 5 Euro. Kinder zahlen "
    "die Hälfte.",
    "2024-02-freibad": "date 2024-02 ULM (absatz-Test, fiktiv) - Das Freibad in Ulm wird für 3 Millionen Euro "
    "saniert. Die Arbeiten beginnen im März.\n\nNach der Sanierung kostet der Eintritt ins Freibad 4 Euro. Das "
    "Becken wird beheizt.",
    "2024-03-radweg": "date 2024-03 KASSEL (absatz-Test, fiktiv) - Zwischen Kassel und Baunatal entsteht ein neuer "
    "Radschnellweg. Er ist zwölf Kilometer lang.\n\nDie Strecke soll im Herbst 2025 fertig sein. Das Land zahlt "
    "80 Prozent der Kosten.",
    "2024-04-bibliothek": "date 2024-04 ROSTOCK (absatz-Test, fiktiv) - Die Stadtbibliothek Rostock verleiht ab Mai "
    "auch Werkzeug. Bohrmaschinen und Leitern stehen zur Auswahl.\n\nDie Ausleihe ist für Mitglieder kostenlos. "
    "Ein Jahresausweis kostet 15 Euro.",
    "2024-05-marathon": "date 2024-05 HAMBURG (absatz-Test, fiktiv) - Beim Hamburg-Marathon sind 14.000 Läufer "
    "gestartet. Der Sieger brauchte 2 Stunden und 6 Minuten.\n\nDie Strecke führte an der Alster entlang. Die "
    "Polizei sperrte mehrere Straßen.",
    "2024-06-imkerei": "date 2024-06 GÖRLITZ (absatz-Test, fiktiv) - In Görlitz hat eine Schulimkerei ihren ersten "
    "Honig geerntet. Die Schüler füllten 120 Gläser ab.\n\nDer Honig wird auf dem Wochenmarkt verkauft. Der Erlös "
    "geht an die Klassenkasse.",
}
EDITS = {  # the second round: two articles change one paragraph each, one is removed
    "2024-02-freibad": (
        "kostet der Eintritt ins Freibad 4 Euro. Das Becken wird beheizt.",
        "kostet der Eintritt ins Freibad 6 Euro. Das Becken wird beheizt und bekommt eine Rutsche.",
    ),
    "2024-05-marathon": ("14.000 Läufer", "16.000 Läuferinnen und Läufer"),
}
REMOVED = "2024-06-imkerei"
KILLPOINT_TIMEOUT_S = 900  # generous: the child embeds on a shared, loaded machine


def child_env(tmp_path: Path) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("CHROMA_HOST", "CHROMA_COLLECTION", "INDEX_DIR")}
    return {**env, "BOT_DB": str(tmp_path / "bot.sqlite3"), "PYTHONPATH": str(ROOT)}


def ingest_args(corpus: Path, chroma: Path) -> list[str]:
    return ["ingest", str(corpus), "--chroma-path", str(chroma), "--json"]


def kill_at(point: str, count: int, corpus: Path, chroma: Path, tmp_path: Path) -> str:
    """Run a real CLI ingest in a child until it reports ``point``, then SIGKILL it there."""
    cmd = [sys.executable, "-m", "tests.crash_child", point, str(count), "--", *ingest_args(corpus, chroma)]
    errors = tmp_path / f"child-{point}-{count}.stderr"
    with errors.open("w") as err:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT, env=child_env(tmp_path)
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        try:
            while True:
                try:
                    line = lines.get(timeout=KILLPOINT_TIMEOUT_S)
                except queue.Empty:
                    raise AssertionError(f"no {point} kill point within {KILLPOINT_TIMEOUT_S} s") from None
                if line is None:
                    code = proc.wait(timeout=60)
                    raise AssertionError(
                        f"the ingest ended (exit {code}) before reaching {point} {count}: {errors.read_text()[-2000:]}"
                    )
                if line.startswith("KILLPOINT "):
                    break
            proc.kill()  # SIGKILL, while the child is parked at the kill point
            assert proc.wait(timeout=60) == -9
            return line.split(" ", 2)[2].strip()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=60)


def units_of(article) -> tuple[list[str], list[str]]:
    units = units_for(article)
    return [u.id for u in units if u.kind == "passage"], [u.id for u in units if u.kind == "sentence"]


def of(ids: list[str], article_id: str, article_hash_: str | None = None) -> list[str]:
    """The record ids of one article (of one version when a hash is given), sorted."""
    return sorted(
        i
        for i in ids
        if i.startswith(article_id + "#") and (article_hash_ is None or i.endswith("@" + article_hash_[:10]))
    )


def inspect(chroma: Path, tmp_path: Path) -> dict:
    """What a freshly started process finds in the store (see tests/crash_child.py)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash_child", "inspect", str(chroma)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(tmp_path),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def check_consistent(chroma: Path, corpus: Path, tmp_path: Path, *, complete: bool) -> dict:
    """The invariants that hold after a kill at any point, and (``complete``) after a finished run."""
    state = inspect(chroma, tmp_path)
    articles = {a.id: a for a in load_articles([corpus])[0]}
    committed = state["committed"]
    expected_passages, expected_sentences = [], []
    for aid, h in committed.items():
        # No article in the manifest without all its records: the commit record is written last.
        assert aid in articles and h == article_hash(articles[aid]), aid
        passages, sentences = units_of(articles[aid])
        assert of(state["passages"], aid, h) == sorted(passages), aid
        assert of(state["sentences"], aid, h) == sorted(sentences), aid
        expected_passages += passages
        expected_sentences += sentences
    # What a process opening the store now would search: exactly the committed paragraphs,
    # each passage once, in the vectors and in BM25.
    index = state["index"]
    assert index["hashes"] == committed
    assert sorted(index["para_ids"]) == sorted(f"{aid}#{p.n}" for aid in committed for p in articles[aid].paragraphs)
    assert sorted(index["passages"]) == sorted(
        u.text for aid in committed for u in units_for(articles[aid]) if u.kind == "passage"
    )
    assert index["bm25_missing"] == []
    if complete:
        assert set(committed) == set(articles)
        # No passage duplicated, nothing half-written or superseded left behind.
        assert sorted(state["passages"]) == sorted(expected_passages)
        assert sorted(state["sentences"]) == sorted(expected_sentences)
        saved = state["saved"]
        assert saved is not None and saved["version"] == state["meta"]["corpus_version"]
        assert saved["hashes"] == committed and sorted(saved["para_ids"]) == sorted(index["para_ids"])
    return state


def finish(corpus: Path, chroma: Path, tmp_path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "absatz.cli", *ingest_args(corpus, chroma)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(tmp_path),
        timeout=KILLPOINT_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ingest_killed_at_each_write_stage_is_finished_by_the_next_run(tmp_path, embedder):
    """SIGKILL a real `absatz ingest` mid-write, before a commit, before and after the read
    index is published and mid-prune; each time the store stays consistent, a reader that
    was running keeps answering, and the next run completes the job."""
    corpus, chroma = tmp_path / "corpus", tmp_path / "chroma"
    for name, text in ARTICLES.items():
        write(corpus, f"{name}.txt", text)
    order = load_articles([corpus])[0]  # the order the ingest writes them in
    ids = [a.id for a in order]
    sizes = [units_of(a) for a in order]

    # 1. Mid-article: the third article's sentences are written, its passages are not.
    at = sum(len(p) + len(s) for p, s in sizes[:2]) + len(sizes[2][1])
    assert f"id={ids[2]}#" in kill_at("records", at, corpus, chroma, tmp_path)
    state = check_consistent(chroma, corpus, tmp_path, complete=False)
    assert set(state["committed"]) == set(ids[:2])
    assert of(state["passages"], ids[2]) == [] and of(state["sentences"], ids[2]) == sorted(sizes[2][1]), (
        "the kill landed between two writes of one article"
    )

    # 2. Before a commit: the fourth article is completely written but not committed.
    assert f"article={ids[3]} commits=1" in kill_at("commit", 2, corpus, chroma, tmp_path)
    state = check_consistent(chroma, corpus, tmp_path, complete=False)
    assert set(state["committed"]) == set(ids[:3])
    assert of(state["passages"], ids[3]) == sorted(sizes[3][0])
    assert of(state["sentences"], ids[3]) == sorted(sizes[3][1])

    # 3. Every article committed, the read index neither built nor announced.
    kill_at("publish", 1, corpus, chroma, tmp_path)
    state = check_consistent(chroma, corpus, tmp_path, complete=False)
    assert set(state["committed"]) == set(ids) and "last_ingest" not in state["meta"] and state["saved"] is None

    # Nothing is embedded again, and what the killed runs committed is this run's to announce
    # (the news channel and follows had never heard of it: it had counted as unchanged).
    report = finish(corpus, chroma, tmp_path)
    assert report["added"] == len(ids) and report["unchanged"] == 0 and report["units_embedded"] == 0
    state = check_consistent(chroma, corpus, tmp_path, complete=True)
    first_version = state["meta"]["corpus_version"]
    reader = Searcher.open(StoreSettings(chroma_path=chroma), embedder)  # a bot that keeps running
    question = "Was kostet der Eintritt ins Freibad in Ulm?"
    assert "4 Euro" in answer(reader, question).answer

    # 4. Second round: two articles edited, one removed; killed after the new read index
    #    was saved but before the corpus version moved, so nothing was pruned either.
    for name, (old, new) in EDITS.items():
        path = corpus / f"{name}.txt"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    (corpus / f"{REMOVED}.txt").unlink()
    kill_at("announce", 1, corpus, chroma, tmp_path)
    state = check_consistent(chroma, corpus, tmp_path, complete=False)
    assert state["meta"]["corpus_version"] == first_version != state["saved"]["version"]  # readers not told
    assert REMOVED not in state["committed"] and of(state["passages"], REMOVED) == []
    for article in load_articles([corpus])[0]:
        if article.id in EDITS:
            assert of(state["passages"], article.id) != of(state["passages"], article.id, article_hash(article)), (
                "the superseded version is still stored"
            )
    assert "4 Euro" in answer(reader, question).answer  # still the version it was told about

    # 5. Nothing changed on disk since: the next run must still announce what the killed
    #    run committed, then prune; it is killed after its first delete.
    assert "deletes=1" in kill_at("prune", 1, corpus, chroma, tmp_path)
    state = check_consistent(chroma, corpus, tmp_path, complete=False)
    assert state["meta"]["corpus_version"] not in (first_version, "") and state["saved"]["hashes"] == state["committed"]
    current = [units_of(a) for a in load_articles([corpus])[0]]
    assert len(state["passages"]) + len(state["sentences"]) > sum(len(p) + len(s) for p, s in current), (
        "the kill landed mid-prune"
    )
    assert "6 Euro" in answer(reader, question).answer

    # 6. The next run finishes the prune: nothing duplicated, nothing missing, answers.
    report = finish(corpus, chroma, tmp_path)
    assert report["failed"] == [] and report["unchanged"] == len(ids) - 1 and report["units_embedded"] == 0
    check_consistent(chroma, corpus, tmp_path, complete=True)
    for q, expected in ((question, "6 Euro"), ("Wie viele Läufer starteten beim Hamburg-Marathon?", "16.000")):
        result = answer(reader, q)
        assert not result.abstained and expected in result.answer

    # 7. Third round: one article removed and one edited, killed before the read index was
    #    built. A removal leaves no commit newer than the last ingest: the next run must
    #    still see that the saved index holds an article Chroma no longer commits. The edit
    #    is announced by the next run as an update: the announced version serves the article;
    #    the removal as a removal (it had been announced unreported).
    gone, edited = [aid for aid in ids if aid not in EDITS and aid != REMOVED][:2]
    (corpus / f"{gone}.txt").unlink()
    path = corpus / f"{edited}.txt"
    path.write_text(path.read_text(encoding="utf-8") + " Die Stadt lädt zur Eröffnung ein.", encoding="utf-8")
    kill_at("publish", 1, corpus, chroma, tmp_path)
    state = check_consistent(chroma, corpus, tmp_path, complete=False)
    assert gone not in state["committed"] and gone in state["saved"]["hashes"]
    report = finish(corpus, chroma, tmp_path)
    assert report["removed"] == 1 and report["added"] == 0 and report["updated"] == 1
    assert report["unchanged"] == len(ids) - 3
    state = check_consistent(chroma, corpus, tmp_path, complete=True)
    assert gone not in state["saved"]["hashes"]
