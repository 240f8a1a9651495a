"""Faults and hostile input: a full disk, rate limits, DMs to admin commands, secrets."""

from __future__ import annotations

import json
import logging
import os
import resource
import signal
import subprocess
import sys

import pytest

from bot import create_bot
from bot.answer import answer
from bot.settings import BotSettings
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings

from .conftest import CORPUS, ROOT, json_lines, run_cli
from .simcord_helpers import reply_of

SECRETS = {"DISCORD_TOKEN": "MTIz.discord-secret-value.xyz", "LLM_API_KEY": "sk-llm-secret-value",
           "CHROMA_AUTH_TOKEN": "chroma-secret-value"}


def test_full_disk_during_ingest_is_a_clear_error_and_the_old_index_serves(tmp_path, capsys):
    chroma = tmp_path / "chroma"
    code, _, _ = run_cli(capsys, "ingest", str(CORPUS / "2024-03-hafen-terminal.txt"), "--chroma-path", str(chroma), "--json")
    assert code == 0
    size = sum(f.stat().st_size for f in chroma.rglob("*") if f.is_file())

    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    exe = os.path.join(os.path.dirname(sys.executable), "absatz")
    proc = subprocess.run([exe, "ingest", str(CORPUS), "--chroma-path", str(chroma)], preexec_fn=small_disk,
                          capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "BOT_DB": str(tmp_path / "bot.sqlite3")})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "cannot write to the store" in proc.stderr and "previous index still serves" in proc.stderr
    code, out, _ = run_cli(capsys, "ask", "Was kritisieren Umweltverbände am neuen Terminal im Hafen?", "--json",
                           "--chroma-path", str(chroma))
    assert code == 0 and json_lines(out)[0]["citations"][0]["article_id"] == "2024-03-hafen-terminal"


@pytest.fixture
def simcord_bot(built_store, searcher, tmp_path):
    return create_bot(BotSettings(store=built_store, shard_count=1, bot_db=tmp_path / "bot.sqlite3"), searcher)


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


async def test_secrets_never_reach_logs_replies_stats_or_audit(simcord_env, simcord_bot, caplog, capsys, monkeypatch, built_store):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("fragen")
    alice = guild.add_member(simcord_env.create_user("alice"))
    await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    await alice.slash(channel, "stats")
    await alice.slash(channel, "source", id="kaputt")
    simcord_env.inject_error("*", "/webhooks/*", status=500, times=None)
    await alice.slash(channel, "ask", question="Wie viele Blitzer will Köln aufstellen?")
    simcord_env.backend.faults.clear()
    simcord_env.errors.clear()
    run_cli(capsys, "stats", "--json", "--chroma-path", str(built_store.chroma_path))
    code, out, err = run_cli(capsys, "audit", "--json")
    seen = caplog.text + out + err + json.dumps([r.json for r in simcord_env.http_requests], default=str)
    seen += repr(simcord_bot.settings) + json.dumps([e.as_dict() for e in simcord_bot.audit.recent(100)])
    for value in SECRETS.values():
        assert value not in seen


def test_read_only_store_refuses_ingest_and_the_running_bot_keeps_answering(tmp_path, capsys, embedder):
    """Root ignores permission bits, so the store is made immutable (chattr +i) instead."""
    chroma = tmp_path / "chroma"
    code, _, _ = run_cli(capsys, "ingest", str(CORPUS / "2024-03-hafen-terminal.txt"), "--chroma-path", str(chroma), "--json")
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
