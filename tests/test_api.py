"""The library as a Python developer calls it (README: "Use it from Python"): found by a
bug hunt of ``Absatz`` and ``AsyncAbsatz`` on copies of the test store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from absatz import Absatz, AbsatzError, AsyncAbsatz, Settings
from absatz.conversation import follow_up_context

ARTICLE = "# Neue Brücke in Dresden\n\nDie neue Elbbrücke in Dresden ist 300 Meter lang und kostet 40 Millionen Euro.\n"


def settings_at(folder: Path, chroma: Path | None = None) -> Settings:
    return Settings.from_env(
        {
            "CHROMA_PATH": str(chroma or folder / "chroma"),
            "BOT_DB": str(folder / "bot.sqlite3"),
            "CORPUS_DIR": str(folder / "corpus"),
        }
    )


@pytest.fixture(scope="module")
def reader(built_store, tmp_path_factory):
    with Absatz(settings_at(tmp_path_factory.mktemp("reader"), built_store.chroma_path)) as absatz:
        yield absatz


@pytest.fixture
def writable(built_store, tmp_path):
    shutil.copytree(built_store.chroma_path, tmp_path / "chroma")
    (tmp_path / "corpus").mkdir()
    with Absatz(settings_at(tmp_path)) as absatz:
        yield absatz


def run_script(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CHROMA_PATH", "BOT_DB", "CORPUS_DIR")}
    script = cwd / "script.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    return subprocess.run([sys.executable, str(script)], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_open_reads_the_dot_env_as_the_command_line_does(built_store, tmp_path):
    """The README's example had read the environment alone: "no index at data/chroma/absatz"
    of the store the .env names."""
    (tmp_path / ".env").write_text(f"CHROMA_PATH={built_store.chroma_path}\nBOT_DB={tmp_path / 'b.db'}\n")
    run = run_script("from absatz import Absatz\nwith Absatz.open() as a:\n    print(a.stats().articles)\n", tmp_path)
    assert run.returncode == 0 and int(run.stdout) >= 8, run.stderr[-500:]


def test_a_damaged_store_is_said_at_every_call_and_answers_once_put_back(built_store, tmp_path):
    """chromadb kept the system whose start had failed: the second call was an
    AttributeError from inside it, even after the store was put back."""
    store = tmp_path / "chroma"
    store.mkdir()
    (store / "chroma.sqlite3").write_bytes(b"not a database" * 100)
    absatz = Absatz(settings_at(tmp_path))
    for _ in range(2):
        with pytest.raises(AbsatzError):
            absatz.stats()
    shutil.rmtree(store)
    shutil.copytree(built_store.chroma_path, store)  # the backup put back
    assert absatz.stats().articles >= 8


def test_paths_histories_and_ids_are_taken_as_a_person_writes_them(writable, reader):
    """A folder as one string had been read as one path per character; one earlier
    question as a string, character by character; an import's path as text had been an
    AttributeError; an id with spaces around it, as source takes it, unknown."""
    corpus = writable.settings.ingest.corpus_dir
    (corpus / "bruecke.md").write_text(ARTICLE, encoding="utf-8")
    assert writable.ingest([], actor="script").added == []  # no files: nothing, not all of CORPUS_DIR
    report = writable.ingest(str(corpus), actor="script")
    assert report.added == ["bruecke"] and not report.failed
    earlier = "Was kostet ein Brötchen in München?"
    assert (
        reader.ask("Und in Berlin?", history=earlier).answer == reader.ask("Und in Berlin?", history=[earlier]).answer
    )
    backup = corpus.parent / "backup.jsonl"
    with open(backup, "w", encoding="utf-8") as out:
        writable.export(out)
    assert writable.import_(str(backup), actor="script", replace=True)["replaced"] >= 9
    assert reader.article(" 2025-06-baeckerei-preise ").article_id == "2025-06-baeckerei-preise"


def test_a_long_history_is_read_as_the_bot_and_the_chat_read_one(reader):
    """An app passing every question its user asked had each searched again for every
    answer (sixty earlier questions: minutes), and read otherwise than the bot reads them."""
    turns = ["Was kostet ein Brötchen in München?", "Wer hat das Pokalfinale gewonnen?", "Wo gilt Tempo 30?"]
    history = (turns * 20)[:60]
    question = "Und wie viele Betriebe gibt es?"
    bounded = reader.ask(question, history=follow_up_context(history, history[0]))
    assert reader.ask(question, history=history).answer == bounded.answer


@pytest.mark.parametrize("call", ["stored_paths", "remove"])
def test_a_mistyped_store_path_is_no_new_store(tmp_path, call):
    typo = tmp_path / "dta" / "chroma"
    absatz = Absatz(settings_at(tmp_path, typo))
    if call == "stored_paths":
        assert absatz.stored_paths() == {}
    else:
        with pytest.raises(AbsatzError, match="no index"):
            absatz.remove("2025-06-baeckerei-preise", actor="script")
    assert not typo.exists()


async def test_the_async_twin_takes_what_absatz_takes_and_says_when_it_is_closed(built_store, tmp_path):
    """It had no ``k``, no ``export`` or ``import_``, no ``async with``; after ``close`` a
    call had been "cannot schedule new futures after shutdown"."""
    async with AsyncAbsatz(Absatz(settings_at(tmp_path, built_store.chroma_path))) as twin:
        answer = await twin.ask("Was kostet ein Brötchen in München?", k=3)
        assert "65 Cent" in answer.answer
        backup = tmp_path / "backup.jsonl"
        with open(backup, "w", encoding="utf-8") as out:
            counts = await twin.export(out)
        assert counts and backup.stat().st_size > 0
    with pytest.raises(AbsatzError, match="closed"):
        await twin.stats()


def test_an_async_upload_from_a_script_that_is_not_guarded_says_what_to_change(built_store, tmp_path):
    """The ingest process imports the script again, runs its work a second time and dies:
    the error had said only "run it again", which fails again."""
    shutil.copytree(built_store.chroma_path, tmp_path / "chroma")
    (tmp_path / "corpus").mkdir()
    run = run_script(
        f"""
        import asyncio
        from absatz import Absatz, AbsatzError, AsyncAbsatz, Settings
        settings = Settings.from_env({{"CHROMA_PATH": "{tmp_path}/chroma", "BOT_DB": "{tmp_path}/b.db",
                                      "CORPUS_DIR": "{tmp_path}/corpus"}})
        async def main():
            async with AsyncAbsatz(Absatz(settings)) as twin:
                try:
                    await twin.upload("bruecke.md", {ARTICLE.encode()!r}, actor="script")
                except AbsatzError as exc:
                    print("ERROR", exc)
        asyncio.run(main())
        """,
        tmp_path,
    )
    assert 'runs its work when imported: start it under `if __name__ == "__main__":`' in run.stdout, run.stdout


def test_an_upload_given_as_text_is_stored_as_utf8(writable):
    """A str had been a TypeError from deep inside the upload's checks."""
    upload = writable.upload("bruecke.md", ARTICLE, actor="script")
    assert upload.report.added == ["bruecke"]
    assert (writable.settings.ingest.corpus_dir / "bruecke.md").read_text(encoding="utf-8") == ARTICLE


def test_the_search_as_a_langchain_retriever_gives_whole_paragraphs_with_their_citations(reader):
    """LangChain's retriever interface (``invoke``, ``batch``, ``ainvoke``): the paragraphs
    ``search`` ranks, each whole, with what a citation needs."""
    retriever = reader.as_retriever(k=3)
    (docs, also) = retriever.batch(["Was kostet ein Brötchen in München?", "Wie lang ist die neue Bahnstrecke?"])
    best = docs[0]
    paragraph = reader.source(best.metadata["id"]).paragraph
    assert "65 Cent" in best.page_content and best.page_content == paragraph.text and len(docs) == 3
    assert best.metadata["article_id"] == "2025-06-baeckerei-preise" and best.metadata["close"] is True
    assert [d.metadata["id"] for d in docs] == [
        h.para_id for h in reader.search("Was kostet ein Brötchen in München?", k=3).hits
    ]
    assert also[0].metadata["article_id"] == "2024-10-bahn-strecke"
    assert retriever.invoke("") == []
    dated = reader.as_retriever(k=3, until="2024-06").invoke("Was kostet ein Brötchen in München?")
    assert all(d.metadata["date"] <= "2024-06-31" for d in dated)


async def test_the_retriever_answers_on_an_event_loop_too(reader):
    docs = await reader.as_retriever(k=2).ainvoke("Wie lang ist die neue Bahnstrecke?")
    assert docs and docs[0].metadata["article_id"] == "2024-10-bahn-strecke"
