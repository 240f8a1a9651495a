"""Freshness of the live corpus: how soon a new article can be cited, and what polling costs.

    python bench/freshness.py [--base 300] [--articles 5] [--feed-samples 3] [--interval 60]
                              [--feeds 50] [--polls 1000] [--quiet 1.0] [--workdir DIR]

1. Watched folder: a dpa-sized article (a 10kGNAD article, paragraphs of three sentences)
   is written into the watched corpus folder of a store that already holds ``--base``
   articles; the clock runs until an answer cites it. Measured through the real service
   as ``absatz serve`` runs it (:class:`absatz.live.LiveService`): the folder watcher (its
   quiet time included), the ingest queue, ``Absatz.ingest`` in a child process under the
   store's lock (start-up, embedding, commit, publish of the read index), the batch, and
   the question, answered in this process by the core whose embedder and read index were
   loaded once, as the bot's are. The question is a sentence of the article, shortened.
2. Feed: the same service also polls a loopback feed every ``--interval`` seconds (the
   real poller loop); a new item (its page fetched and extracted) appears at a random
   moment; the poller writes its file, the watcher hands it to the ingest, and the clock
   runs until an answer cites it.
3. Polling cost: CPU seconds of this process for one polling round over ``--feeds``
   unchanged feeds (30 items each, all seen before) on a loopback server running in
   another process: once answered 200 with the same body (parsed, nothing new), once 304.
4. Memory: resident memory of this process along ``--polls`` feed polls on simulated time
   (one in ten polls brings a new full-text item, extracted and written).

10kGNAD articles with id % 3 == 0 are held out by the project's evaluation and never used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

from common import (
    DATA,
    machine,
    median,
    percentile,
    proc_status_mb,
    read_jsonl,
    require,
    scratch,
    table,
)

from absatz import Absatz
from absatz.live import LiveBatch, LiveService, LiveSettings
from absatz.settings import Settings
from ingest.live.feeds import parse_feed
from ingest.live.fetch import Fetcher, FetchPolicy
from ingest.live.poller import Poller, PollReport
from ingest.live.registry import MAX_INTERVAL_S, MIN_INTERVAL_S, FeedRegistry
from ingest.live.urls import article_id_for
from ingest.pipeline import ingest_paths
from ingest.settings import IngestSettings
from tests.web_server import (  # the tests' loopback server (ROOT is on sys.path)
    WebServer,
    rss,
)
from vectorstore.chroma import Chroma
from vectorstore.embeddings import load_embedder
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„\"])")
PAGE = """<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>{title} | Bench-Kurier</title>
<meta property="og:site_name" content="Bench-Kurier">
<meta property="article:published_time" content="2025-06-12T08:00:00+02:00">
</head><body><div class="cookie-banner"><p>Wir verwenden Cookies. Mit „Alle akzeptieren“ stimmen Sie zu.</p></div>
<header><nav><a href="/">Start</a> <a href="/politik">Politik</a> <a href="/sport">Sport</a></nav></header>
<main><article><h1>{title}</h1>{body}</article><section class="related"><h2>Mehr zum Thema</h2>
<ul><li><a href="/a">Anderes Thema</a></li></ul></section></main>
<footer><a href="/impressum">Impressum</a></footer></body></html>"""


# --- data --------------------------------------------------------------------------------


def gnad(count: int, skip: int = 0) -> list[dict]:
    """10kGNAD articles with id % 3 != 0, in file order."""
    rows = read_jsonl(require(DATA / "gnad10k" / "articles.jsonl"))
    usable = [r for r in rows if int(r["id"].split("-")[1]) % 3 != 0]
    return usable[skip : skip + count]


def paragraphs(text: str, per: int = 3) -> list[str]:
    sentences = _SENTENCE_END.split(" ".join(text.split()))
    return [" ".join(sentences[i : i + per]) for i in range(0, len(sentences), per)]


def question_for(text: str) -> str:
    """A sentence from the middle of the article, at most 18 words: what someone might ask about."""
    sentences = [s for s in _SENTENCE_END.split(" ".join(text.split())) if len(s.split()) >= 8]
    sentence = sentences[len(sentences) // 2] if sentences else text
    return " ".join(sentence.split()[:18]).rstrip(".,;:")


def build_base(workdir: Path, count: int, embedder) -> tuple[StoreSettings, Path]:
    """A store holding ``count`` articles, built once per workdir and reused."""
    corpus = workdir / "corpus"
    settings = StoreSettings(chroma_path=workdir / "chroma")
    base = corpus / "gnad-base.jsonl"
    marker = workdir / f"base-{count}.done"
    if marker.exists():
        return settings, corpus
    if workdir.exists():
        shutil.rmtree(workdir)
    corpus.mkdir(parents=True)
    rows = gnad(count)
    base.write_text(
        "".join(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8",
    )
    t = time.perf_counter()
    report = ingest_paths(Chroma(settings), embedder, [base])
    print(f"(base store: {len(report.added)} articles embedded in {time.perf_counter() - t:.0f} s)", flush=True)
    marker.touch()
    return settings, corpus


# --- the service, as `absatz serve` runs it ------------------------------------------------------


class Served:
    """The core (embedder and read index loaded once) and a LiveService over it that
    watches the corpus folder and, with ``poll``, polls the feeds; every ingest in a
    child process. Records when each ingest started and each poll report arrived."""

    def __init__(self, core: Absatz, quiet_s: float, poll: bool):
        self.core = core
        self.batches: asyncio.Queue[tuple[float, LiveBatch]] = asyncio.Queue()
        self.reports: list[tuple[float, PollReport]] = []
        self.ingest_started: list[float] = []
        settings = LiveSettings(allow_private=True, watch=True, poll=poll, watch_quiet_ms=int(quiet_s * 1000))
        self.live = LiveService(
            core,
            settings,
            isolated=True,
            match_follows=False,
            on_batch=lambda b: self.batches.put_nowait((time.perf_counter(), b)),
        )
        real_ingest = core.ingest

        def ingest(*args, **kwargs):  # called by the service's one worker, in a thread
            self.ingest_started.append(time.perf_counter())
            return real_ingest(*args, **kwargs)

        core.ingest = ingest  # type: ignore[method-assign]  # a wrapper with the same signature, timing each call
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Served:
        await self.live.__aenter__()
        real_report = self.live._on_report

        async def on_report(report: PollReport) -> None:
            self.reports.append((time.perf_counter(), report))
            await real_report(report)

        # What the poller loop calls (bound when run() starts); a wrapper with the same signature.
        self.live._on_report = on_report  # type: ignore[method-assign]
        ready = asyncio.Event()
        self.task = asyncio.create_task(self.live.run(self.stop, ready))
        await asyncio.wait_for(ready.wait(), 60)
        return self

    async def __aexit__(self, *exc) -> None:
        self.stop.set()
        assert self.task is not None  # started by __aenter__
        await asyncio.wait_for(self.task, 300)
        await self.live.__aexit__(*exc)
        self.live.close()

    async def batch_with(self, article_id: str, timeout_s: float) -> tuple[float, LiveBatch]:
        while True:
            at, batch = await asyncio.wait_for(self.batches.get(), timeout_s)
            if article_id in batch.report.added or article_id in batch.report.updated:
                return at, batch


def open_core(settings: StoreSettings, corpus: Path, workdir: Path, embedder) -> Absatz:
    core = Absatz(
        Settings(
            store=settings,
            ingest=IngestSettings(corpus_dir=corpus),
            db=Path(tempfile.mkdtemp(dir=workdir, prefix="db-")) / "bot.sqlite3",
        ),
        searcher=Searcher.open(settings, embedder),
    )
    core.searcher.view()  # the read index loaded, as the bot loads it at start-up
    return core


# --- 1. watched folder -----------------------------------------------------------------


async def watched_folder(core: Absatz, corpus: Path, rows: list[dict], quiet_s: float) -> list[dict]:
    inbox = corpus / "inbox"
    inbox.mkdir(exist_ok=True)
    results = []
    async with Served(core, quiet_s, poll=False) as served:
        for row in rows:
            path = inbox / f"{row['id']}.txt"
            text = " date 2025-06 BERLIN (dpa-AFX) - " + "\n\n".join(paragraphs(row["text"])) + "\n"
            question = question_for(row["text"])
            started = len(served.ingest_started)
            t0 = time.perf_counter()
            path.write_text(text, encoding="utf-8")
            t_ingested, batch = await served.batch_with(row["id"], 600)
            t_seen = served.ingest_started[started]
            reply = await asyncio.to_thread(core.ask, question)
            t_answered = time.perf_counter()
            results.append(
                {
                    "seen": t_seen - t0,
                    "ingest": t_ingested - t_seen,
                    "ask": t_answered - t_ingested,
                    "total": t_answered - t0,
                    "cited": any(c.article_id == row["id"] for c in reply.citations),
                    "paragraphs": batch.report.paragraphs_embedded,
                    "chars": len(row["text"]),
                }
            )
    return results


# --- 2. a feed polled every minute --------------------------------------------------------


async def feed_freshness(core: Absatz, rows: list[dict], interval: int, quiet_s: float) -> list[dict]:
    rng = random.Random(7)
    results = []
    with WebServer() as web:
        items: list[dict] = []
        web.set("/feed.xml", rss("Bench-Kurier", items), "application/rss+xml")
        async with Served(core, quiet_s, poll=True) as served:
            await served.live.add_feed(web.url("/feed.xml"), actor="bench", interval=interval)
            for row in rows:
                await asyncio.sleep(rng.uniform(0, interval))  # news arrives whenever it arrives
                title = f"Bench {row['id']}: " + " ".join(row["text"].split()[:8])
                body = "".join(f"<p>{p}</p>" for p in paragraphs(row["text"]))
                path = f"/artikel/{row['id']}.html"
                url = web.url(path)
                web.set(path, PAGE.format(title=title, body=body), "text/html; charset=utf-8")
                items.insert(0, {"title": title, "link": url, "date": "Thu, 12 Jun 2025 08:00:00 +0200"})
                seen_reports = len(served.reports)
                t0 = time.perf_counter()
                web.set("/feed.xml", rss("Bench-Kurier", items), "application/rss+xml")
                article_id = article_id_for(url)
                t_ingested, _ = await served.batch_with(article_id, interval * 3 + 600)
                t_written = next(
                    at for at, report in served.reports[seen_reports:] if any(a.url == url for a in report.written)
                )
                reply = await asyncio.to_thread(core.ask, question_for(row["text"]))
                t_answered = time.perf_counter()
                results.append(
                    {
                        "written": t_written - t0,
                        "ingest": t_ingested - t_written,
                        "ask": t_answered - t_ingested,
                        "total": t_answered - t0,
                        "cited": any(c.article_id == article_id for c in reply.citations),
                    }
                )
    return results


# --- 3 and 4. polling cost and memory ---------------------------------------------------------


def feed_server(n_feeds: int, items_per_feed: int, conn) -> None:
    """The loopback server in its own process, so this process's CPU time is the poller's."""
    rows = gnad(n_feeds * items_per_feed, skip=500)
    feeds: dict[int, list[dict]] = {}
    with WebServer() as web:
        for f in range(n_feeds):
            feeds[f] = [
                {
                    "title": " ".join(r["text"].split()[:8]),
                    "link": web.url(f"/f{f}/{r['id']}.html"),
                    "date": "Thu, 12 Jun 2025 08:00:00 +0200",
                    "description": " ".join(r["text"].split()[:60]),
                }
                for r in rows[f * items_per_feed : (f + 1) * items_per_feed]
            ]
            web.set(f"/f{f}.xml", rss(f"Feed {f}", feeds[f]), "application/rss+xml")
        conn.send(web.base)
        counter = 0
        while True:
            command = conn.recv()
            if command[0] == "stop":
                break
            if command[0] == "bump":  # a new full-text item in these feeds
                for f in command[1]:
                    counter += 1
                    text = " ".join(rows[counter % len(rows)]["text"].split())
                    content = "".join(f"<p>{p}</p>" for p in paragraphs(text))
                    feeds[f].insert(
                        0,
                        {
                            "title": f"Neu {counter}",
                            "link": web.url(f"/neu/{counter}.html"),
                            "date": "Thu, 12 Jun 2025 09:00:00 +0200",
                            "content": content,
                        },
                    )
                    del feeds[f][30:]
                    web.set(f"/f{f}.xml", rss(f"Feed {f}", feeds[f]), "application/rss+xml")
            conn.send("ok")


class SimClock:
    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


async def polling_cost(n_feeds: int, polls: int, workdir: Path) -> tuple[list[list], list[list]]:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=feed_server, args=(n_feeds, 30, child), daemon=True)
    server.start()
    try:
        base = parent.recv()
        clock = SimClock()
        work = Path(tempfile.mkdtemp(dir=workdir, prefix="poll-"))
        registry = FeedRegistry(work / "bot.sqlite3", clock=clock)
        async with Fetcher(FetchPolicy(allow_private=True, timeout_s=30)) as fetcher:
            # the feeds' items were all ingested before: seen, with their hashes
            for f in range(n_feeds):
                url = f"{base}/f{f}.xml"
                feed = registry.add(url, interval_s=60)
                result = await fetcher.fetch(url)
                for item in parse_feed(result.content, url, now=_now(clock)).items:
                    registry.mark_seen(feed.url, item.url, item.content_hash, "seen-before")
            poller = Poller(registry, work / "corpus", fetcher, clock=clock)
            cost = []
            for label in ("200, same body (parsed, nothing new)", "304 Not Modified"):
                cpu, wall = time.process_time(), time.perf_counter()
                report = await poller.poll_due()
                cost.append(
                    [
                        label,
                        len(report.outcomes),
                        sum(o.ok for o in report.outcomes),
                        len(report.written),
                        f"{time.process_time() - cpu:.3f}",
                        f"{time.perf_counter() - wall:.2f}",
                    ]
                )
                clock.t += 60
            # memory along the polls: one feed in ten changes per round
            rng = random.Random(3)
            memory = [[0, f"{proc_status_mb():.0f}", 0]]
            done = written = 0
            mark = every = max(polls // 5, n_feeds)
            while done < polls:
                parent.send(("bump", rng.sample(range(n_feeds), max(1, n_feeds // 10))))
                parent.recv()
                report = await poller.poll_due()
                written += len(report.written)
                done += len(report.outcomes)
                clock.t += 60
                if done >= mark or done >= polls:
                    memory.append([done, f"{proc_status_mb():.0f}", written])
                    mark += every
        registry.close()
        return cost, memory
    finally:
        parent.send(("stop",))
        server.join(30)


def _now(clock):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(clock(), tz=UTC)


# --- report ------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=int, default=300, help="articles already in the store")
    ap.add_argument("--articles", type=int, default=5, help="articles written into the watched folder")
    ap.add_argument("--feed-samples", type=int, default=3, help="new feed items (each waits for the next poll)")
    ap.add_argument(
        "--interval",
        type=int,
        default=60,
        help=f"poll interval of the feed (seconds, {MIN_INTERVAL_S} to {MAX_INTERVAL_S}, as the registry allows)",
    )
    ap.add_argument("--feeds", type=int, default=50, help="feeds in the polling-cost round")
    ap.add_argument("--polls", type=int, default=1000, help="feed polls for the memory curve")
    ap.add_argument("--quiet", type=float, default=1.0, help="the watcher's quiet time (seconds)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the base store here and reuse it")
    args = ap.parse_args()
    if not MIN_INTERVAL_S <= args.interval <= MAX_INTERVAL_S:
        ap.error(f"--interval {args.interval}: a feed's poll interval is {MIN_INTERVAL_S} to {MAX_INTERVAL_S} s")

    workdir = args.workdir or scratch("absatz-freshness-")
    workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"Live-corpus freshness on {machine()}; bundled multilingual-e5-small; "
        f"store with {args.base} 10kGNAD articles\n"
    )

    # 3 and 4 first, in a process that has not loaded the embedder yet
    if args.feeds:
        cost, memory = asyncio.run(polling_cost(args.feeds, args.polls, workdir))
        print(
            f"One polling round over {args.feeds} unchanged feeds (30 items each) on loopback, "
            "CPU of the polling process (target <= 1 s):\n"
        )
        print(table(["answer", "feeds polled", "ok", "articles written", "CPU s", "wall s"], cost))
        print(
            f"\nResident memory of the polling process along {args.polls} feed polls "
            "(one feed in ten gets a new full-text item per round):\n"
        )
        print(table(["polls", "RSS MB", "articles written"], memory))
        print()

    if not (args.articles or args.feed_samples):
        return
    embedder = load_embedder("bundled:multilingual-e5-small")
    settings, corpus = build_base(workdir / f"base-{args.base}", args.base, embedder)
    fresh = gnad(args.articles + args.feed_samples, skip=args.base)
    shutil.rmtree(corpus / "inbox", ignore_errors=True)
    shutil.rmtree(corpus / "web", ignore_errors=True)
    # the base store may hold articles of an earlier run's inbox: remove them with the folder
    ingest_paths(Chroma(settings), embedder, [corpus])
    core = open_core(settings, corpus, workdir, embedder)

    if args.articles:
        rows = asyncio.run(watched_folder(core, corpus, fresh[: args.articles], args.quiet))
        totals = [r["total"] for r in rows]
        print(
            f"A file written into the watched folder until an answer cites it ({len(rows)} articles, "
            f"{median([r['chars'] for r in rows]):.0f} characters median; "
            f"watcher quiet time {args.quiet:g} s; the service as `absatz serve` runs it, each ingest in a child "
            "process; target p50 <= 15 s):\n"
        )
        print(
            table(
                [
                    "article",
                    "characters",
                    "paragraphs embedded",
                    "watcher s",
                    "ingest (child) s",
                    "ask s",
                    "total s",
                    "cited",
                ],
                [
                    [
                        i + 1,
                        r["chars"],
                        r["paragraphs"],
                        f"{r['seen']:.2f}",
                        f"{r['ingest']:.2f}",
                        f"{r['ask']:.2f}",
                        f"{r['total']:.2f}",
                        "yes" if r["cited"] else "no",
                    ]
                    for i, r in enumerate(rows)
                ]
                + [
                    [
                        "p50",
                        "",
                        "",
                        f"{median([r['seen'] for r in rows]):.2f}",
                        f"{median([r['ingest'] for r in rows]):.2f}",
                        f"{median([r['ask'] for r in rows]):.2f}",
                        f"{median(totals):.2f}",
                        "",
                    ],
                    ["p90", "", "", "", "", "", f"{percentile(totals, 90):.2f}", ""],
                ],
            )
        )
        print()

    if args.feed_samples:
        rows = asyncio.run(feed_freshness(core, fresh[args.articles :], args.interval, args.quiet))
        totals = [r["total"] for r in rows]
        print(
            f"A new feed item until an answer cites it, poll interval {args.interval} s: the service's poller loop "
            f"writes it, its watcher hands it to the child-process ingest ({len(rows)} items published at random "
            "moments):\n"
        )
        print(
            table(
                ["item", "until written s", "watcher + ingest (child) s", "ask s", "total s", "cited"],
                [
                    [
                        i + 1,
                        f"{r['written']:.1f}",
                        f"{r['ingest']:.2f}",
                        f"{r['ask']:.2f}",
                        f"{r['total']:.1f}",
                        "yes" if r["cited"] else "no",
                    ]
                    for i, r in enumerate(rows)
                ]
                + [
                    [
                        "p50",
                        f"{median([r['written'] for r in rows]):.1f}",
                        f"{median([r['ingest'] for r in rows]):.2f}",
                        f"{median([r['ask'] for r in rows]):.2f}",
                        f"{median(totals):.1f}",
                        "",
                    ]
                ],
            )
        )


if __name__ == "__main__":
    main()
