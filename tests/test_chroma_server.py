"""Server mode: the same ingest and answers against a real ``chroma run`` on loopback.

Every wait here is bounded: absatz's Chroma clients time out their requests themselves
(``CHROMA_TIMEOUT_S``, 30 s by default), subprocesses run with timeouts, and lines read
from a subprocess come through :func:`readline` with a deadline.
"""

import json
import time

import pytest

from .chroma_server import ChromaServer, end, readline
from .conftest import json_lines, needs_seed, run_cli

SEED_ID = "000_a05d8c91f093345a"
SUBPROCESS_TIMEOUT_S = 600


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    yield server
    server.stop()


@pytest.fixture
def server_env(chroma_server, private_tempdir, monkeypatch):
    """The environment of a CLI run against the test server; its ingest locks stay under tmp_path."""
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server.port))
    return chroma_server


@needs_seed
def test_ingest_ask_source_stats_against_a_chroma_server(server_env, corpus_dir, capsys, tmp_path):
    # A --chroma-path that does not exist proves nothing is written locally.
    local = tmp_path / "unused"
    code, out, _ = run_cli(
        capsys, "ingest", str(corpus_dir), "--collection", "srv", "--chroma-path", str(local), "--json"
    )
    assert code == 0 and json.loads(out)["added"] >= 9
    assert not local.exists()

    code, out, _ = run_cli(capsys, "ask", "Wie weit flogen die Raketen?", "--collection", "srv", "--json")
    (obj,) = json_lines(out)
    assert code == 0 and obj["citations"][0]["id"] == f"{SEED_ID}#2"

    code, out, _ = run_cli(capsys, "source", f"{SEED_ID}#2", "--collection", "srv", "--json")
    assert code == 0 and "650 Kilometer" in json.loads(out)["text"]

    code, out, _ = run_cli(capsys, "stats", "--collection", "srv", "--json")
    stats = json.loads(out)
    assert stats["store"].startswith("http://127.0.0.1:") and stats["articles"] >= 9

    # Incremental in server mode too: nothing changed, nothing embedded.
    code, out, _ = run_cli(capsys, "ingest", str(corpus_dir), "--collection", "srv", "--json")
    assert json.loads(out)["paragraphs_embedded"] == 0


def test_the_request_timeout_is_a_setting():
    from vectorstore.errors import SettingsError
    from vectorstore.settings import StoreSettings

    assert StoreSettings.from_env({}).chroma_timeout_s == 30
    assert StoreSettings.from_env({"CHROMA_TIMEOUT_S": "2.5"}).chroma_timeout_s == 2.5
    for bad in ("0", "-1", "soon"):
        with pytest.raises(SettingsError, match="CHROMA_TIMEOUT_S"):
            StoreSettings.from_env({"CHROMA_TIMEOUT_S": bad})


def test_unreachable_server_is_a_clear_error(capsys, monkeypatch):
    from .chroma_server import free_port

    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(free_port()))
    code, _, err = run_cli(capsys, "stats")
    assert code == 2 and "not reachable" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "status, content_type, body, says",
    [
        (403, "application/json", b'{"error": "AuthError", "message": "Forbidden"}', "CHROMA_AUTH_TOKEN"),
        (401, "text/html", b"<html><body>401 Authorization Required</body></html>", "CHROMA_AUTH_TOKEN"),
        (404, "text/html", b"<html><body>Not Found</body></html>", "answered HTTP 404"),
        (502, "text/html", b"<html><body>502 Bad Gateway</body></html>", "answered HTTP 502: it is not serving now"),
    ],
    ids=["chroma-auth", "proxy-401", "not-chroma", "proxy-502"],
)
def test_a_server_that_answers_but_refuses_is_not_called_unreachable(
    status, content_type, body, says, capsys, monkeypatch
):
    """A Chroma server with token auth answers a wrong token with its AuthError, a proxy in
    front of it with a plain 401, another web server with a 404: each is a server
    reached, not one down, and the token is never shown."""
    import http.server
    import threading

    class Refusing(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
        monkeypatch.setenv("CHROMA_PORT", str(server.server_address[1]))
        monkeypatch.setenv("CHROMA_AUTH_TOKEN", "falsches-geheimnis")
        code, out, err = run_cli(capsys, "stats")
    finally:
        server.shutdown()
    assert code == 2 and says in err and "not reachable" not in err and "<html>" not in err
    assert "falsches-geheimnis" not in out + err and "Traceback" not in err


def test_a_token_revoked_while_running_is_named_not_a_traceback(chroma_server):
    """A proxy in front of the server starts refusing after the client has opened (the
    token was revoked): the next call says to check CHROMA_AUTH_TOKEN, as opening would."""
    import http.server
    import threading

    import httpx

    from vectorstore.chroma import Chroma
    from vectorstore.errors import StoreError, StoreUnavailable
    from vectorstore.settings import StoreSettings

    revoked = threading.Event()
    refusal = (401, b"<html><body>401 Authorization Required</body></html>")
    upstream = f"http://127.0.0.1:{chroma_server.port}"

    class Proxy(http.server.BaseHTTPRequestHandler):
        def forward(self):
            if revoked.is_set():
                self.send_response(refusal[0])
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(refusal[1])
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            answer = httpx.request(self.command, upstream + self.path, content=body, headers=headers, timeout=60)
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

        do_GET = do_POST = do_PUT = do_DELETE = forward

        def log_message(self, *args):
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        settings = StoreSettings.from_env(
            {
                "CHROMA_HOST": "127.0.0.1",
                "CHROMA_PORT": str(proxy.server_address[1]),
                "CHROMA_AUTH_TOKEN": "widerrufenes-geheimnis",
            }
        )
        chroma = Chroma(settings)
        assert chroma.collection("revoked") is None  # open, and asked through the proxy
        revoked.set()
        with pytest.raises(StoreError, match="CHROMA_AUTH_TOKEN") as refused:
            chroma.collection("revoked")
        refusal = (502, b"<html><body>502 Bad Gateway</body></html>")  # the server behind it restarts
        with pytest.raises(StoreUnavailable, match="answered HTTP 502") as down:
            chroma.collection("revoked")
    finally:
        proxy.shutdown()
    assert "not reachable" not in str(refused.value) and "widerrufenes-geheimnis" not in str(refused.value)
    assert "<html>" not in str(down.value)


@needs_seed
def test_move_an_embedded_index_to_the_server_without_re_embedding(
    built_store, server_env, tmp_path, capsys, monkeypatch
):
    dump = tmp_path / "index.jsonl"
    monkeypatch.delenv("CHROMA_HOST")
    code, out, _ = run_cli(capsys, "export", str(dump), "--chroma-path", str(built_store.chroma_path))
    exported = json.loads(out)
    assert code == 0 and exported["articles"] >= 9
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    code, out, _ = run_cli(capsys, "import", str(dump), "--collection", "moved")
    assert code == 0 and json.loads(out) == exported
    code, out, _ = run_cli(capsys, "ask", "Wie weit flogen die Raketen?", "--collection", "moved", "--json")
    assert json_lines(out)[0]["citations"][0]["id"] == f"{SEED_ID}#2"
    code, out, _ = run_cli(capsys, "stats", "--collection", "moved", "--json")
    assert json.loads(out)["embedder"] == "bundled:multilingual-e5-small"


def test_an_ingest_in_one_process_is_seen_by_another_without_restart(server_env, corpus_dir, tmp_path):
    """Two processes on one `chroma run`: a long-lived reader and an ingesting admin."""
    import os
    import shutil
    import subprocess
    import sys

    from .conftest import ROOT

    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    env = {**os.environ, "CHROMA_COLLECTION": "multi", "BOT_DB": str(tmp_path / "bot.sqlite3")}
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)

    def ingest() -> None:
        subprocess.run(
            [exe, "ingest", str(corpus), "--json"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=SUBPROCESS_TIMEOUT_S,
        )

    ingest()
    reader = subprocess.Popen(
        [exe, "ask", "--json"],
        env=env,
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    question = "Wie viele Haushalte versorgt die schwimmende Solaranlage in Rostock?\n"
    try:
        reader.stdin.write(question)
        reader.stdin.flush()
        assert json.loads(readline(reader, SUBPROCESS_TIMEOUT_S))["abstained"] is True
        (corpus / "solar.txt").write_text(
            "date 2025-08 ROSTOCK (Test) - In Rostock liefert die erste schwimmende Solaranlage an der Ostsee "
            "Strom für rund 900 Haushalte.\n\nSie liegt im Stadthafen.",
            encoding="utf-8",
        )
        ingest()
        reader.stdin.write(question)
        reader.stdin.flush()
        after = json.loads(readline(reader, SUBPROCESS_TIMEOUT_S))
        assert not after["abstained"] and after["citations"][0]["id"] == "solar#1"
    finally:
        reader.stdin.close()
        end(reader, timeout=60)


async def test_bot_says_index_unavailable_while_the_server_is_down_and_recovers(tmp_path, corpus_dir, embedder, capsys):
    """The Chroma server stops while the bot runs: short message, bot stays up, answers again."""
    import simcord

    from bot.settings import BotSettings
    from vectorstore.search import Searcher
    from vectorstore.settings import StoreSettings

    from .simcord_helpers import bot_with, reply_of

    server = ChromaServer(tmp_path / "srv").start()
    restarted = ChromaServer(tmp_path / "srv", port=server.port)
    try:
        settings = StoreSettings(chroma_host="127.0.0.1", chroma_port=server.port, collection="faults")
        from ingest.pipeline import ingest_paths
        from vectorstore.chroma import Chroma

        ingest_paths(Chroma(settings), embedder, [corpus_dir / "2025-06-baeckerei-preise.txt"])
        bot = bot_with(
            BotSettings(store=settings, shard_count=1, bot_db=tmp_path / "bot.sqlite3"),
            Searcher.open(settings, embedder),
        )
        async with simcord.run(bot, check_errors=False) as env:
            guild = env.create_guild()
            channel = guild.create_text_channel("fragen")
            users = [guild.add_member(env.create_user(f"u{i}")) for i in range(3)]
            ok = await users[0].slash(channel, "ask", question="Was kostet ein Brötchen in München?")
            assert "65 Cent" in reply_of(ok).embeds[0].description

            server.stop()
            down = await users[1].slash(channel, "ask", question="Was kostet ein Brötchen in München?")
            assert down.acknowledged
            assert "nicht erreichbar" in reply_of(down).content or "unavailable" in reply_of(down).content
            # The "Quelle 1" button of the answer given before: acknowledged before the store
            # is read, and the index named as down (it had said "not in the corpus").
            before = len(env.http_requests)
            source = await users[1].click(reply_of(ok).message, label="Quelle 1")
            (acknowledged,) = [r for r in env.http_requests[before:] if r.path.endswith("/callback")]
            assert acknowledged.json["type"] == 5 and acknowledged.json["data"]["flags"] & 64  # deferred, private
            shown = reply_of(source).content
            assert "nicht erreichbar" in shown or "unavailable" in shown, shown

            restarted.start()
            back = await users[2].slash(channel, "ask", question="Was kostet ein Brötchen in München?")
            assert "65 Cent" in reply_of(back).embeds[0].description
    finally:
        server.stop()
        restarted.stop()


def test_a_hung_server_is_a_bounded_error_not_a_hang(tmp_path, corpus_dir, embedder):
    """A server that accepts connections but never answers (SIGSTOP) must end a read
    with a clear error within CHROMA_TIMEOUT_S, and serve again once it resumes."""
    from dataclasses import replace

    from ingest.pipeline import ingest_paths
    from vectorstore.chroma import Chroma
    from vectorstore.errors import StoreUnavailable
    from vectorstore.generations import Generations
    from vectorstore.readindex import Reader
    from vectorstore.settings import StoreSettings

    server = ChromaServer(tmp_path / "srv").start()
    try:
        settings = StoreSettings(chroma_host="127.0.0.1", chroma_port=server.port, collection="hung")
        ingest_paths(Chroma(settings), embedder, [corpus_dir / "2025-06-baeckerei-preise.txt"])
        hung = replace(settings, chroma_timeout_s=3)
        store = Chroma(hung)
        assert Generations(store).read().exists  # the bot's open store, connected
        server.pause()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="not reachable"):
            Generations(store).read()  # ... between two questions
        with pytest.raises(StoreUnavailable, match="not reachable"):
            Generations(Chroma(hung)).read()  # a process that starts now
        assert time.monotonic() - started < 60
        server.resume()
        assert server.healthy(timeout=30)
        assert Reader(Chroma(settings)).view().index.counts().articles == 1
    finally:
        server.stop()
