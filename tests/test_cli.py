"""The CLI contract other tools rely on, run in-process and as the real console script."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from absatz.db.feedback import FeedbackStore

from .conftest import ROOT, json_lines, needs_seed, run_cli, settings_for, write_jsonl

SEED_ID = "000_a05d8c91f093345a"


def store_args(settings):
    return ["--chroma-path", str(settings.chroma_path)]


@needs_seed
def test_ask_json_fields(built_store, capsys):
    code, out, _ = run_cli(capsys, "ask", "Wie weit flogen die Raketen?", "--json", *store_args(built_store))
    (obj,) = json_lines(out)
    assert code == 0
    keys = ["question", "answer", "answer_span", "abstained", "citations", "mode", "language", "latency_ms"]
    assert list(obj) == keys and obj["language"] == "de"  # as the README lists them
    c = obj["citations"][0]
    assert {
        "n",
        "id",
        "article_id",
        "paragraph",
        "title",
        "date",
        "dateline",
        "heading",
        "quote",
        "text",
        "score",
    } <= set(c)
    assert c["id"] == f"{SEED_ID}#2" and obj["mode"] == "extractive"


def test_ask_reads_questions_from_stdin(built_store, capsys, monkeypatch):
    import io

    monkeypatch.setattr(
        sys, "stdin", io.StringIO("Was kostet ein Brötchen in München?\r\n\r\nWie backe ich ein Sauerteigbrot?\r\n")
    )  # a file saved on Windows
    code, out, _ = run_cli(capsys, "ask", "--json", *store_args(built_store))
    rows = json_lines(out)
    assert code == 0 and len(rows) == 2
    assert rows[0]["citations"][0]["id"] == "2025-06-baeckerei-preise#1"
    assert rows[1]["abstained"] is True and rows[1]["citations"] == []


def test_chat_reads_a_follow_up_with_the_conversations_first_question_as_the_bot_does(built_store, capsys, monkeypatch):
    """Chat had read each follow-up with the two questions before it: the fourth in a row
    lost the price of a roll and was refused, where the bot answers it. A store that
    fails for a moment is said, and the conversation goes on (it had ended the chat)."""
    import io

    from absatz import api
    from vectorstore.errors import StoreUnavailable

    lines = ["Was kostet ein Brötchen in München?", "Und warum?", "Und vor zwei Jahren?", "Wer sagt das?"]
    lines += ["Und wie viele Betriebe gibt es?", "Und wie viele Betriebe gibt es?", ""]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines)))
    real_ask, asked = api.Absatz.ask, []

    def ask(self, question, **kwargs):
        asked.append(question)
        if len(asked) == 5:  # the server away for a moment
            raise StoreUnavailable("Chroma server http://127.0.0.1:9 is not reachable: connection refused")
        return real_ask(self, question, **kwargs)

    monkeypatch.setattr(api.Absatz, "ask", ask)
    code, out, err = run_cli(capsys, "chat", *store_args(built_store))
    answers = out.split("\n\n")
    assert code == 0 and "absatz: error: Chroma server http://127.0.0.1:9 is not reachable" in err
    assert "2.300" in answers[-2], answers[-2]


def test_chat_lets_a_remark_be_as_the_bot_does_in_a_thread(built_store, capsys, monkeypatch):
    """ "danke!" had been answered with a paragraph of the last subject, and become part of
    the conversation; the bot lets it be. A first message is asked whatever it is."""
    import io

    from absatz import api

    lines = ["Was kostet ein Brötchen in München?", "danke!", "ok", "Und warum?", ""]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines)))
    real_ask, asked = api.Absatz.ask, []

    def ask(self, question, **kwargs):
        asked.append((question, kwargs["history"]))
        return real_ask(self, question, **kwargs)

    monkeypatch.setattr(api.Absatz, "ask", ask)
    code, out, _ = run_cli(capsys, "chat", *store_args(built_store))
    assert code == 0 and [q for q, _ in asked] == ["Was kostet ein Brötchen in München?", "Und warum?"]
    assert asked[1][1] == ["Was kostet ein Brötchen in München?"]


def test_search_echoes_each_stdin_query_without_its_line_end(built_store, capsys, monkeypatch):
    """Queries from a file saved on Windows had been echoed with their "\r"."""
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("Seilbahn Rhein Kosten\r\nBrötchen München\r\n"))
    code, out, _ = run_cli(capsys, "search", "--json", "-k", "1", *store_args(built_store))
    assert code == 0 and [row["query"] for row in json_lines(out)] == ["Seilbahn Rhein Kosten", "Brötchen München"]


def test_search_lists_ranked_paragraphs(built_store, capsys):
    code, out, _ = run_cli(capsys, "search", "Seilbahn Rhein Kosten", "--json", "-k", "3", *store_args(built_store))
    (obj,) = json_lines(out)
    assert code == 0 and len(obj["hits"]) == 3
    scores = [h["score"] for h in obj["hits"]]
    assert scores == sorted(scores, reverse=True)
    code, out, _ = run_cli(capsys, "search", "Elbvertiefung Sauerstoff", *store_args(built_store))
    assert "2024-03-hafen-terminal#3" in out.splitlines()[0]


def test_a_search_that_matches_nothing_closely_says_so(built_store, capsys):
    """Nonsense still ranks the nearest paragraphs; they are not shown as matches."""
    code, out, _ = run_cli(capsys, "search", "Quantenchromodynamik Gluonen", "--json", *store_args(built_store))
    (obj,) = json_lines(out)
    assert code == 0 and obj["hits"] and obj["close"] is False
    code, out, _ = run_cli(capsys, "search", "Quantenchromodynamik Gluonen", *store_args(built_store))
    assert out.startswith("(nothing in the corpus matches closely; the nearest paragraphs:)\n 1. ")
    code, out, _ = run_cli(capsys, "search", "Tempo 30 Köln Blitzer", "--json", *store_args(built_store))
    assert json_lines(out)[0]["close"] is True
    # keywords the best paragraph holds are a close match, though no question
    code, out, _ = run_cli(capsys, "search", "Mommsenstadion", "--json", *store_args(built_store))
    assert json_lines(out)[0]["close"] is True
    # searched as an answer searches: caps lock is no reason to call the best match distant
    code, out, _ = run_cli(
        capsys, "search", "WIE VIEL KOSTET EIN BRÖTCHEN IN MÜNCHEN?", "--json", *store_args(built_store)
    )
    assert json_lines(out)[0]["close"] is True


@needs_seed
def test_source_shows_paragraph_neighbours_and_metadata(built_store, capsys):
    code, out, _ = run_cli(capsys, "source", f"{SEED_ID}#3", "--json", *store_args(built_store))
    obj = json.loads(out)
    assert code == 0
    assert obj["heading"] == "Krabben und Teigtaschen" and obj["text"].startswith("Fünf Stunden")
    assert obj["before"]["paragraph"] == 2 and obj["after"]["paragraph"] == 4
    assert obj["meta"]["dateline"] == "ZIOLKOWSKI"
    code, out, _ = run_cli(capsys, "source", f"{SEED_ID}#3", *store_args(built_store))
    assert "## Krabben und Teigtaschen" in out and "2023-09 · ZIOLKOWSKI (dpa-AFX)" in out
    # the heading opens the cited paragraph's section, so it stands between ¶2 and ¶3
    assert out.index("¶2 ") < out.index("## Krabben und Teigtaschen") < out.index("¶3 ")


def test_source_unknown_id_is_a_clear_error(built_store, capsys):
    code, _, err = run_cli(capsys, "source", f"{SEED_ID}#99", *store_args(built_store))
    assert code == 2 and f"{SEED_ID}#99" in err and "Traceback" not in err
    for typed in ("kein-zitat", f"{SEED_ID}#²"):  # '²' is a digit int() refuses
        code, _, err = run_cli(capsys, "source", typed, *store_args(built_store))
        assert code == 2 and "citation id like" in err and "Traceback" not in err


def test_the_help_says_what_absatz_does_in_words_not_markup(capsys):
    """It had shown the module's docstring: "``absatz …``: … :class:`~absatz.api.Absatz`"."""
    from absatz.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "paragraph" in out and "ask" in out
    assert "``" not in out and ":class:" not in out


def test_stats(built_store, capsys):
    code, out, _ = run_cli(capsys, "stats", "--json", *store_args(built_store))
    s = json.loads(out)
    assert code == 0
    assert s["articles"] >= 8 and s["paragraphs"] >= 35 and s["passages"] >= s["paragraphs"]
    assert s["embedder"] == "bundled:multilingual-e5-small" and s["last_ingest"] != "never"


def test_ask_on_missing_store_says_to_ingest(tmp_path, capsys):
    code, _, err = run_cli(capsys, "ask", "Hallo?", "--chroma-path", str(tmp_path / "none"))
    assert code == 2 and "absatz ingest" in err


def test_console_script_runs(built_store):
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run(
        [exe, "ask", "Wie viele Blitzer will Köln aufstellen?", *store_args(built_store)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "zwölf zusätzliche Blitzer" in proc.stdout and "2025-03-tempo30-koeln#4" in proc.stdout


def test_a_dot_env_that_is_not_utf8_is_one_line_naming_its_line(built_store, tmp_path):
    """chromadb reads ``.env`` as it is imported; one saved by a Latin-1 editor had ended
    every command in a traceback from inside that import."""
    (tmp_path / ".env").write_bytes("LOG_LEVEL=INFO\n# Schlüssel für den Bot\n".encode("latin-1"))
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run(
        [exe, "stats", *store_args(built_store)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == (
        f"absatz: error: {tmp_path / '.env'}: line 2 is not UTF-8 text (byte 0xfc); save the file as UTF-8"
    )
    (tmp_path / ".env").write_text("LOG_LEVEL=INFO\n# Schlüssel für den Bot\n", encoding="utf-8")
    fixed = subprocess.run(
        [exe, "stats", *store_args(built_store)], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert fixed.returncode == 0 and "articles" in fixed.stdout, fixed.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        # the quote left open swallowed the next line: CHROMA_PATH was dropped without a word
        (b'DISCORD_TOKEN="MTabc.def\nCHROMA_PATH="/srv/absatz/chroma"\n', "line 1 (DISCORD_TOKEN) is not NAME=value"),
        (b"CHROMA_PATH=/srv/absatz/chroma\nnur Worte\n", "line 2 is not NAME=value"),
        (b"LOG_LEVEL=INFO\nCHROMA_PATH=/x\x00\n", "line 2 holds a NUL byte"),  # a traceback from os.environ
    ],
)
def test_a_dot_env_line_that_cannot_be_read_stops_the_command_naming_it(tmp_path, content, message):
    """python-dotenv had only warned, once for every reader of the file, and the command
    went on without the dropped variables; the token's value is never shown."""
    (tmp_path / ".env").write_bytes(content)
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run([exe, "stats"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().startswith(f"absatz: error: {tmp_path / '.env'}: {message}")
    assert len(proc.stderr.strip().splitlines()) == 1 and "MTabc" not in proc.stderr


def test_a_path_the_system_refuses_is_one_line_not_a_traceback(capsys, tmp_path):
    """``File name too long`` ended ``absatz ingest`` in a traceback, exit 1 (which means
    "some files failed")."""
    long = "a" * 300
    code, _, err = run_cli(capsys, "ingest", long, "--chroma-path", str(tmp_path / "chroma"))
    assert code == 2 and err.strip() == f"absatz: error: {long}: File name too long"
    code, _, err = run_cli(capsys, "stats", "--chroma-path", str(tmp_path / long))
    assert code == 2 and err.strip().endswith("cannot be used (File name too long)") and "Traceback" not in err


def test_eval_of_no_questions_or_no_articles_is_an_error(capsys, tmp_path):
    """A table of zeros and exit 0 had looked like a run that scored nothing."""
    empty = tmp_path / "leer.jsonl"
    empty.write_text("\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "eval", str(empty))
    assert code == 2 and not out and err.strip() == f"absatz: error: {empty} holds no questions"
    questions = write_jsonl(
        tmp_path / "fragen.jsonl",
        [{"qid": "q1", "question": "Wer?", "article_id": "a", "paragraph": 1, "answers": ["x"]}],
    )
    articles = write_jsonl(tmp_path / "artikel.jsonl", [{"id": "a", "title": "A", "paragraphs": ["Ein Satz."]}])
    code, out, err = run_cli(
        capsys, "eval", str(questions), "--build", str(articles), "--slice", "5:", "--chroma-path", str(tmp_path / "c")
    )
    assert code == 2 and not out and err.strip() == f"absatz: error: {articles}: no articles to index"


def test_every_public_name_of_the_library_loads():
    import absatz

    for name in absatz.__all__:
        assert getattr(absatz, name).__name__ == name
    with pytest.raises(AttributeError):
        _ = absatz.NoSuchThing


def test_serve_without_token_is_one_line_and_status_2(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env here
    code, out, err = run_cli(capsys, "serve")
    assert code == 2 and err.strip().count("\n") == 0 and "DISCORD_TOKEN" in err and "Traceback" not in err


def test_serve_never_prints_the_token(built_store, tmp_path):
    token = "MTIzNDU2Nzg5.secret-token-value.do-not-print"
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run(
        [exe, "-v", "serve", *store_args(built_store)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={**os.environ, "DISCORD_TOKEN": token},
    )
    # No network here: it fails to connect, says so in one line, and never shows the token.
    assert proc.returncode == 2
    assert token not in proc.stdout + proc.stderr and "secret-token" not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_stats_on_a_mistyped_store_path_says_there_is_no_index_and_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "chroam"
    code, out, err = run_cli(capsys, "stats", "--chroma-path", str(missing))
    assert code == 2 and out == "" and "no index" in err and str(missing) in err and "absatz ingest" in err
    assert not missing.exists()
    # an existing folder that holds no store (``--chroma-path .``) is left as it was
    existing = tmp_path / "notizen"
    existing.mkdir()
    for command in (("stats",), ("ask", "Was kostet das Brot?"), ("export", str(tmp_path / "x.jsonl"))):
        code, out, err = run_cli(capsys, *command, "--chroma-path", str(existing))
        assert code == 2 and "no index" in err and list(existing.iterdir()) == [], command


def test_an_export_that_fails_leaves_the_earlier_backup_of_that_name(tmp_path, capsys, built_store):
    backup = tmp_path / "backup.jsonl"
    code, _, _ = run_cli(capsys, "export", str(backup), "--chroma-path", str(built_store.chroma_path))
    kept = backup.read_bytes()
    assert code == 0 and kept.count(b"\n") > 1
    umask = os.umask(0)
    os.umask(umask)
    assert backup.stat().st_mode & 0o777 == 0o666 & ~umask  # as any file the user writes
    code, _, err = run_cli(capsys, "export", str(backup), "--chroma-path", str(tmp_path / "chroam"))
    assert code == 2 and "no index" in err and backup.read_bytes() == kept
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup")] == []
    code, _, err = run_cli(capsys, "export", str(tmp_path / "nowhere" / "x.jsonl"), "--chroma-path", str(tmp_path))
    assert code == 2 and "cannot write" in err and "nowhere" in err and "Traceback" not in err


@pytest.mark.parametrize("when", ["between two kinds", "between two pages"])
def test_an_export_an_ingest_changed_meanwhile_is_refused_and_keeps_the_earlier_backup(
    tmp_path, capsys, embedder, monkeypatch, when
):
    """Passages, sentences and articles are read one after another, each page by its
    place: an article edited between two kinds had its new commit record exported with
    its old passages (the backup exported fine and failed to import with a traceback);
    edited between two pages, its old version's pruning moved another, untouched
    article's passages past the page already read, and they were missing from the backup."""
    from ingest.pipeline import ingest_paths
    from vectorstore.chroma import Chroma
    from vectorstore.writer import Writer

    def article(word: str) -> str:
        return "\n\n".join(f"Absatz {i} über {word}: In Graz kostet {word} jetzt {i} Euro." for i in range(1, 5))

    store = settings_for(tmp_path / "store")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "brot.txt").write_text(article("Brot"), encoding="utf-8")
    (corpus / "milch.txt").write_text(article("Milch"), encoding="utf-8")
    ingest_paths(Chroma(store), embedder, [corpus])
    backup = tmp_path / "backup.jsonl"
    backup.write_text("an earlier backup\n", encoding="utf-8")
    records, edited = Writer.records, []

    def ingest_meanwhile(self, kind, batch):
        for page in records(self, kind, 2):  # small pages, as a large store has many
            if not edited and (kind, when) in (("sentences", "between two kinds"), ("passages", "between two pages")):
                edited.append(kind)  # the watcher ingests an edited article
                (corpus / "brot.txt").write_text(article("Brötchen"), encoding="utf-8")
                assert ingest_paths(Chroma(store), embedder, [corpus]).updated == ["brot"]
            yield page

    monkeypatch.setattr(Writer, "records", ingest_meanwhile)
    code, out, err = run_cli(capsys, "export", str(backup), "--chroma-path", str(store.chroma_path))
    assert edited and code == 2 and "changed while it was exported" in err and "Traceback" not in err
    assert backup.read_text(encoding="utf-8") == "an earlier backup\n"
    monkeypatch.setattr(Writer, "records", records)
    assert run_cli(capsys, "export", str(backup), "--chroma-path", str(store.chroma_path))[0] == 0  # again: whole
    assert run_cli(capsys, "import", str(backup), "--chroma-path", str(tmp_path / "restored"))[0] == 0


def test_an_export_whose_records_the_index_cannot_read_is_refused_before_anything_changes(
    tmp_path, capsys, built_store
):
    """These had been imported (exit 0, the previous index dropped) into an index that found
    nothing, or whose every `absatz stats` was an OverflowError; or ended in a traceback."""
    good = tmp_path / "good.jsonl"
    assert run_cli(capsys, "export", str(good), *store_args(built_store))[0] == 0
    head, *rows, end = good.read_text(encoding="utf-8").splitlines(keepends=True)
    records = [json.loads(line) for line in rows]
    first = {kind: next(i for i, r in enumerate(records) if r["kind"] == kind) for kind in ("passages", "articles")}
    passage, article = records[first["passages"]], records[first["articles"]]

    def changed(i: int, **metadata) -> list[str]:
        out = [json.dumps(r) + "\n" for r in records]
        out[i] = json.dumps({**records[i], "metadata": {**records[i]["metadata"], **metadata}}) + "\n"
        return out

    without_id = {k: v for k, v in passage["metadata"].items() if k != "article_id"}
    cases = {
        "no-article-id.jsonl": (
            [
                *(json.dumps(r) + "\n" for r in records[: first["passages"]]),
                json.dumps({**passage, "metadata": without_id}) + "\n",
                *(json.dumps(r) + "\n" for r in records[first["passages"] + 1 :]),
            ],
            f":{first['passages'] + 2}: not an absatz export record",
        ),
        "huge.jsonl": (
            changed(first["articles"], n_paragraphs=2**70),
            f":{first['articles'] + 2}: not an absatz export",
        ),
        "words.jsonl": (
            changed(first["passages"], paragraph="eins"),
            f":{first['passages'] + 2}: not an absatz export",
        ),
        "empty-meta.jsonl": (
            [
                *(json.dumps(r) + "\n" for r in records[: first["articles"]]),
                json.dumps({**article, "metadata": {}}) + "\n",
                *(json.dumps(r) + "\n" for r in records[first["articles"] + 1 :]),
            ],
            f":{first['articles'] + 2}: not an absatz export record",
        ),
        "articles-only.jsonl": (
            [json.dumps(r) + "\n" for r in records if r["kind"] == "articles"],
            "has no passages or sentences",
        ),
        # Chroma's own validation had said "the store … failed: …", naming no line
        "nan.jsonl": (
            [
                *(json.dumps(r) + "\n" for r in records[: first["passages"]]),
                json.dumps({**passage, "embedding": [float("nan")] * len(passage["embedding"])}) + "\n",
                *(json.dumps(r) + "\n" for r in records[first["passages"] + 1 :]),
            ],
            f":{first['passages'] + 2}: not an absatz export record",
        ),
        "twice.jsonl": (
            [
                *(json.dumps(r) + "\n" for r in records[: first["passages"] + 1]),
                json.dumps(passage) + "\n",
                *(json.dumps(r) + "\n" for r in records[first["passages"] + 1 :]),
            ],
            f":{first['passages'] + 3}: a second record",
        ),
    }
    counts = json.loads(end)
    target = tmp_path / "target"
    for name, (lines, said) in cases.items():
        closing = end
        if name == "articles-only.jsonl":
            closing = json.dumps({k: {**v, "passages": 0, "sentences": 0} for k, v in counts.items()}) + "\n"
        (tmp_path / name).write_text(head + "".join(lines) + closing, encoding="utf-8")
        code, out, err = run_cli(capsys, "import", str(tmp_path / name), "--chroma-path", str(target))
        assert code == 2 and said in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, (name, err)
    (tmp_path / "inf.jsonl").write_text(head + "".join(rows) + '{"absatz_export_end": {"passages": 1e400}}\n')
    code, _, err = run_cli(capsys, "import", str(tmp_path / "inf.jsonl"), "--chroma-path", str(target))
    assert code == 2 and "not an absatz export record" in err
    foreign = json.loads(head)
    foreign["meta"]["dim"] = 3
    (tmp_path / "dim.jsonl").write_text(json.dumps(foreign) + "\n" + "".join(rows) + end, encoding="utf-8")
    code, _, err = run_cli(capsys, "import", str(tmp_path / "dim.jsonl"), "--chroma-path", str(target))
    assert code == 2 and "vectors have 3 numbers" in err
    assert not target.exists()


def test_a_failed_import_into_a_new_store_leaves_no_folder(tmp_path, capsys, built_store):
    """The ingest lock and Chroma created the store folder before the export was read: a
    failed import left a store folder behind, which the next command took for a store."""
    good = tmp_path / "good.jsonl"
    code, out, _ = run_cli(capsys, "export", str(good), *store_args(built_store))
    exported = json.loads(out)
    assert code == 0 and exported["articles"] >= 9
    bad = {
        "notes.txt": b"just some notes, not an export\n",
        "no-header.jsonl": good.read_bytes().split(b"\n", 1)[1],
        # every record before the last written into Chroma, then a line that is none
        "cut-off.jsonl": b"".join(good.read_bytes().splitlines(keepends=True)[:-1])
        + b'{"kind": "passages", "id": "x"\n',
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        for store in (tmp_path / "new", tmp_path / "not" / "yet" / "there"):
            code, out, err = run_cli(capsys, "import", str(tmp_path / name), "--chroma-path", str(store))
            assert code == 2 and out == "" and name in err and "not an absatz export" in err, err
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1
            assert not store.exists() and not (tmp_path / "not").exists(), name
    # The same folder then takes a good export: this process holds on to nothing of the removed one.
    code, out, err = run_cli(capsys, "import", str(good), "--chroma-path", str(tmp_path / "new"))
    assert code == 0 and json.loads(out) == {"file": str(good), **exported}, err
    code, _, err = run_cli(capsys, "stats", "--chroma-path", str(tmp_path / "new"))
    assert code == 0, err


def test_a_count_beyond_what_the_store_can_hold_is_an_option_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "audit", "-n", "99999999999999999999", "--chroma-path", str(tmp_path))
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "-n" in err and "between 1 and" in err and "Traceback" not in err


def test_a_reader_that_goes_away_ends_the_output_quietly(built_store):
    """More output than a pipe holds (200 queries), read by `head -1`: writing the rest hits a
    closed pipe, which must end the command quietly, not with a traceback."""
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run(
        f"yes 'Was kostet ein Brötchen in München?' | head -200 | "
        f"{exe} search --chroma-path {built_store.chroma_path} -k 10 | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.stdout.count("\n") == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr


def test_an_export_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path, capsys, built_store):
    (tmp_path / "real.jsonl").write_text("older backup\n", encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to("real.jsonl")
    code, _, err = run_cli(capsys, "export", str(tmp_path / "link.jsonl"), *store_args(built_store))
    assert code == 0, err
    assert (tmp_path / "link.jsonl").is_symlink() and os.readlink(tmp_path / "link.jsonl") == "real.jsonl"
    assert (tmp_path / "real.jsonl").read_text(encoding="utf-8").startswith('{"absatz_export"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.jsonl", "real.jsonl"]


@pytest.mark.parametrize("stdout", ["/dev/stdout", "-"])
def test_an_export_to_stdout_piped_into_a_file_can_be_imported(tmp_path, capsys, built_store, stdout):
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run(
        [
            "bash",
            "-o",
            "pipefail",
            "-c",
            f"{exe} export {stdout} --chroma-path {built_store.chroma_path} | cat > piped.jsonl",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0 and f'"file": "{stdout}"' in proc.stderr, proc.stderr
    assert not (tmp_path / "-").exists()
    code, out, err = run_cli(capsys, "import", str(tmp_path / "piped.jsonl"), "--chroma-path", str(tmp_path / "copy"))
    assert code == 0 and json.loads(out)["articles"] == json.loads(proc.stderr)["articles"], err


def test_an_export_with_stdout_closed_writes_its_file_and_succeeds(tmp_path, built_store):
    """A cron job with ``>&-``: there is no stdout to compare the target with, nor to print to."""
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run(
        ["bash", "-c", f"{exe} export out.jsonl --chroma-path {built_store.chroma_path} >&-"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8").startswith('{"absatz_export"')


def test_an_export_to_a_symlink_loop_names_it(tmp_path, capsys, built_store):
    (tmp_path / "loopa").symlink_to("loopb")
    (tmp_path / "loopb").symlink_to("loopa")
    code, _, err = run_cli(capsys, "export", str(tmp_path / "loopa"), *store_args(built_store))
    assert code == 2 and f"cannot write {tmp_path / 'loopa'}" in err and "Traceback" not in err


def test_a_rebuild_stopped_by_failed_files_reports_every_failure_and_exits_1(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "gut.txt").write_text("Die Stadt Bonn baut eine Seilbahn über den Rhein.\n", encoding="utf-8")
    (corpus / "kaputt.jsonl").write_text('{"id": "a", "text": "Hallo Welt."}\n{kaputt\n{"id": "b"}\n', encoding="utf-8")
    store = ["--chroma-path", str(tmp_path / "chroma")]
    code, out, _ = run_cli(capsys, "ingest", str(corpus), "--rebuild", "--json", *store)
    (report,) = json_lines(out)
    assert code == 1 and report["added"] == 0
    assert [(f["path"].endswith("kaputt.jsonl"), f["line"]) for f in report["failed"]] == [(True, 2), (True, 3)]
    code, out, err = run_cli(capsys, "ingest", str(corpus), "--rebuild", *store)
    assert code == 1 and "rebuild stopped, the index is unchanged" in out
    assert "kaputt.jsonl:2" in err and "kaputt.jsonl:3" in err and "Traceback" not in err


def test_a_count_that_is_no_number_says_so(tmp_path, capsys):
    for command, option in (("ask", "-k"), ("search", "-k"), ("audit", "-n"), ("gaps", "--days")):
        with pytest.raises(SystemExit) as exit_:
            run_cli(capsys, command, "x" if command in ("ask", "search") else "--json", option, "abc")
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and f"argument {option}: 'abc' is not a whole number" in err, err
        assert "_positive" not in err


def test_import_refuses_an_embedding_model_since_the_export_names_its_own(tmp_path, capsys):
    export = tmp_path / "index.jsonl"
    export.write_text('{"absatz_export": 1, "meta": {"embedder": "bundled:multilingual-e5-small"}}\n', encoding="utf-8")
    store = tmp_path / "chroma"
    code, _, err = run_cli(capsys, "import", str(export), "--chroma-path", str(store), "--embedding-model", "x/y")
    assert code == 2 and "--embedding-model does not apply to import" in err and not store.exists()


def test_an_empty_name_for_the_store_is_an_option_error(tmp_path, capsys):
    for option in ("--chroma-path", "--chroma-host", "--collection", "--embedding-model"):
        with pytest.raises(SystemExit) as exit_:
            run_cli(capsys, "stats", "--chroma-path", str(tmp_path), option, "")
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and f"argument {option}: must not be empty" in err, err


def test_an_empty_path_or_a_folder_is_named_not_read_as_the_working_directory(tmp_path, capsys):
    """``Path("")`` is the working directory: ``absatz ingest ""`` had ingested whatever
    lay there (other stores' index files included), ``absatz import ""`` a traceback."""
    store = tmp_path / "chroma"
    for args in (("ingest", ""), ("import", ""), ("export", "")):
        with pytest.raises(SystemExit) as exit_:
            run_cli(capsys, *args, "--chroma-path", str(store))
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and "must not be empty" in err and "Traceback" not in err, args
    code, _, err = run_cli(capsys, "import", str(tmp_path), "--chroma-path", str(store))
    assert code == 2 and err.strip() == f"absatz: error: {tmp_path}: not a file (an export is one JSONL file)"
    assert not store.exists()


def test_bytes_that_are_not_utf8_in_a_question_are_no_traceback(built_store):
    """A terminal in Latin-1 sends ``\\xff``: Python holds it as a lone surrogate, which
    printing the question or its error back raised on."""
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    store = ["--chroma-path", str(built_store.chroma_path)]
    runs = [
        ([exe, "search", b"Was \xff kostet", "-k", "1", *store], None, 0),
        ([exe, "source", b"\xff#1", *store], None, 2),
        ([exe, "ask", "--json", *store], b"Wer \xff gewann?\n", 0),
    ]
    for argv, stdin, expected in runs:
        proc = subprocess.run(argv, input=stdin, capture_output=True, timeout=300)
        assert proc.returncode == expected and b"Traceback" not in proc.stderr, proc.stderr.decode()


def test_no_gaps_says_which_questions_it_knows(tmp_path, capsys, built_store):
    """CLI questions are not recorded: 'every question was answered' would be untrue after refused ones."""
    FeedbackStore(Path(os.environ["BOT_DB"])).close()  # the bot's records, with nothing refused
    code, out, _ = run_cli(capsys, "gaps", "--chroma-path", str(built_store.chroma_path))
    assert code == 0 and out.strip() == "no gaps: every question asked in Discord in the last 7 days was answered"


@pytest.mark.parametrize("command", ["audit", "gaps"])
def test_reading_records_that_are_not_there_says_so_and_creates_nothing(tmp_path, capsys, monkeypatch, command):
    """A mistyped BOT_DB (or another working directory, the default being relative) had
    been created, folders and all, and read as an empty log, or as no gaps."""
    missing = tmp_path / "tippfehler" / "absatz.sqlite3"
    monkeypatch.setenv("BOT_DB", str(missing))
    code, out, err = run_cli(capsys, command, "--chroma-path", str(tmp_path / "chroma"))
    assert code == 2 and out == "" and f"BOT_DB={str(missing)!r} does not exist: nothing was recorded there" in err
    assert not missing.parent.exists()


def test_a_search_without_a_word_matches_nothing(capsys, built_store):
    """It listed whatever came first, the top one at score 1.000."""
    for query in ("", "   ", "?!"):
        code, out, _ = run_cli(capsys, "search", query, "--chroma-path", str(built_store.chroma_path))
        assert code == 0 and out.strip() == "(no matches)", query


def test_an_export_naming_an_embedder_not_here_says_it_came_from_the_file(tmp_path, capsys, built_store):
    good = tmp_path / "good.jsonl"
    assert run_cli(capsys, "export", str(good), *store_args(built_store))[0] == 0
    head, rest = good.read_text(encoding="utf-8").split("\n", 1)
    header = json.loads(head)
    header["meta"]["embedder"] = str(tmp_path / "no-such-model")
    (tmp_path / "other.jsonl").write_text(json.dumps(header) + "\n" + rest, encoding="utf-8")
    code, _, err = run_cli(capsys, "import", str(tmp_path / "other.jsonl"), "--chroma-path", str(tmp_path / "new"))
    assert code == 2 and "other.jsonl: the export's embedder" in err and "no-such-model" in err
    assert "EMBEDDING_MODEL" not in err and "Traceback" not in err


def test_the_audit_log_shows_what_a_member_typed_as_text(capsys, monkeypatch, tmp_path):
    """A refused member's `/feed add url:` is logged as typed: `absatz audit` had printed
    its escape sequences raw, clearing the admin's screen and writing a fake line."""
    from absatz.db.audit import AuditLog

    bot_db = tmp_path / "bot.sqlite3"
    typed = "https://x.de/\x1b[2J\x1b]0;PASSWORT ABGELAUFEN\x07\nroot# "
    AuditLog(bot_db).record("member:42", "feed add", typed, "refused: not an admin")
    monkeypatch.setenv("BOT_DB", str(bot_db))
    code, out, _ = run_cli(capsys, "audit", "--chroma-path", str(tmp_path / "chroma"))
    assert code == 0 and len(out.splitlines()) == 1
    assert "\x1b" not in out and "\x07" not in out and "feed add https://x.de/ [2J ]0;PASSWORT ABGELAUFEN root#" in out
    code, out, _ = run_cli(capsys, "audit", "--json", "--chroma-path", str(tmp_path / "chroma"))
    assert json.loads(out)["target"] == typed  # kept as typed, for whoever reads the record


def test_output_that_cannot_be_written_or_a_chromadb_setting_it_cannot_read_is_one_line(built_store, tmp_path):
    """`> /dev/full` had ended in a traceback (OSError at the interpreter's exit), stdout
    closed (`>&-`) in one from printing the answer, and ``ANONYMIZED_TELEMETRY=nein`` in one
    of 25 lines from inside chromadb's import, on every command."""
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    store = ["--chroma-path", str(built_store.chroma_path)]
    for command in (["ask", "Was kostet ein Brötchen in München?"], ["stats", "--json"]):
        with open("/dev/full", "w") as full:
            proc = subprocess.run([exe, *command, *store], stdout=full, stderr=subprocess.PIPE, timeout=300)
        assert proc.returncode == 2 and proc.stderr.decode().splitlines() == [
            "absatz: error: cannot write the output: No space left on device"
        ]
    closed = subprocess.run(
        f'"{exe}" ask "Was kostet ein Brötchen in München?" --chroma-path "{built_store.chroma_path}" >&-',
        shell=True,
        stderr=subprocess.PIPE,
        timeout=300,
    )
    assert closed.returncode == 0 and b"Traceback" not in closed.stderr
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "nein"}
    proc = subprocess.run([exe, "stats", *store], capture_output=True, timeout=300, env=env, cwd=tmp_path)
    (line,) = proc.stderr.decode().splitlines()
    assert proc.returncode == 2 and line.startswith(
        "absatz: error: ANONYMIZED_TELEMETRY (a chromadb setting, from the environment or .env) cannot be read: "
    )


@pytest.mark.parametrize(
    ("variable", "value", "bold"), [("NO_COLOR", "1", False), ("TERM", "dumb", False), ("", "", True)]
)
def test_a_terminal_shows_the_answer_in_bold_unless_told_not_to(built_store, monkeypatch, variable, value, bold):
    """NO_COLOR (no-color.org) and TERM=dumb had been ignored: escape codes on a terminal that asked for none."""
    import pty

    monkeypatch.delenv("NO_COLOR", raising=False)
    env = {**os.environ, "TERM": "xterm"} | ({variable: value} if variable else {})
    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    leader, follower = pty.openpty()
    args = [exe, "ask", "Was kostet ein Brötchen in München?", "--chroma-path", str(built_store.chroma_path)]
    proc = subprocess.run(args, stdout=follower, stderr=subprocess.PIPE, timeout=300, env=env)
    os.close(follower)
    shown = os.read(leader, 65536)
    os.close(leader)
    assert proc.returncode == 0 and b"65 Cent" in shown and (b"\x1b[1m" in shown) == bold
