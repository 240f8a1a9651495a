"""Server mode: the same ingest and answers against a real ``chroma run`` on loopback."""

import json

import pytest

from .chroma_server import ChromaServer
from .conftest import json_lines, needs_seed, run_cli

SEED_ID = "000_a05d8c91f093345a"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    yield server
    server.stop()


@pytest.fixture
def server_env(chroma_server, monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server.port))
    return chroma_server


@needs_seed
def test_ingest_ask_source_stats_against_a_chroma_server(server_env, corpus_dir, capsys, tmp_path):
    # A --chroma-path that does not exist proves nothing is written locally.
    local = tmp_path / "unused"
    code, out, _ = run_cli(capsys, "ingest", str(corpus_dir), "--collection", "srv", "--chroma-path", str(local), "--json")
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


def test_unreachable_server_is_a_clear_error(capsys, monkeypatch):
    from .chroma_server import free_port

    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(free_port()))
    code, _, err = run_cli(capsys, "stats")
    assert code == 2 and "not reachable" in err and "Traceback" not in err
