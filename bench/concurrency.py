"""50 users asking at once through simcord: completion time and the event loop's worst stall.

    python bench/concurrency.py [--users 50]

The loop runs in asyncio debug mode, which times every callback; the longest one is the
worst stall a Discord gateway heartbeat could have suffered (target: none over 100 ms,
so CPU work must stay off the loop).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import time

import simcord
from common import ROOT, machine, median, percentile, scratch, table

from bot.settings import BotSettings
from ingest.pipeline import ingest_paths
from tests.simcord_helpers import bot_with
from vectorstore.chroma import Chroma
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings

QUESTIONS = [
    "Was kostet ein Brötchen in München?",
    "Wie viele Blitzer will Köln aufstellen?",
    "Wann geht die Strecke Erfurt–Kassel in Betrieb?",
    "How hot did it get in Freiburg?",
    "Wer schoss die Tore im Pokalfinale?",
    "Wie heißt die neue Käferart im Harz?",
    "What did the museum renovation in Leipzig cost?",
    "Was kritisieren Umweltverbände am Hafen?",
]


class SlowCallbacks(logging.Handler):
    """Collects the durations asyncio's debug mode reports for slow callbacks."""

    def __init__(self) -> None:
        super().__init__()
        self.durations: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        m = re.search(r"took ([0-9.]+) seconds", record.getMessage())
        if m:
            self.durations.append(float(m.group(1)))


async def run(users: int) -> None:
    tmp = scratch("absatz-conc-")
    settings = StoreSettings(chroma_path=tmp / "chroma")
    searcher = Searcher.open(settings)
    ingest_paths(Chroma(settings), searcher.embedder, [ROOT / "corpus"])
    searcher.view()  # load BM25 before the clock starts, as `serve` does at start-up
    bot = bot_with(
        BotSettings(store=settings, shard_count=1, bot_db=tmp / "bot.sqlite3", cooldown_rate=1000, cooldown_per_s=1),
        searcher,
    )
    slow = SlowCallbacks()
    logging.getLogger("asyncio").addHandler(slow)
    loop = asyncio.get_running_loop()
    async with simcord.run(bot) as env:
        guild = env.create_guild()
        channel = guild.create_text_channel("fragen")
        members = [guild.add_member(env.create_user(f"user{i}")) for i in range(users)]
        from tests.simcord_helpers import dispatch_unsettled, reply_of

        loop.set_debug(True)
        loop.slow_callback_duration = 0.005
        started = time.perf_counter()
        results = [
            await dispatch_unsettled(env, m, channel, "ask", question=QUESTIONS[i % len(QUESTIONS)])
            for i, m in enumerate(members)
        ]
        await env.settle(timeout=600)
        elapsed = time.perf_counter() - started
        loop.set_debug(False)
        answered = sum(1 for r in results if reply_of(r) is not None and reply_of(r).embeds)
    worst = max(slow.durations, default=0.0)
    print(f"{users} users asking at once through simcord; {machine()}\n")
    print(
        table(
            ["measurement", "value"],
            [
                ["answered", f"{answered}/{users}"],
                ["all answered after", f"{elapsed:.2f} s"],
                ["callbacks over 5 ms", f"{len(slow.durations)}"],
                ["median of those", f"{median(slow.durations) * 1000:.0f} ms" if slow.durations else "–"],
                ["p95 of those", f"{percentile(slow.durations, 95) * 1000:.0f} ms" if slow.durations else "–"],
                ["worst event-loop stall", f"{worst * 1000:.0f} ms (target ≤ 100 ms)"],
            ],
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=50)
    asyncio.run(run(ap.parse_args().users))


if __name__ == "__main__":
    main()
