"""Render a real answer as Discord shows it: the bot in simcord, its preview page in
headless Chromium. Writes docs/discord-answer.png (used by the README).

    python docs/screenshot.py   # needs simcord[preview] and Debian's chromium
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import simcord  # noqa: E402

from bot.settings import BotSettings  # noqa: E402
from ingest.pipeline import ingest_paths  # noqa: E402
from tests.simcord_helpers import bot_with  # noqa: E402
from vectorstore.chroma import Chroma  # noqa: E402
from vectorstore.search import Searcher  # noqa: E402
from vectorstore.settings import StoreSettings  # noqa: E402

SEED = ROOT.parent / "shared" / "seed"
OUT = ROOT / "docs" / "discord-answer.png"


async def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed (apt-get install chromium)")
    tmp = Path(tempfile.mkdtemp(prefix="absatz-shot-"))
    settings = StoreSettings(chroma_path=tmp / "chroma")
    searcher = Searcher.open(settings)
    ingest_paths(Chroma(settings), searcher.embedder, [ROOT / "corpus"] + ([SEED] if SEED.exists() else []))
    bot = bot_with(BotSettings(store=settings, shard_count=1, bot_db=tmp / "feedback.sqlite3"), searcher)
    async with simcord.run(bot) as env:
        guild = env.create_guild()
        channel = guild.create_text_channel("fragen")
        alice = guild.add_member(env.create_user("alice"))
        question = "Wie weit flogen die Raketen?" if SEED.exists() else "Was kostet ein Brötchen in München?"
        result = await alice.slash(channel, "ask", question=question)
        message = result.followups[-1].message if result.followups else result.response.message
        async with env.preview(
            channel, viewers=[alice], layout="message", display="fixed", width=820, height=720
        ) as preview:
            proc = await asyncio.create_subprocess_exec(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp / 'chrome'}",
                "--hide-scrollbars",
                "--window-size=820,720",
                "--virtual-time-budget=4000",
                f"--screenshot={OUT}",
                preview.url,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            await proc.wait()
    print(f"wrote {OUT} (message {message.id})")


if __name__ == "__main__":
    asyncio.run(main())
