"""Smoke test of the *installed* absatz package: `make smoke-wheel` (part of `make test`).

Not a pytest module (pytest never collects it): it runs with the interpreter of a fresh
virtual environment that holds only the absatz wheel (with its dependencies) and
simcord, from a folder outside the repository, in isolated mode, so nothing can be
imported from the source tree:

    VENV/bin/python -I smoke_installed.py CORPUS_DIR

What a deployment does first: ingest CORPUS_DIR with the installed ``absatz`` command
into a temporary store, ask one question, then start the bot from ``bot.app.create_bot``
through simcord, check that every cog loaded and that ``/ask`` answers with a citation.
Exit status 0 only if all of that worked.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

QUESTION = "Was kostet ein Brötchen in München?"
ARTICLE = "2025-06-baeckerei-preise"
# Every cog in bot/cogs, by name: one missing from the wheel fails here.
COGS = {"Admin", "Ask", "Gaps", "Live", "Scopes", "Sources", "Stats"}
COMMANDS = {
    "ask",
    "source",
    "search",
    "article",
    "stats",
    "reingest",
    "upload",
    "remove",
    "gaps",
    "scope",
    "feed",
    "follow",
    "unfollow",
    "following",
}


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"smoke test failed: {what}")


def absatz(*args: str, env: dict[str, str], cwd: Path) -> dict:
    exe = Path(sys.executable).with_name("absatz")  # the installed console script
    proc = subprocess.run([str(exe), *args, "--json"], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)
    check(proc.returncode == 0, f"`absatz {args[0]}` exited {proc.returncode}:\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


async def bot_answers(store: Path, work: Path) -> None:
    import simcord

    from bot.app import create_bot
    from bot.settings import BotSettings
    from vectorstore.settings import StoreSettings

    bot = create_bot(BotSettings(store=StoreSettings(chroma_path=store), shard_count=1, bot_db=work / "bot.sqlite3"))
    async with simcord.run(bot, settle_timeout=300) as env:
        check(set(bot.cogs) == COGS, f"cogs loaded: {sorted(bot.cogs)}, expected {sorted(COGS)}")
        commands = {c.name for c in bot.tree.get_commands()}
        check(commands >= COMMANDS, f"slash commands missing: {sorted(COMMANDS - commands)}")
        guild = env.create_guild()
        channel = guild.create_text_channel("fragen")
        alice = guild.add_member(env.create_user("alice"))
        result = await alice.slash(channel, "ask", question=QUESTION)
        reply = result.followups[-1] if result.followups else result.response
        embed = reply.embeds[0] if reply and reply.embeds else None
        check(embed is not None and "65 Cent" in (embed.description or ""), f"/ask answered {reply!r}")
        check(bool(embed.fields) and embed.fields[0].value.endswith(f"`{ARTICLE}#1`"), "/ask cites the paragraph")
        check(not env.errors, f"the bot raised {env.errors!r}")


def main() -> int:
    corpus = Path(sys.argv[1]).resolve()
    import bot

    installed = Path(bot.__file__).resolve()
    check(
        installed.is_relative_to(Path(sys.prefix).resolve()),
        f"bot imported from {installed}, not the installed package",
    )
    with tempfile.TemporaryDirectory(prefix="absatz-smoke-") as tmp:
        work = Path(tmp)
        store = work / "chroma"
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CHROMA_", "CORPUS_", "LLM_", "DISCORD_", "INDEX_"))
        }
        env["BOT_DB"] = str(work / "audit.sqlite3")
        report = absatz("ingest", str(corpus), "--chroma-path", str(store), env=env, cwd=work)
        check(report["added"] == len(list(corpus.glob("*.txt"))) and not report["failed"], f"ingest: {report}")
        answer = absatz("ask", QUESTION, "--chroma-path", str(store), env=env, cwd=work)
        check(not answer["abstained"] and "65 Cent" in answer["answer"], f"ask: {answer}")
        check(answer["citations"][0]["article_id"] == ARTICLE, f"ask cites {answer['citations'][:1]}")
        asyncio.run(bot_answers(store, work))
    print(f"smoke test of the installed package passed ({installed.parent})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
