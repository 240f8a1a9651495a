"""Soak: simulated users ask continuously through simcord while an ingest runs.

    python bench/soak.py [--minutes 3] [--batch 8]

Reports answers served, errors (target 0: unanswered questions, errors simcord saw,
and ingests that raised), p50/p95 answer latency (as the bot measured it for its
footer) and the process's resident memory at start and end (target: growth within
10 %). The start is measured after the first ingest finished (or the first wave, with
``--no-ingest``); a run too short for that says so instead of printing a growth. The
ingest re-ingests the sample corpus with one article edited per round, the way
`/reingest` runs it (a child process started from a thread of the bot).

simcord keeps everything that crossed its seams (every message, REST call, gateway
event and interaction) in this same process, which alone would grow memory without
bound. After each wave has been read, the soak drops those records of the simulated
Discord, never anything of the bot's, so the memory reported is the bot's own;
``--keep-history`` leaves them, to see the difference.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import threading
import time
from pathlib import Path

import simcord
from common import ROOT, machine, percentile, proc_status_mb, scratch, table

from absatz.isolated import ingest_in_child
from bot.settings import BotSettings
from ingest.pipeline import ingest_paths
from ingest.sources import DEFAULT_MAX_BYTES
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
    "Wie backe ich ein Sauerteigbrot?",
    "Was kritisieren Umweltverbände am Hafen?",
]


MAX_INGEST_ERRORS_IN_A_ROW = 5


def rss_mb() -> float:
    return proc_status_mb("VmRSS")


def keep_ingesting(
    settings: StoreSettings, corpus: Path, stop: threading.Event, rounds: list[int], failures: list[str]
) -> None:
    """Re-ingest with one article edited per round, as /reingest does: in a child process.

    An ingest that raises is counted (``failures``) and the next round starts; after
    several in a row the thread gives up (each is still counted)."""
    target = corpus / "2025-06-baeckerei-preise.txt"
    original = target.read_text(encoding="utf-8")
    in_a_row = 0
    while not stop.is_set() and in_a_row < MAX_INGEST_ERRORS_IN_A_ROW:
        n = len(rounds) + len(failures) + 1
        try:
            target.write_text(original + f"\n\nNachtrag {n}: Der Verband meldet sich erneut.\n", encoding="utf-8")
            ingest_in_child(settings, [corpus], DEFAULT_MAX_BYTES, "soak")
        except Exception as exc:  # counted and reported, never silently lost
            failures.append(f"{type(exc).__name__}: {exc}")
            in_a_row += 1
            continue
        in_a_row = 0
        rounds.append(n)


def forget_history(env) -> int:
    """Drop the simulated Discord's record of finished waves; returns how many records."""
    backend = env.backend
    dropped = len(backend.http_requests) + len(backend.transcript) + len(backend.interactions)
    backend.http_requests.clear()
    backend.transcript.clear()
    backend.interactions.clear()
    backend.interaction_tokens.clear()
    for messages in backend.messages.values():
        dropped += len(messages)
        messages.clear()
    return dropped


async def run(minutes: float, batch: int, ingest: bool, keep_history: bool) -> None:
    from tests.simcord_helpers import dispatch_unsettled, reply_of

    tmp = scratch("absatz-soak-")
    corpus = tmp / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    settings = StoreSettings(chroma_path=tmp / "chroma")
    searcher = Searcher.open(settings)
    ingest_paths(Chroma(settings), searcher.embedder, [corpus])
    searcher.view()
    bot = bot_with(
        BotSettings(store=settings, shard_count=1, bot_db=tmp / "bot.sqlite3", cooldown_rate=10_000, cooldown_per_s=1),
        searcher,
    )
    stop = threading.Event()
    rounds: list[int] = []
    ingest_failures: list[str] = []
    ingester = threading.Thread(
        target=keep_ingesting, args=(settings, corpus, stop, rounds, ingest_failures), daemon=True
    )
    latencies, errors, served, forgotten = [], 0, 0, 0
    async with simcord.run(bot, check_errors=False) as env:
        guild = env.create_guild()
        channel = guild.create_text_channel("fragen")
        users = [guild.add_member(env.create_user(f"user{i}")) for i in range(batch)]
        await users[0].slash(channel, "ask", question=QUESTIONS[0])
        if ingest:
            ingester.start()
        # Memory is compared from the first wave after the first finished ingest: by then
        # the caches of both sides exist, so what grows afterwards would be a leak.
        start_rss = None
        samples: list[tuple[float, float]] = []  # (minutes since start, MB)
        began = time.monotonic()
        deadline = time.monotonic() + minutes * 60
        i = 0
        while time.monotonic() < deadline:
            results = []
            for u in users:
                results.append(await dispatch_unsettled(env, u, channel, "ask", question=QUESTIONS[i % len(QUESTIONS)]))
                i += 1
            await env.settle(timeout=300)
            if start_rss is None and (rounds or not ingest):
                start_rss = rss_mb()
            if start_rss is not None and (not samples or time.monotonic() - began >= (samples[-1][0] + 0.5) * 60):
                samples.append(((time.monotonic() - began) / 60, rss_mb()))
            for r in results:
                reply = reply_of(r)
                footer = reply.embeds[0].footer.text if reply is not None and reply.embeds else ""
                m = re.search(r"([0-9.]+) (ms|s)$", footer or "")
                if not m:
                    errors += 1
                    continue
                served += 1
                latencies.append(float(m.group(1)) * (1 if m.group(2) == "ms" else 1000))
            if not keep_history:
                forgotten += forget_history(env)
        bot_errors = len(env.errors)
        end_rss = rss_mb()
    stop.set()
    still_running = False
    if ingest:
        ingester.join(timeout=600)
        still_running = ingester.is_alive()
    errors += bot_errors + len(ingest_failures)
    if start_rss is None:
        before = "the first ingest finished" if ingest else "the first wave"
        memory = f"start not measured (the run ended before {before}; run longer) → {end_rss:.0f} MB at the end"
    else:
        memory = f"{start_rss:.0f} → {end_rss:.0f} MB ({(end_rss / start_rss - 1) * 100:+.1f} %, target ≤ +10 %)"
    print(f"{minutes:g} min, {batch} users per wave, {len(rounds)} ingests finished meanwhile; {machine()}\n")
    print(
        table(
            ["measurement", "value"],
            [
                ["answers served", served],
                [
                    "errors",
                    f"{errors} (target 0): {errors - bot_errors - len(ingest_failures)} unanswered, "
                    f"{bot_errors} seen by simcord, {len(ingest_failures)} ingests raised",
                ],
                [
                    "ingests finished / raised",
                    f"{len(rounds)} / {len(ingest_failures)}"
                    + (" (the last one still running after 600 s)" if still_running else ""),
                ],
                ["answer latency p50 / p95", f"{percentile(latencies, 50):.0f} / {percentile(latencies, 95):.0f} ms"],
                [
                    "simcord's record of the run",
                    f"{len(env.http_requests)} REST calls kept"
                    if keep_history
                    else f"{forgotten:,} records dropped after their wave",
                ],
                ["resident memory start → end", memory],
                ["resident memory every ~30 s", " · ".join(f"{mb:.0f}" for _, mb in samples) or "no sample"],
            ],
        )
    )
    for failure in ingest_failures[:5]:
        print(f"ingest error: {failure}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--no-ingest", action="store_true", help="questions only, no ingest meanwhile")
    ap.add_argument("--keep-history", action="store_true", help="keep simcord's record of every wave")
    args = ap.parse_args()
    asyncio.run(run(args.minutes, args.batch, not args.no_ingest, args.keep_history))


if __name__ == "__main__":
    main()
