"""The live corpus from the command line: ``absatz feed …``, ``absatz ingest URL``,
``absatz watch``; citations that link to their source in ``ask --json`` and ``source``."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading

import pytest

from .conftest import ROOT, json_lines, run_cli
from .live_helpers import SOLAR, WAERME_QUESTION, WAIT_S, copy_corpus
from .web_server import web


@pytest.fixture
def cli_store(tmp_path, capsys, monkeypatch):
    """A store of the sample corpus built with ``absatz ingest``; CORPUS_DIR points at it."""
    corpus = copy_corpus(tmp_path)
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    monkeypatch.setenv("FEEDS_ALLOW_PRIVATE", "true")  # the loopback server
    chroma = tmp_path / "chroma"
    code, _, _ = run_cli(capsys, "ingest", str(corpus), "--chroma-path", str(chroma), "--json")
    assert code == 0
    return corpus, ["--chroma-path", str(chroma)]


def test_feeds_pages_and_linked_citations(cli_store, web, capsys):
    corpus, store = cli_store
    waerme = web.page("waermenetz")
    web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    feed = web.url("/feeds/rss20.xml")

    code, out, err = run_cli(capsys, "feed", "add", feed, "--interval", "15m", "--category", "Wirtschaft", *store)
    assert code == 0, err
    assert f"added {feed} (every 15 min, category Wirtschaft)" in out
    assert "2 article(s) written" in out and "2 added" in out  # polled once and ingested
    assert (corpus / "web").is_dir()

    code, _, err = run_cli(capsys, "feed", "add", feed, *store)
    assert code == 2 and err.strip() == f"absatz: error: {feed}: this feed is already registered"
    code, _, err = run_cli(capsys, "feed", "add", "http://169.254.169.254/latest/meta-data/", *store)
    assert code == 2 and "169.254.169.254 is" in err and "metadata" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "feed", "add", web.url("/other.xml"), "--interval", "10s", *store)
    assert code == 2 and "below the minimum" in err

    code, out, _ = run_cli(capsys, "feed", "list", "--json", *store)
    (row,) = json_lines(out)
    assert (row["url"], row["interval_s"], row["category"], row["articles_ingested"]) == (feed, 900, "Wirtschaft", 2)
    assert row["last_success"] and "2 article(s) ingested" in row["status"]
    assert row["last_error"] == "1 duplicate item(s) merged"  # a note of the last poll: one clear line

    code, out, _ = run_cli(capsys, "feed", "poll", "--json", *store)
    (obj,) = json_lines(out)
    assert code == 0 and obj["feeds"][0]["status"] == "not-modified" and obj["ingest"] is None

    tarif = web.page("tarif")
    code, out, _ = run_cli(capsys, "ingest", tarif, "--json", *store)
    (obj,) = json_lines(out)
    assert code == 0 and obj["added"] == 1 and obj["source_url"] == tarif
    assert obj["citation_ids"][0] == f"{obj['article_id']}#1" and obj["file"].endswith(f"{obj['article_id']}.md")
    code, _, err = run_cli(capsys, "ingest", tarif, str(corpus), *store)
    assert code == 2 and "either URLs or files" in err
    code, _, err = run_cli(capsys, "ingest", web.url("/html-page"), *store)
    assert code == 1 and "no article text" in err

    # citations link to the source: ask --json, source (text and --json)
    code, out, _ = run_cli(capsys, "ask", WAERME_QUESTION, "--json", *store)
    cited = json.loads(out)["citations"][0]
    assert cited["url"] == waerme
    code, out, _ = run_cli(capsys, "ask", WAERME_QUESTION, *store)
    assert f"    {waerme}" in out.splitlines()
    code, out, _ = run_cli(capsys, "source", cited["id"], *store)
    assert waerme in out.splitlines()[:3]
    code, out, _ = run_cli(capsys, "source", cited["id"], "--json", *store)
    assert json.loads(out)["meta"]["url"] == waerme

    code, out, _ = run_cli(capsys, "feed", "remove", feed, *store)
    assert code == 0 and "2 article(s) it brought stay" in out
    code, out, _ = run_cli(capsys, "feed", "list", *store)
    assert out.startswith("no feeds registered")

    code, out, _ = run_cli(capsys, "audit", "--json", *store)
    actions = [(e["action"], e["result"].split(":")[0]) for e in json_lines(out)]
    assert actions.count(("feed add", "rejected")) == 3
    assert ("feed remove", "removed (2 article(s) it brought stay in the corpus)") in actions
    assert any(a == "ingest url" and r.startswith("1 added") for a, r in actions)
    assert ("ingest url", "rejected") in actions
    assert all(e["actor"].startswith("cli:") for e in json_lines(out) if e["action"].startswith(("feed", "ingest")))


def test_a_url_that_fails_is_reported_and_the_next_url_still_ingested(cli_store, web, capsys):
    """One web article per URL: a 404 is one failed line, like a file that fails."""
    _, store = cli_store
    missing, tarif = web.url("/status/404"), web.page("tarif")

    code, out, err = run_cli(capsys, "ingest", missing, tarif, "--json", *store)
    first, second = json_lines(out)
    assert code == 1 and err == ""
    assert first["url"] == missing and first["article_id"] is None and first["added"] == 0
    assert first["failed"] == [{"path": missing, "line": None, "reason": "HTTP 404"}]
    assert second["url"] == tarif and second["added"] == 1 and second["failed"] == []
    assert first.keys() == second.keys()  # every line read alike

    code, out, err = run_cli(capsys, "ingest", missing, tarif, *store)
    assert code == 1 and out.splitlines()[0] == f"{missing}: not ingested" and f"{tarif}: " in out
    assert err.strip() == f"failed: {missing}: HTTP 404"
    code, _, _ = run_cli(capsys, "ingest", tarif, *store)
    assert code == 0


def test_a_page_whose_file_cannot_be_written_is_one_failed_line_and_the_next_url_still_tried(cli_store, web, capsys):
    """A full disk, or a file where the folder for web pages should be: a traceback had
    ended the run before the next URL."""
    corpus, store = cli_store
    (corpus / "web").write_text("a file, not a folder\n", encoding="utf-8")
    tarif, missing = web.page("tarif"), web.url("/status/404")
    code, out, err = run_cli(capsys, "ingest", tarif, missing, "--json", *store)
    first, second = json_lines(out)
    assert code == 1 and first["added"] == 0 and "Traceback" not in err
    assert first["failed"][0]["path"] == tarif and first["failed"][0]["reason"].startswith(f"cannot write {corpus}")
    assert first["failed"][0]["reason"].endswith("Not a directory")
    assert second["failed"] == [{"path": missing, "line": None, "reason": "HTTP 404"}]


def test_a_feed_whose_items_cannot_be_written_notes_them_and_is_polled_again(cli_store, web, capsys):
    """The corpus's fault, not the feed's: the poll had failed whole as an internal error."""
    corpus, store = cli_store
    (corpus / "web").write_text("a file, not a folder\n", encoding="utf-8")
    web.page("waermenetz")
    web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    feed = web.url("/feeds/rss20.xml")
    code, out, err = run_cli(capsys, "feed", "add", feed, *store)
    assert code == 0 and "internal error" not in out + err and "Traceback" not in err
    assert "cannot write" in out and "trying again later" in out
    code, out, _ = run_cli(capsys, "feed", "list", "--json", *store)
    (row,) = json_lines(out)
    assert row["last_error"] == "3 notes; first: 1 duplicate item(s) merged" and row["articles_ingested"] == 0


def test_a_one_shot_fetch_promises_no_retry_when_robots_txt_is_unavailable(cli_store, web, capsys):
    """Nothing asks again after ``absatz ingest URL`` ends: the reason says what happened, no more."""
    _, store = cli_store
    web.set("/robots.txt", "Wartung", "text/plain", status=503)
    page = web.page("tarif")

    code, out, err = run_cli(capsys, "ingest", page, *store)
    assert code == 1 and out == f"{page}: not ingested\n"
    assert err.strip() == f"failed: {page}: robots.txt unavailable (HTTP 503)"


def test_a_feed_whose_site_robots_txt_is_unavailable_is_registered_and_its_items_noted(cli_store, web, capsys):
    """robots.txt rules pages, not feeds: a 503 on it keeps no feed out; the items wait,
    each noted, for the poller to ask again."""
    _, store = cli_store
    web.set("/robots.txt", "Wartung", "text/plain", status=503)
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    feed = web.url("/feeds/rss20.xml")

    code, out, err = run_cli(capsys, "feed", "add", feed, *store)
    assert code == 0, err
    assert f"added {feed}" in out and "robots.txt unavailable (HTTP 503); trying again later" in out
    code, out, _ = run_cli(capsys, "feed", "list", "--json", *store)
    (row,) = json_lines(out)
    assert row["url"] == feed and row["articles_ingested"] == 0


def _reader(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _until(lines: queue.Queue, predicate) -> list[str]:
    seen = []
    while True:
        line = lines.get(timeout=WAIT_S)
        if line is None:
            raise AssertionError("absatz watch ended early:\n" + "\n".join(seen))
        seen.append(line)
        if predicate(line):
            return seen


def test_absatz_watch_ingests_new_files_until_interrupted(cli_store, tmp_path, capsys):
    corpus, store = cli_store
    env = {**os.environ, "WATCH_QUIET_MS": "300", "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "absatz.cli", "watch", "--no-feeds", *store],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    try:
        _until(lines, lambda line: line.startswith("watching "))
        (corpus / "solar.txt").write_text(SOLAR, encoding="utf-8")
        seen = _until(lines, lambda line: "(solar#1)" in line)
        assert any("ingested (watch): 1 added" in line for line in seen)
        process.send_signal(signal.SIGINT)
        _until(lines, lambda line: line == "stopped")
        assert process.wait(WAIT_S) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    code, out, _ = run_cli(capsys, "ask", "Wie viele Module hat die schwimmende Solaranlage?", "--json", *store)
    assert "solar#2" in [c["id"] for c in json.loads(out)["citations"]]
    code, out, _ = run_cli(capsys, "audit", "--json", *store)
    assert ("live:watcher", "watch") in [(e["actor"], e["action"]) for e in json_lines(out)]


def test_absatz_watch_of_a_corpus_dir_that_is_a_file_is_one_line(cli_store, tmp_path):
    _, store = cli_store
    afile = tmp_path / "artikel.txt"
    afile.write_text("kein Ordner", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "absatz.cli", "watch", "--no-feeds", *store],
        cwd=ROOT,
        env={**os.environ, "CORPUS_DIR": str(afile)},
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip() == f"absatz: error: CORPUS_DIR {afile} cannot be watched: File exists"


def test_a_page_on_a_refused_address_is_named_for_its_address_not_its_robots_txt(cli_store, web, capsys, monkeypatch):
    """Not "robots.txt unavailable (… a cloud metadata address)": the page's own address is the reason."""
    _, store = cli_store
    metadata_url = "http://169.254.169.254/x"
    code, out, err = run_cli(capsys, "ingest", metadata_url, *store)
    assert code == 1 and out == f"{metadata_url}: not ingested\n"
    assert err.strip() == f"failed: {metadata_url}: 169.254.169.254 is a cloud metadata address"

    monkeypatch.setenv("FEEDS_ALLOW_PRIVATE", "false")
    page = web.page("tarif")
    code, out, err = run_cli(capsys, "ingest", page, *store)
    assert code == 1 and out == f"{page}: not ingested\n"
    assert err.strip() == f"failed: {page}: 127.0.0.1 is a loopback address; set FEEDS_ALLOW_PRIVATE=true to allow it"
    assert web.hits["/robots.txt"] == 0


def test_a_url_with_a_port_out_of_range_is_one_failed_line_and_the_next_url_still_ingested(cli_store, web, capsys):
    """``OverflowError: connect(): port must be 0-65535`` ended the command in a traceback."""
    _, store = cli_store
    bad, tarif = "http://127.0.0.1:99999/a", web.page("tarif")

    code, out, err = run_cli(capsys, "ingest", bad, tarif, *store)
    assert code == 1 and out.splitlines()[0] == f"{bad}: not ingested" and f"{tarif}: " in out
    assert err.strip() == f"failed: {bad}: port 99999 is not a TCP port (1-65535)"
    code, out, _ = run_cli(capsys, "ingest", bad, tarif, "--json", *store)
    first, second = json_lines(out)
    assert first["failed"] == [{"path": bad, "line": None, "reason": "port 99999 is not a TCP port (1-65535)"}]
    assert second["url"] == tarif and second["failed"] == []

    code, _, err = run_cli(capsys, "feed", "add", "http://127.0.0.1:99999/feed.xml", *store)
    assert code == 2 and err.strip() == (
        "absatz: error: http://127.0.0.1:99999/feed.xml: port 99999 is not a TCP port (1-65535)"
    )


def test_a_url_of_another_scheme_is_refused_as_a_url_not_looked_for_as_a_file(cli_store, capsys):
    _, store = cli_store
    code, out, err = run_cli(capsys, "ingest", "ftp://example.com/bericht.txt", *store)
    assert code == 1 and out == "ftp://example.com/bericht.txt: not ingested\n"
    assert err.strip() == "failed: ftp://example.com/bericht.txt: only http and https URLs are fetched, not ftp"


def test_a_password_in_a_url_is_neither_shown_nor_audited(cli_store, capsys, monkeypatch, tmp_path):
    """The refusal and the audit log had repeated it: ``http://user:geheim@…``."""
    _, store = cli_store
    monkeypatch.setenv("BOT_DB", str(tmp_path / "bot.sqlite3"))
    url = "http://redaktion:geheim-4711@news.example.com/feed.xml"
    code, _, err = run_cli(capsys, "feed", "add", url, *store)
    assert code == 2 and err.strip() == (
        "absatz: error: http://redaktion:***@news.example.com/feed.xml: "
        "URLs with a user name or password are not fetched"
    )
    code, out, err = run_cli(capsys, "ingest", url, *store)
    assert code == 1 and "geheim" not in out + err and "redaktion:***@" in err
    for refused in (  # refused for another reason first: the password still not shown
        "ftp://redaktion:geheim-4711@news.example.com/feed.xml",
        "http://redaktion:geheim-4711@news.example.com:70000/feed.xml",
    ):
        code, _, err = run_cli(capsys, "feed", "add", refused, *store)
        assert code == 2 and "geheim" not in err and "redaktion:***@" in err
    code, out, _ = run_cli(capsys, "audit", "--json", *store)
    assert code == 0 and len(json_lines(out)) >= 4 and "geheim" not in out and "redaktion:***@" in out
