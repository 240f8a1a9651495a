"""Faults and hostile input: a full disk, rate limits, DMs to admin commands, secrets."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import discord
import pytest
import simcord

from absatz.answer import answer
from bot.settings import BotSettings
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings

from .conftest import CORPUS, ROOT, json_lines, run_cli
from .llm_server import FakeOpenAI
from .simcord_helpers import bot_with, reply_of

SECRETS = {
    "DISCORD_TOKEN": "MTIz.discord-secret-value.xyz",
    "LLM_API_KEY": "sk-llm-secret-value",
    "CHROMA_AUTH_TOKEN": "chroma-secret-value",
}


def test_full_disk_during_ingest_is_a_clear_error_and_the_old_index_serves(tmp_path, capsys):
    chroma = tmp_path / "chroma"
    code, _, _ = run_cli(
        capsys, "ingest", str(CORPUS / "2024-03-hafen-terminal.txt"), "--chroma-path", str(chroma), "--json"
    )
    assert code == 0
    # Full: no file of the store may grow past the largest one it holds now (a bound on the
    # total would depend on how much an ingest writes per record).
    size = max(f.stat().st_size for f in chroma.rglob("*") if f.is_file())

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run(
        [exe, "ingest", str(CORPUS), "--chroma-path", str(chroma)],
        preexec_fn=small_disk,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "BOT_DB": str(tmp_path / "bot.sqlite3")},
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot write to the store" in proc.stderr and "previous index still serves" in proc.stderr
    code, out, _ = run_cli(
        capsys,
        "ask",
        "Was kritisieren Umweltverbände am neuen Terminal im Hafen?",
        "--json",
        "--chroma-path",
        str(chroma),
    )
    assert code == 0 and json_lines(out)[0]["citations"][0]["article_id"] == "2024-03-hafen-terminal"


@pytest.fixture
def simcord_bot(built_store, searcher, tmp_path):
    return bot_with(BotSettings(store=built_store, shard_count=1, bot_db=tmp_path / "bot.sqlite3"), searcher)


async def test_rate_limited_reply_is_retried(simcord_env):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("fragen")
    alice = guild.add_member(simcord_env.create_user("alice"))
    simcord_env.inject_error("*", "/webhooks/*", status=429, message="You are being rate limited.", times=1)
    result = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert "65 Cent" in reply_of(result).embeds[0].description


async def test_admin_commands_do_not_exist_in_dms(simcord_env):
    user = simcord_env.create_user("stranger")
    assert not {"reingest", "upload", "remove"} & set(user.available_commands())
    assert "ask" in user.available_commands()


async def test_secrets_never_reach_logs_replies_stats_or_audit(tmp_path, monkeypatch, caplog, capsys):
    """The bot is configured as `absatz serve` configures it: the secrets are in `.env`
    (CHROMA_AUTH_TOKEN in the environment itself) before anything is read, the CLI
    loads `.env` and the bot's settings come from the environment. Then everything it
    answers, logs, records in the audit log and prints is searched for them."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "2025-06-baeckerei-preise.txt", corpus)
    llm = FakeOpenAI().start()
    llm.script += [{"content": "Ein Brötchen kostet in München jetzt 65 Cent [1]."}, {"status": 500}]
    (tmp_path / ".env").write_text(
        f"DISCORD_TOKEN={SECRETS['DISCORD_TOKEN']}\nLLM_API_KEY={SECRETS['LLM_API_KEY']}\n"
        f"LLM_MODEL=openai:gpt-test\nLLM_BASE_URL={llm.base_url}\n"
        f"CHROMA_PATH={tmp_path / 'chroma'}\nCORPUS_DIR={corpus}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CHROMA_AUTH_TOKEN", SECRETS["CHROMA_AUTH_TOKEN"])
    for name in ("DISCORD_TOKEN", "LLM_API_KEY", "LLM_MODEL", "LLM_BASE_URL", "CHROMA_PATH", "CORPUS_DIR"):
        monkeypatch.setenv(name, "")  # remembered, so that what .env sets is undone after the test
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    try:
        code, out, err = run_cli(capsys, "ingest", "--json")  # main() loads ./.env, as for `absatz serve`
        assert code == 0 and json.loads(out)["added"] == 1
        assert {name: os.environ.get(name) for name in SECRETS} == SECRETS
        settings = BotSettings.from_env(store=StoreSettings.from_env())  # what cmd_serve builds
        assert settings.discord_token == SECRETS["DISCORD_TOKEN"] and settings.llm.api_key == SECRETS["LLM_API_KEY"]
        assert settings.store.chroma_auth_token == SECRETS["CHROMA_AUTH_TOKEN"] and settings.llm.enabled
        bot = bot_with(settings)  # opens its own store and LLM from the settings, as serve does
        async with simcord.run(bot, shard_count=1, settle_timeout=300) as env:  # /reingest ingests
            guild = env.create_guild()
            channel = guild.create_text_channel("fragen")
            admins = guild.create_role("Redaktion", permissions=discord.Permissions(manage_guild=True))
            alice = guild.add_member(env.create_user("alice"), roles=[admins])
            answered = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
            shown = reply_of(answered).embeds[0].description.replace("**", "")  # the fact asked for is bold
            assert shown.startswith("Ein Brötchen kostet in München jetzt 65 Cent.")
            fallback = await alice.slash(channel, "ask", question="Wie viel kostet ein Brötchen in München?")
            assert "[1]" in reply_of(fallback).embeds[0].description  # the LLM failed (500): extractive answer
            await alice.slash(channel, "stats")
            await alice.slash(channel, "source", id="kaputt")
            await alice.slash(channel, "reingest")
            await alice.slash(channel, "upload", file=("kaputt.jsonl", b"{kaputt\n"))
            shown = await alice.slash(channel, "remove", article_id="2025-06-baeckerei-preise")
            await alice.click(shown.response.message, label="Cancel")
            env.inject_error("*", "/webhooks/*", status=500, times=None)
            await alice.slash(channel, "ask", question="Wie viele Blitzer will Köln aufstellen?")
            env.backend.faults.clear()
            env.errors.clear()
            replies = json.dumps([r.json for r in env.http_requests], default=str) + env.transcript()
            audit_entries = [e.as_dict() for e in bot.core.audit.recent(100)]
            reprs = repr(bot.settings) + repr(bot.settings.store) + repr(bot.settings.llm) + repr(bot.core.llm)
        assert {e["action"] for e in audit_entries} == {"ingest", "reingest", "upload", "remove"}
        assert len(llm.requests) >= 2  # the LLM was really asked, with the key
        code, out, err = run_cli(capsys, "stats", "--json")
        code2, out2, err2 = run_cli(capsys, "audit", "--json")
        assert code == code2 == 0 and json_lines(out2)
    finally:
        llm.stop()
    seen = caplog.text + out + err + out2 + err2 + replies + json.dumps(audit_entries, ensure_ascii=False) + reprs
    for name, value in SECRETS.items():
        assert value not in seen, name


def test_read_only_store_refuses_ingest_and_the_running_bot_keeps_answering(tmp_path, capsys, embedder):
    """Root ignores permission bits, so the store is made immutable (chattr +i) instead."""
    chroma = tmp_path / "chroma"
    code, _, _ = run_cli(
        capsys, "ingest", str(CORPUS / "2024-03-hafen-terminal.txt"), "--chroma-path", str(chroma), "--json"
    )
    assert code == 0
    running = Searcher.open(StoreSettings(chroma_path=chroma), embedder)
    question = "Was kritisieren Umweltverbände am neuen Terminal im Hafen?"
    assert answer(running, question).citations[0].article_id == "2024-03-hafen-terminal"
    if subprocess.run(["chattr", "-R", "+i", str(chroma)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem cannot make files immutable")
    try:
        code, _, err = run_cli(capsys, "ingest", str(CORPUS), "--chroma-path", str(chroma), "--json")
        assert code == 2 and "read-only" in err and "Nothing was changed" in err
        served = answer(running, question)  # the bot that was running still answers, from the old index
        assert not served.abstained and served.citations[0].article_id == "2024-03-hafen-terminal"
    finally:
        subprocess.run(["chattr", "-R", "-i", str(chroma)], check=True)
    code, out, _ = run_cli(capsys, "stats", "--json", "--chroma-path", str(chroma))
    assert json.loads(out)["articles"] == 1  # nothing was lost or half-written


# --- filesystem faults: a really full disk, a store read-only from the start ------------

HAFEN = "2024-03-hafen-terminal"
HAFEN_QUESTION = "Was kritisieren Umweltverbände am neuen Terminal im Hafen?"


def absatz_process(tmp_path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """The CLI in a fresh process: what an admin, or a bot being restarted, runs."""
    return subprocess.run(
        [sys.executable, "-m", "absatz.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, "BOT_DB": str(tmp_path / "bot.sqlite3")},
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "Traceback" not in err and len(err.splitlines()) == 1, proc.stderr[-3000:]
    return err


def mount_small_filesystem(where, size_mb: int) -> None:
    """A real file system of ``size_mb`` at ``where``: tmpfs, else a loop-mounted ext4
    image; skips the test, saying why, where this machine allows neither."""
    where.mkdir()
    attempts = [
        [["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where)]],
        [
            ["truncate", "-s", f"{size_mb}M", f"{where}.img"],
            ["mkfs.ext4", "-q", "-F", f"{where}.img"],
            ["mount", "-o", "loop", f"{where}.img", str(where)],
        ],
    ]
    reasons = []
    for steps in attempts:
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=120)
            except (OSError, subprocess.TimeoutExpired) as exc:
                reasons.append(f"{step[0]}: {exc}")
                break
            if done.returncode != 0:
                reasons.append(f"{' '.join(step[:3])}: {done.stderr.strip() or done.returncode}")
                break
        else:
            return
    pytest.skip("cannot mount a small file system here (needs root and mount(8)): " + "; ".join(reasons))


def fill_up(folder, leave_bytes: int) -> None:
    """Write one file into ``folder`` until its file system has ``leave_bytes`` left."""
    stat = os.statvfs(folder)
    todo = stat.f_bavail * stat.f_frsize - leave_bytes
    chunk = b"\0" * (1 << 20)
    with open(folder / "filler", "wb") as f:
        while todo > 0:
            f.write(chunk[: min(todo, len(chunk))])
            todo -= len(chunk)


def test_no_space_left_during_ingest_loses_nothing_and_the_running_reader_answers(tmp_path, embedder):
    """A real ENOSPC (a small tmpfs or loop file system, filled up), not a file-size limit."""
    disk = tmp_path / "disk"
    mount_small_filesystem(disk, 32)
    try:
        chroma = disk / "chroma"
        first = absatz_process(tmp_path, "ingest", str(CORPUS / f"{HAFEN}.txt"), "--chroma-path", str(chroma), "--json")
        assert first.returncode == 0, first.stderr
        running = Searcher.open(StoreSettings(chroma_path=chroma), embedder)  # the bot, already up
        assert answer(running, HAFEN_QUESTION).citations[0].article_id == HAFEN

        fill_up(disk, leave_bytes=150_000)
        full = absatz_process(tmp_path, "ingest", str(CORPUS), "--chroma-path", str(chroma), "--json")
        err = one_line_error(full)
        assert "cannot write to the store" in err and str(chroma) in err and "previous index still serves" in err
        served = answer(running, HAFEN_QUESTION)  # the disk is still full
        assert not served.abstained and served.citations[0].article_id == HAFEN

        (disk / "filler").unlink()
        stats = absatz_process(tmp_path, "stats", "--json", "--chroma-path", str(chroma))
        assert stats.returncode == 0 and json.loads(stats.stdout)["articles"] == 1  # nothing stored was lost
        asked = absatz_process(tmp_path, "ask", HAFEN_QUESTION, "--json", "--chroma-path", str(chroma))
        assert asked.returncode == 0 and json_lines(asked.stdout)[0]["citations"][0]["article_id"] == HAFEN
        again = absatz_process(tmp_path, "ingest", str(CORPUS), "--chroma-path", str(chroma), "--json")
        assert again.returncode == 0, again.stderr
        report = json.loads(again.stdout)
        assert report["failed"] == [] and report["added"] + report["unchanged"] == len(list(CORPUS.glob("*.txt")))
        assert answer(running, HAFEN_QUESTION).citations[0].article_id == HAFEN
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=60)


def test_a_process_started_on_a_read_only_store_gives_one_line_and_no_traceback(tmp_path):
    """Root ignores permission bits, so the store is made immutable (chattr +i)."""
    chroma = tmp_path / "chroma"
    first = absatz_process(tmp_path, "ingest", str(CORPUS / f"{HAFEN}.txt"), "--chroma-path", str(chroma), "--json")
    assert first.returncode == 0, first.stderr
    if subprocess.run(["chattr", "-R", "+i", str(chroma)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem cannot make files immutable (chattr +i)")
    try:
        for args in (("ask", HAFEN_QUESTION), ("stats",), ("source", f"{HAFEN}#1"), ("ingest", str(CORPUS))):
            proc = absatz_process(tmp_path, *args, "--chroma-path", str(chroma))
            err = one_line_error(proc)
            assert "read" in err.lower() and proc.stdout == "", (args, err)  # "readonly database" / "read-only"
    finally:
        subprocess.run(["chattr", "-R", "-i", str(chroma)], check=True)
    stats = absatz_process(tmp_path, "stats", "--json", "--chroma-path", str(chroma))
    assert json.loads(stats.stdout)["articles"] == 1


def test_tests_needing_shared_data_fail_in_ci_and_skip_with_a_reason_elsewhere(tmp_path):
    """tests/conftest.py: needs_seed and friends skip locally, but error with CI=true."""
    target = "tests/test_parse.py::test_seed_article_parses_exactly"
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["ABSATZ_SHARED_DIR"] = str(tmp_path / "absent")
    cmd = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", target]
    local = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout[-3000:]
    assert "seed" in local.stdout and "is absent" in local.stdout
    ci = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**env, "CI": "true"}, timeout=300)
    assert ci.returncode == 1 and "1 error" in ci.stdout and "CI=true but" in ci.stdout, ci.stdout[-3000:]


@pytest.mark.parametrize(
    "name, value",
    [
        ("ASK_COOLDOWN_RATE", "-3"),  # refused every question
        ("ASK_COOLDOWN_SECONDS", "0"),  # was silently 30
        ("MAX_CONCURRENT_ANSWERS", "-1"),  # a thread-pool traceback
        ("MAX_FILE_BYTES", "-1"),  # refused every file
        ("CHROMA_PORT", "99999"),
        ("LLM_TIMEOUT_S", "-1"),
        ("LLM_TIMEOUT_S", "99999999999999999999"),  # every answer fell back: the timestamp overflowed
        ("LLM_MAX_TOKENS", "0"),
        ("DISCORD_SHARD_COUNT", "0"),
        ("CHROMA_HOST", "localhost:9000"),  # was reported as http://localhost:9000:8000
        ("CHROMA_HOST", "::1"),  # chromadb would build http://::1:8000
    ],
)
def test_a_setting_that_cannot_work_is_refused_by_name(name, value):
    from vectorstore.errors import SettingsError

    with pytest.raises(SettingsError, match=name):
        BotSettings.from_env({name: value})


@pytest.mark.parametrize("host", ["chroma.internal", "10.0.0.7", "[::1]", "https://proxy.example/chroma"])
def test_chroma_host_takes_names_and_addresses(host):
    assert BotSettings.from_env({"CHROMA_HOST": host, "CHROMA_PORT": "9000"}).store.chroma_host == host


class HungServer:
    """A Chroma server that accepts connections and never answers."""

    def __init__(self) -> None:
        import socket
        import threading

        self.socket = socket.create_server(("127.0.0.1", 0))
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.socket.accept()[0])

    def env(self, tmp_path, timeout_s: int) -> dict[str, str]:
        """Settings that use it, and a BOT_DB of their own under ``tmp_path``."""
        return {
            "CHROMA_HOST": "127.0.0.1",
            "CHROMA_PORT": str(self.socket.getsockname()[1]),
            "CHROMA_TIMEOUT_S": str(timeout_s),
            "BOT_DB": str(tmp_path / "bot.sqlite3"),
        }

    def close(self) -> None:
        import socket

        with contextlib.suppress(OSError):  # closed already
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread: no retry is taken in again
        self.socket.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def hung_server():
    server = HungServer()
    yield server
    server.close()


def test_a_hung_chroma_server_does_not_hold_up_the_bots_own_stores(tmp_path, hung_server):
    """A question's worker waits out a server that accepts and never answers; the event
    loop reads a channel's scope for every message meanwhile. Behind one lock, each of
    those reads had waited as long (twice CHROMA_TIMEOUT_S), and the bot stood still."""
    import threading

    from absatz.api import Absatz
    from absatz.settings import Settings
    from vectorstore.errors import AbsatzError

    accepted = hung_server.accepted
    env = hung_server.env(tmp_path, 20)
    core = Absatz(Settings.from_env(env))
    failed: list[BaseException] = []

    def question() -> None:
        try:
            assert core.searcher is None  # never: the server does not answer
        except AbsatzError as exc:
            failed.append(exc)

    worker = threading.Thread(target=question, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while not accepted and time.monotonic() < deadline:  # the worker is waiting on the server
            time.sleep(0.01)
        assert accepted
        reads = threading.Thread(target=lambda: (core.scopes, core.feedback, core.audit, core.llm), daemon=True)
        reads.start()
        reads.join(30)
        assert not reads.is_alive() and worker.is_alive()
    finally:
        hung_server.close()
        worker.join(120)
    assert not worker.is_alive() and failed  # the question itself is refused, in time


async def test_lookups_on_a_hung_chroma_server_are_acknowledged_before_they_fail(tmp_path, hung_server):
    """/source, /article, /remove and /scope set read the store before answering: on a
    server that never answers, that took CHROMA_TIMEOUT_S (30 s by default), long after
    Discord's 3 s, and the "index unavailable" reply went nowhere. They are deferred at
    once and the reply follows."""
    env = hung_server.env(tmp_path, 4)
    bot = bot_with(BotSettings.from_env(env))
    unavailable = "The index is unavailable right now"
    async with simcord.run(bot, shard_count=1, settle_timeout=300) as sim:
        guild = sim.create_guild()
        channel = guild.create_text_channel("fragen")
        admins = guild.create_role("Redaktion", permissions=discord.Permissions(manage_guild=True))
        admin = guild.add_member(sim.create_user("admin"), roles=[admins])
        for command, options in (
            ("source", {"id": "2025-06-baeckerei-preise#1"}),
            ("article", {"id": "2025-06-baeckerei-preise"}),
            ("remove", {"article_id": "2025-06-baeckerei-preise"}),
            ("scope set", {"mode": "auto"}),
        ):
            before = len(sim.http_requests)
            result = await admin.slash(channel, command, **options)
            (acknowledged,) = [r for r in sim.http_requests[before:] if r.path.endswith("/callback")]
            assert acknowledged.json["type"] == 5, command  # deferred: "thinking…" at once, the reply follows
            assert unavailable in reply_of(result).content, (command, reply_of(result).content)
        assert hung_server.accepted


async def test_a_picker_on_a_hung_chroma_server_offers_nothing_in_time(tmp_path, hung_server):
    """Autocomplete cannot be deferred: Discord drops choices sent after 3 s. The pickers of
    /source, /article and /remove read the store's titles (or an article's paragraphs) and
    waited out CHROMA_TIMEOUT_S, then failed. Called as the cogs call it, with the bot's
    own async core: simcord runs the bot's timers on its virtual clock, which waits for
    the store's thread before it moves."""
    import asyncio

    from absatz import Absatz, AsyncAbsatz
    from absatz.settings import Settings
    from bot.cogs.sources import article_choices

    pickers = AsyncAbsatz(Absatz(Settings.from_env(hung_server.env(tmp_path, 60))))
    try:
        # twice: the later keystrokes find the lookup threads held by the first ones
        for typed, paragraph_ids in (("baeck", False), ("2025-06-baeckerei-preise#", True)) * 2:
            # well within CHROMA_TIMEOUT_S, generous beside the 2.5 s allowed on a busy machine
            offered = await asyncio.wait_for(article_choices(pickers, typed, paragraph_ids), 30)
            assert offered == [], typed
        assert hung_server.accepted
    finally:
        hung_server.close()
        pickers.close()


async def test_keystrokes_queued_behind_a_hung_picker_lookup_are_dropped_not_run_later(tmp_path, hung_server):
    """Each keystroke asks the store again. Had a keystroke's lookup that timed out while
    queued still run once the threads freed, a member typing on a hung store would keep
    the lookup threads busy with answers nobody waits for."""
    import asyncio

    from absatz import Absatz, AsyncAbsatz
    from absatz.aio import LOOKUP_THREADS
    from absatz.settings import Settings
    from bot.cogs.sources import article_choices

    core = Absatz(Settings.from_env(hung_server.env(tmp_path, 3)))
    started, ended = [], []
    titles = core.titles

    def counted_titles():
        started.append(1)
        try:
            return titles()
        finally:
            ended.append(1)

    core.titles = counted_titles
    pickers = AsyncAbsatz(core)
    try:
        typed = [("b" * n) for n in range(1, LOOKUP_THREADS + 3)]
        offered = await asyncio.wait_for(asyncio.gather(*(article_choices(pickers, t) for t in typed)), 30)
        assert offered == [[]] * len(typed)
        for _ in range(600):  # the hung lookups give up after CHROMA_TIMEOUT_S (3 s)
            if len(ended) == LOOKUP_THREADS:
                break
            await asyncio.sleep(0.1)
        # the lookup threads take their queue in order: this ran after every keystroke's
        await asyncio.wait_for(pickers.lookup(lambda: None), 30)
        assert len(started) == LOOKUP_THREADS
    finally:
        hung_server.close()
        pickers.close()


async def test_a_weekly_digest_that_fails_is_logged_and_the_next_one_still_comes(tmp_path, hung_server, caplog):
    """Only discord.HTTPException was caught: the store down one Monday ended the weekly
    loop, and no digest came again until a restart."""
    from dataclasses import replace

    env = hung_server.env(tmp_path, 2)
    settings = BotSettings.from_env(env)
    async with simcord.run(bot_with(settings), shard_count=1, settle_timeout=300) as sim:
        redaktion = sim.create_guild().create_text_channel("redaktion")
        await sim.restart_bot(bot_with(replace(settings, admin_channel_id=redaktion.id)))
        gaps = sim.bot.get_cog("Gaps")
        assert gaps.weekly.is_running()
        with caplog.at_level(logging.ERROR):
            assert await gaps.digest() is None
        assert "the weekly gaps digest failed" in caplog.text and "StoreUnavailable" in caplog.text
        assert gaps.weekly.is_running()


def test_a_bot_db_another_process_holds_is_tried_again_only_after_a_while(tmp_path, monkeypatch):
    """Each message in every channel reads its scope: with BOT_DB held by another process
    (a second shard, the CLI), each had waited SQLite's 10 s for its own try in the two
    record threads, and votes waited behind them. Once refused, it is told at once, to
    the other record stores too (one file), until the next try."""
    from absatz import Absatz, api
    from absatz.db.scopes import ScopeStore
    from absatz.settings import Settings
    from vectorstore.errors import RecordsUnusable

    from .test_discord import bot_db_held

    tries: list[str] = []

    class Counted(ScopeStore):
        def __init__(self, path):
            tries.append(str(path))
            super().__init__(path)

    monkeypatch.setattr(api, "ScopeStore", Counted)
    core = Absatz(Settings(db=tmp_path / "bot.sqlite3"))
    with bot_db_held(tmp_path / "bot.sqlite3"):
        for _ in range(3):
            with pytest.raises(RecordsUnusable, match=r"bot\.sqlite3"):
                core.scopes.get(1)
        with pytest.raises(RecordsUnusable):
            core.feedback.votes(1)
    assert len(tries) == 1
    monkeypatch.setattr(api, "RECORDS_RETRY_S", 0.0)  # the while has passed: it opens
    assert core.scopes.get(1) is None and core.feedback.votes(1)["answers"] == 0 and len(tries) == 2
