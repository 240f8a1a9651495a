"""Settings that cannot work stop a command with one line naming them, from the
environment and from the command line alike, and change nothing stored."""

from __future__ import annotations

import getpass
import os
import pwd
import re
import tempfile
from contextlib import closing
from pathlib import Path

import pytest

from absatz.corpus import cli_actor
from absatz.db.audit import AuditLog
from absatz.db.feedback import FeedbackStore
from absatz.db.follows import FollowStore
from absatz.db.scopes import ScopeStore
from ingest.article import ParseError
from ingest.corpus import parse_upload
from ingest.live.registry import FeedRegistry
from vectorstore.errors import SettingsError
from vectorstore.settings import StoreSettings

from .conftest import json_lines, run_cli


def one_error_line(err: str) -> str:
    """The CLI's error line, after checking it is the only thing said."""
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("absatz: error: ")
    return line


@pytest.mark.parametrize(
    "option, value, message",
    [
        # chromadb appended the port: httpx.InvalidURL "Invalid port: '8000:8000'"
        (
            "--chroma-host",
            "localhost:8000",
            "--chroma-host='localhost:8000' must be a host name, an address or a URL: the port goes in --chroma-port",
        ),
        ("--chroma-host", "::1", "--chroma-host='::1': write an IPv6 address in brackets, [::1]"),
        # accepted, and the command went on
        ("--chroma-port", "0", "--chroma-port=0 must be between 1 and 65535"),
        ("--chroma-port", "70000", "--chroma-port=70000 must be between 1 and 65535"),
    ],
)
def test_store_options_are_checked_like_their_variables(capsys, monkeypatch, tmp_path, option, value, message):
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    code, _, err = run_cli(capsys, "stats", "--chroma-path", str(tmp_path / "chroma"), option, value)
    assert code == 2 and message in one_error_line(err)


SECRET = "ck-SECRET"


@pytest.mark.parametrize(
    "env, message",
    [
        # httpx's "Illegal header value b'ck-SECRET\\n-4711'" reached the error and the audit log
        (
            {"CHROMA_AUTH_TOKEN": f"{SECRET}\n-4711"},
            "CHROMA_AUTH_TOKEN holds a line break, a control character or a non-ASCII letter, which an HTTP header "
            "cannot carry (its value is not shown)",
        ),
        # a traceback from the socket layer at the first connection
        ({"CHROMA_TIMEOUT_S": "inf"}, "CHROMA_TIMEOUT_S='inf' must be a number of seconds above 0 and at most 3600"),
        ({"CHROMA_TIMEOUT_S": "1e12"}, "CHROMA_TIMEOUT_S='1e12' must be a number of seconds above 0 and at most 3600"),
    ],
)
def test_store_variables_a_client_cannot_use_are_named(env, message):
    with pytest.raises(SettingsError) as err:
        StoreSettings.from_env(env)
    assert str(err.value) == message


def test_other_secrets_and_the_user_agent_must_fit_an_http_header():
    from absatz.llm import LLMSettings
    from bot.settings import BotSettings
    from ingest.live.settings import LiveSettings

    for name, read in (("LLM_API_KEY", LLMSettings.from_env), ("DISCORD_TOKEN", BotSettings.from_env)):
        with pytest.raises(SettingsError, match=f"^{name} holds a line break") as err:
            read({name: f"{SECRET}\r\nX: 1"})
        assert SECRET not in str(err.value)
    with pytest.raises(SettingsError) as err:  # a traceback from the fetcher, as the README asks for a contact
        LiveSettings.from_env({"FEEDS_USER_AGENT": "Zeitungsleser Müller"})
    assert str(err.value).startswith("FEEDS_USER_AGENT holds") and "Müller" in str(err.value)


def test_discord_ids_are_positive_and_device_names_any_case():
    from bot.settings import BotSettings

    for name in ("ADMIN_CHANNEL_ID", "NEWS_CHANNEL_ID", "DISCORD_GUILD_IDS", "ADMIN_ROLE_IDS"):
        with pytest.raises(SettingsError, match=f"^{name}='-5'"):  # taken, and then never matched
            BotSettings.from_env({name: "-5"})
    assert StoreSettings.from_env({"EMBEDDING_DEVICE": "CPU"}).embedding_device == "cpu"


@pytest.mark.parametrize("variable", ["CHROMA_PATH", "INDEX_DIR"])
def test_a_store_folder_that_is_a_file_is_named(capsys, monkeypatch, tmp_path, variable):
    """ "no index … ingest articles first" and "cannot write the ingest lock" had sent the
    user to a command that cannot help."""
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    monkeypatch.setenv(variable, str(afile))
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    if variable == "INDEX_DIR":
        monkeypatch.setenv("CHROMA_PATH", str(tmp_path / "chroma"))
    code, _, err = run_cli(capsys, "stats")
    assert code == 2 and one_error_line(err) == f"absatz: error: {variable}={str(afile)!r} is a file, not a folder"
    if variable == "CHROMA_PATH":  # a value the command line overrides does not stop it
        code, _, err = run_cli(capsys, "stats", "--chroma-path", str(tmp_path / "neu"))
        assert "is a file" not in err and "no index at" in err
        code, _, err = run_cli(capsys, "stats", "--chroma-path", str(afile))
        assert one_error_line(err) == f"absatz: error: --chroma-path={str(afile)!r} is a file, not a folder"


@pytest.mark.parametrize("collection", ["", "  "])
def test_an_empty_collection_override_is_refused_by_name(collection):
    """It named the store folder itself: "no index at data/chroma/"."""
    with pytest.raises(SettingsError, match=r"^collection='\s*' names no collection"):
        StoreSettings().with_overrides(collection=collection)


@pytest.mark.parametrize("host", ["chroma.internal", "[::1]", "https://proxy.example/chroma"])
def test_store_overrides_that_work_are_taken(host):
    settings = StoreSettings().with_overrides(chroma_host=host, chroma_port=9000, collection="other")
    assert (settings.chroma_host, settings.chroma_port, settings.collection) == (host, 9000, "other")


@pytest.mark.parametrize(
    "host, said",
    [
        ("[::1]:8000", "brackets hold an IPv6 address alone, the port goes in CHROMA_PORT"),
        ("[127.0.0.1]", "brackets hold an IPv6 address alone"),
        ("http://redaktion:geheim@chroma.internal:8000", "must not hold a user name or password"),
        ("http://chroma.internal:99999", "is not a URL of a server"),
        ("http://chroma.internal:0", "is not a URL of a server"),
        ("http://chroma.internal:", "is not a URL of a server"),
        ("httpserver", "reads a host whose name begins with 'http' as a URL"),  # chromadb drops its port
    ],
)
def test_a_chroma_host_chromadb_cannot_read_is_one_line(host, said, monkeypatch):
    """Each had ended in a traceback at the first connection (and the password been shown)."""
    monkeypatch.setenv("CHROMA_HOST", host)
    with pytest.raises(SettingsError, match=re.escape(said)) as refused:
        StoreSettings.from_env()
    assert "geheim" not in str(refused.value)


@pytest.mark.parametrize(
    "host, location",
    [
        (" 127.0.0.1 ", "http://127.0.0.1:8000/absatz"),
        ("HTTP://127.0.0.1:9000", "http://127.0.0.1:9000/absatz"),  # chromadb read it as a host name
        ("http://chroma.internal", "http://chroma.internal:80/absatz"),  # where chromadb connects, not 8000
        ("https://chroma.example", "https://chroma.example:443/absatz"),
        ("http://proxy.example/chroma/", "http://proxy.example:80/chroma/absatz"),
    ],
)
def test_a_store_on_a_server_is_named_where_chromadb_connects(host, location):
    """A URL host had been shown as "http://http://…:8000", on a port chromadb did not use."""
    settings = StoreSettings().with_overrides(chroma_host=host, chroma_port=8000)
    assert settings.location == location


def test_every_spelling_of_one_server_shares_one_ingest_lock():
    """ "127.0.0.1", "localhost" and a URL had been three locks: two ingests ran at once
    into one collection and one's work was lost; a URL had made a folder "/tmp/absatz-http:"."""
    from ingest.lock import lock_path

    spellings = ["127.0.0.1", "localhost", "LOCALHOST", "[::1]", "http://127.0.0.1:8000", "http://localhost:8000"]
    paths = {lock_path(StoreSettings().with_overrides(chroma_host=h, chroma_port=8000)) for h in spellings}
    (path,) = paths
    assert path.parent == Path(tempfile.gettempdir()) and "/" not in path.name and ":" not in path.name
    other = lock_path(StoreSettings().with_overrides(chroma_host="127.0.0.1", chroma_port=8001))
    assert other != path  # another server


def test_bot_db_naming_a_folder_is_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BOT_DB", str(tmp_path))
    code, _, err = run_cli(capsys, "audit")
    assert code == 2 and f"BOT_DB={str(tmp_path)!r} is a folder, not a SQLite file" in one_error_line(err)


def test_bot_db_naming_another_kind_of_file_is_one_line_and_leaves_it_alone(capsys, monkeypatch, tmp_path):
    notes = tmp_path / "notes.txt"
    text = "not a database, but someone's notes\n" * 10
    notes.write_text(text, encoding="utf-8")
    monkeypatch.setenv("BOT_DB", str(notes))
    code, _, err = run_cli(capsys, "audit")
    assert code == 2 and f"BOT_DB={str(notes)!r} is not a SQLite file" in one_error_line(err)
    assert notes.read_text(encoding="utf-8") == text and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("store", [AuditLog, FeedbackStore, FollowStore, ScopeStore, FeedRegistry])
def test_every_record_store_names_an_unusable_bot_db(tmp_path, store):
    with pytest.raises(SettingsError, match=r"^BOT_DB=.* is a folder, not a SQLite file$"):
        store(tmp_path)


@pytest.mark.parametrize("kind", ["folder", "text file"])
def test_feed_commands_name_an_unusable_bot_db_in_one_line(capsys, monkeypatch, tmp_path, kind):
    """The feed registry opened BOT_DB itself: ``absatz feed list`` ended in a traceback
    ("unable to open database file", "file is not a database")."""
    bot_db = tmp_path / "records"
    if kind == "folder":
        bot_db.mkdir()
        problem = "is a folder, not a SQLite file"
    else:
        bot_db.write_text("not a database, but someone's notes\n" * 10, encoding="utf-8")
        problem = "is not a SQLite file"
    monkeypatch.setenv("BOT_DB", str(bot_db))
    code, out, err = run_cli(capsys, "feed", "list", "--chroma-path", str(tmp_path / "chroma"))
    assert code == 2 and out == ""
    assert f"BOT_DB={str(bot_db)!r} {problem}" in one_error_line(err)


@pytest.mark.parametrize(("table", "command"), [("feeds", ("feed", "list")), ("audit", ("audit",))])
def test_a_bot_db_holding_another_programs_table_of_the_same_name_is_one_line(
    capsys, monkeypatch, tmp_path, table, command
):
    """``CREATE TABLE IF NOT EXISTS`` had left another program's ``feeds`` table in place,
    and ``absatz feed list`` ended in a traceback ("no such column: url")."""
    import sqlite3

    bot_db = tmp_path / "shared.db"
    with closing(sqlite3.connect(bot_db)) as db:
        db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute(f"INSERT INTO {table} (name) VALUES ('theirs')")
        db.commit()
    monkeypatch.setenv("BOT_DB", str(bot_db))
    code, out, err = run_cli(capsys, *command, "--chroma-path", str(tmp_path / "chroma"))
    assert code == 2 and out == ""
    assert f"BOT_DB={str(bot_db)!r} holds a table {table!r} of another program" in one_error_line(err)
    with closing(sqlite3.connect(bot_db)) as db:
        assert db.execute(f"SELECT name FROM {table}").fetchall() == [("theirs",)]


def test_an_audit_log_from_before_servers_were_recorded_still_opens(tmp_path):
    """The one column a file of an earlier version may lack is added, not taken for another program's table."""
    import sqlite3

    bot_db = tmp_path / "old.db"
    with closing(sqlite3.connect(bot_db)) as db:
        db.execute(
            "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL, "
            "action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '')"
        )
        db.execute("INSERT INTO audit (at, actor, action, target) VALUES (1.0, 'admin', 'ingest', 'corpus')")
        db.commit()
    assert [(e.actor, e.action) for e in AuditLog(bot_db).recent(5)] == [("admin", "ingest")]


@pytest.fixture
def too_big(tmp_path, monkeypatch):
    """An article over a 100-byte MAX_FILE_BYTES: refused before anything is embedded."""
    monkeypatch.setenv("MAX_FILE_BYTES", "100")
    article = tmp_path / "corpus" / "lang.txt"
    article.parent.mkdir()
    article.write_text("Ein Titel\n\n" + "Ein Absatz mit etwas Text. " * 10 + "\n", encoding="utf-8")
    return article


def test_a_size_limit_under_a_megabyte_is_shown_in_bytes(capsys, tmp_path, too_big):
    """It read "file is 0.0 MB, over the 0 MB limit"."""
    code, _, err = run_cli(capsys, "ingest", str(too_big), "--chroma-path", str(tmp_path / "chroma"))
    size = too_big.stat().st_size
    assert code == 1 and f"{too_big}: file is {size} bytes, over the limit of 100 bytes" in err


def test_an_upload_over_a_limit_under_a_megabyte_is_shown_in_bytes():
    """It read "lang.txt is 0.0 MB, over the 0.0 MB limit"."""
    data = ("Ein Titel\n\n" + "Ein Absatz mit etwas Text. " * 10 + "\n").encode()
    with pytest.raises(ParseError) as err:
        parse_upload("lang.txt", data, max_bytes=100)
    assert str(err.value) == f"lang.txt is {len(data)} bytes, over the limit of 100 bytes"
    name, (article,) = parse_upload("lang.txt", data, max_bytes=len(data))  # at the limit: taken
    assert (name, article.id) == ("lang.txt", "lang")


def test_the_audit_log_names_the_user_without_user_or_logname(capsys, monkeypatch, tmp_path, too_big):
    """cron and containers often set neither: entries said ``cli:unknown``."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    run_cli(capsys, "ingest", str(too_big), "--chroma-path", str(tmp_path / "chroma"))
    code, out, _ = run_cli(capsys, "audit", "--json", "-n", "1")
    (entry,) = json_lines(out)
    assert code == 0 and entry["actor"] == f"cli:{pwd.getpwuid(os.getuid()).pw_name}"


def test_a_user_the_system_cannot_name_is_unknown(monkeypatch):
    def nobody() -> str:
        raise OSError("No username set in the environment")

    monkeypatch.setattr(getpass, "getuser", nobody)
    assert cli_actor() == "cli:unknown"


@pytest.mark.parametrize("collection", ["ab", "a/b", "x..y", "-absatz", "a" * 45, "nachrichten-ü"])
def test_a_collection_name_chroma_cannot_take_names_the_variable(capsys, monkeypatch, tmp_path, collection):
    """Chroma's own validation error surfaced as "the store at …/ab failed: Expected collection name …";
    and "letters" read as allowing the "ü" that is refused."""
    monkeypatch.setenv("CHROMA_COLLECTION", collection)
    code, _, err = run_cli(capsys, "stats", "--chroma-path", str(tmp_path / "chroma"))
    wanted = f"CHROMA_COLLECTION={collection!r} must be 3 to 44 ASCII letters (a-z, A-Z), digits,"
    assert code == 2 and wanted in one_error_line(err)


def test_a_fault_of_the_codes_own_sql_is_not_blamed_on_bot_db(tmp_path):
    """A locked or full file is the file's fault and says so (RecordsUnusable); a mistake
    in a query is the code's, and stays SQLite's own error."""
    import sqlite3

    from vectorstore.sqlite import open_db

    db = open_db(tmp_path / "bot.sqlite3", "CREATE TABLE IF NOT EXISTS t (a INTEGER);")
    with pytest.raises(sqlite3.OperationalError, match="no such column"):
        db.execute("SELECT b FROM t")
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_collection_named_like_an_ip_address_names_the_option(capsys, tmp_path):
    """It passed the name check, then Chroma refused it as "not a valid ip address",
    reported as a failure of the store."""
    code, _, err = run_cli(capsys, "stats", "--chroma-path", str(tmp_path / "chroma"), "--collection", "1.2.3.4")
    assert code == 2 and "collection='1.2.3.4' must not be an IP address" in one_error_line(err), err
    _, _, err = run_cli(capsys, "stats", "--chroma-path", str(tmp_path / "chroma"), "--collection", "v1.2.3.4")
    assert "no index" in err and "IP address" not in err  # a version-like name is no address


def test_a_path_from_env_or_an_option_reads_the_tilde_as_the_home_folder(capsys, monkeypatch, tmp_path):
    """A .env file is read by no shell: ``CHROMA_PATH=~/absatz`` had named a folder called
    "~" in the working directory (every read said "no index at ~/absatz/absatz")."""
    from absatz.settings import Settings

    monkeypatch.setenv("HOME", str(tmp_path))
    env = {"CHROMA_PATH": "~/store", "INDEX_DIR": "~/index", "BOT_DB": "~/bot.db", "CORPUS_DIR": "~/corpus"}
    settings = Settings.from_env(env)
    assert settings.store.chroma_path == tmp_path / "store" and settings.store.index_dir == tmp_path / "index"
    assert settings.db == tmp_path / "bot.db" and settings.ingest.corpus_dir == tmp_path / "corpus"
    code, _, err = run_cli(capsys, "stats", "--chroma-path", "~/nowhere")  # quoted: no shell read it
    assert code == 2 and f"no index at {tmp_path / 'nowhere'}" in err


def test_a_model_that_cannot_be_loaded_is_named_as_it_was_given(capsys, monkeypatch, built_store):
    """Given as --embedding-model, it had been blamed on EMBEDDING_MODEL, which was not set."""
    store = ["--chroma-path", str(built_store.chroma_path)]
    code, _, err = run_cli(capsys, "search", "Brötchen", "--embedding-model", "bundled:nope", *store)
    assert code == 2 and one_error_line(err).startswith("absatz: error: --embedding-model='bundled:nope'")
    monkeypatch.setenv("EMBEDDING_MODEL", "bundled:nope")
    code, _, err = run_cli(capsys, "search", "Brötchen", *store)
    assert code == 2 and one_error_line(err).startswith("absatz: error: EMBEDDING_MODEL='bundled:nope'")
