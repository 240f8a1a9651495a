"""``absatz feed add|list|remove|poll``, ``absatz watch`` and ``absatz ingest URL``:
the live corpus from the command line, through :class:`absatz.live.LiveService`.

The one-shot commands ingest in this process (like ``absatz ingest``); ``absatz watch``
runs for days and ingests in a child process per batch, as ``absatz serve`` does.
Every change is audited (``absatz audit``) with the CLI user as the actor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ingest.live.registry import Feed
from ingest.live.settings import LiveSettings
from ingest.live.urls import without_password
from ingest.pipeline import IngestReport, report_summary
from ingest.sources import Failure

from .api import Absatz
from .corpus import cli_actor
from .live import LiveArticle, LiveBatch, LiveError, LiveService, PageIngested, duration_text
from .render import report_notes

T = TypeVar("T")

# Any scheme, so that ``ftp://…`` is refused as a URL ("only http and https"), not
# looked for as a file named ``ftp:/…``.
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def is_url(text: str) -> bool:
    return _URL.match(str(text).strip()) is not None


def _print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def _service(absatz: Absatz, **kwargs: Any) -> LiveService:
    return LiveService(absatz, LiveSettings.from_env(), **kwargs)


async def _with_service(absatz: Absatz, work: Callable[[LiveService], Coroutine[Any, Any, T]], **kwargs: Any) -> T:
    live = _service(absatz, **kwargs)
    try:
        async with live:
            return await work(live)
    finally:
        live.close()


def article_line(a: LiveArticle) -> str:
    """``+ title · date · source  (id#1)  url``"""
    head = " · ".join(x for x in (a.title, a.date, a.source) if x)
    return f"  + {head}  ({a.first_citation})" + (f"  {a.url}" if a.url else "")


def batch_lines(batch: LiveBatch) -> list[str]:
    lines = [
        f"{time.strftime('%H:%M:%S')} ingested ({batch.action}): {report_summary(batch.report)}; "
        f"{batch.report.paragraphs_embedded} paragraphs embedded in {batch.report.seconds:.1f} s"
    ]
    lines += [article_line(a) for a in batch.articles]
    return lines + report_notes(batch.report)


def feed_dict(feed: Feed) -> dict[str, object]:
    return {**feed.as_dict(), "status": feed.status_line()}


# --- feed add | list | remove | poll ------------------------------------------------------------


def cmd_feed_add(args: argparse.Namespace, absatz: Absatz) -> int:
    async def work(live: LiveService) -> int:
        added = await live.add_feed(args.url, actor=cli_actor(), interval=args.interval, category=args.category or "")
        batch = await added.ingested if added.ingested is not None else None
        if args.json:
            _print_json(
                {
                    "feed": feed_dict(added.feed),
                    "first_poll": added.outcome.line(),
                    "ingest": batch.report.as_dict() if batch else None,
                }
            )
            return 0
        print(
            f"added {added.feed.url} (every {duration_text(added.feed.interval_s)}"
            + (f", category {added.feed.category}" if added.feed.category else "")
            + ")"
        )
        print(f"first poll: {added.outcome.line()}")
        if batch is not None:
            print("\n".join(batch_lines(batch)))
        return 0

    return asyncio.run(_with_service(absatz, work, isolated=False, match_follows=False))


def cmd_feed_list(args: argparse.Namespace, absatz: Absatz) -> int:
    live = _service(absatz)
    try:
        feeds = live.feeds()
    finally:
        live.close()
    if args.json:
        for feed in feeds:
            _print_json(feed_dict(feed))
        return 0
    if not feeds:
        print("no feeds registered (add one with `absatz feed add URL`)")
    for feed in feeds:
        print(feed.status_line())
    return 0


def cmd_feed_remove(args: argparse.Namespace, absatz: Absatz) -> int:
    live = _service(absatz)
    try:
        feed = live.remove_feed(args.url, actor=cli_actor())
    finally:
        live.close()
    print(f"removed {feed.url}; the {feed.articles_ingested} article(s) it brought stay in the corpus")
    return 0


def cmd_feed_poll(args: argparse.Namespace, absatz: Absatz) -> int:
    async def work(live: LiveService) -> int:
        report, batch = await live.poll_all(actor=cli_actor())
        if args.json:
            _print_json(
                {
                    "feeds": [
                        {
                            "url": o.feed_url,
                            "status": o.status,
                            "items": o.items,
                            "written": len(o.written),
                            "error": o.error,
                            "notes": list(o.notes),
                        }
                        for o in report.outcomes
                    ],
                    "ingest": batch.report.as_dict() if batch else None,
                }
            )
        else:
            if not report.outcomes:
                print("no feeds registered (add one with `absatz feed add URL`)")
            for outcome in report.outcomes:
                print(outcome.line())
            if batch is not None:
                print("\n".join(batch_lines(batch)))
        failed = any(o.status == "failed" for o in report.outcomes) or bool(batch and batch.report.failed)
        return 1 if failed else 0

    return asyncio.run(_with_service(absatz, work, isolated=False, match_follows=False))


# --- absatz ingest URL ------------------------------------------------------------------------------


def page_dict(url: str, page: PageIngested) -> dict[str, object]:
    """``--json`` for one URL: the summary ``absatz ingest PATH`` prints, and the article it brought."""
    a = page.article
    return {
        "url": url,
        "article_id": a.article_id,
        "title": a.title,
        "source_url": a.url,
        "file": str(page.path),
        "changed": page.changed,
        "citation_ids": citation_ids(a),
        **page.batch.report.as_dict(),
    }


def failed_url_dict(failure: Failure) -> dict[str, object]:
    """``--json`` for a URL that brought no article: the keys of :func:`page_dict`, so a
    script reads every line alike, and the URL in ``failed`` as a file that failed is."""
    return {
        "url": failure.path,
        "article_id": None,
        "title": None,
        "source_url": None,
        "file": None,
        "changed": False,
        "citation_ids": [],
        **IngestReport(failed=[failure]).as_dict(),
    }


def citation_ids(a: LiveArticle) -> list[str]:
    return [f"{a.article_id}#{n}" for n in range(1, a.paragraphs + 1)]


def report_page(url: str, page: PageIngested, as_json: bool) -> None:
    if as_json:
        _print_json(page_dict(url, page))
        return
    report = page.batch.report
    ids = citation_ids(page.article)
    print(f"{url}: {page.article.title or page.article.article_id}")
    print(f"  {report_summary(report)}; {report.paragraphs_embedded} paragraphs embedded in {report.seconds:.1f} s")
    if ids:
        print(f"  citation ids: {ids[0]} … {ids[-1]}")
    for line in report_notes(report):
        print(line, file=sys.stderr)


def report_failed_url(failure: Failure, as_json: bool) -> None:
    if as_json:
        _print_json(failed_url_dict(failure))
        return
    print(f"{failure.path}: not ingested")
    print(f"  failed: {failure}", file=sys.stderr)


def ingest_urls(args: argparse.Namespace, absatz: Absatz, urls: list[str]) -> int:
    """``absatz ingest URL …``: each page fetched, extracted, written and ingested.

    A URL that fails is reported and the next one fetched, as a file that fails does not
    keep ``absatz ingest PATH …`` from the others; exit 1 when any failed."""

    async def work(live: LiveService) -> int:
        failed = False
        for url in urls:
            try:
                page = await live.ingest_page(url, actor=cli_actor())
            except LiveError as exc:
                failed = True
                report_failed_url(Failure(without_password(url), None, exc.reason), args.json)
                continue
            failed = failed or page.failed
            report_page(url, page, args.json)
        return 1 if failed else 0

    return asyncio.run(_with_service(absatz, work, isolated=False, match_follows=False))


# --- absatz watch ------------------------------------------------------------------------------------


def cmd_watch(args: argparse.Namespace, absatz: Absatz) -> int:
    """Watch ``CORPUS_DIR`` and poll the feeds until Ctrl-C (SIGINT) or SIGTERM."""
    settings = LiveSettings.from_env()

    def on_batch(batch: LiveBatch) -> None:
        print("\n".join(batch_lines(batch)), flush=True)

    async def main() -> int:
        live = LiveService(absatz, settings, isolated=True, on_batch=on_batch, match_follows=False)
        stop, ready = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        poll = settings.poll and not args.no_feeds
        try:
            async with live:
                runner = asyncio.create_task(live.run(stop, ready, watch=True, poll=poll))
                waiter = asyncio.ensure_future(ready.wait())
                await asyncio.wait([runner, waiter], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if ready.is_set():
                    feeds = len(live.feeds())
                    print(
                        f"watching {live.corpus_dir}"
                        + (f" and polling {feeds} feed(s)" if poll else "")
                        + "; Ctrl-C to stop",
                        flush=True,
                    )
                await runner
        finally:
            live.close()
        print("stopped", flush=True)
        return 0

    return asyncio.run(main())


# --- the parser ---------------------------------------------------------------------------------


def add_commands(
    sub: Any,
    common: argparse.ArgumentParser,
    run: Callable[[Callable[[argparse.Namespace, Absatz], int]], Callable[[argparse.Namespace], int]],
) -> None:
    """``feed`` and ``watch`` on ``absatz``'s subparsers; ``run`` wraps a command that
    takes the opened :class:`Absatz`."""
    feed = sub.add_parser("feed", help="register, list, remove and poll news feeds (RSS, Atom, news sitemaps)")
    fsub = feed.add_subparsers(dest="feed_command", required=True, metavar="ACTION")

    p = fsub.add_parser("add", parents=[common], help="register a feed and poll it once now")
    p.add_argument("url", help="the feed's http(s) URL")
    p.add_argument(
        "--interval",
        metavar="DURATION",
        help="poll interval: 15m, 1h, 2d …, a bare number in minutes (default FEEDS_INTERVAL_S; 1 min … 7 days)",
    )
    p.add_argument("--category", help="category given to the feed's articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run(cmd_feed_add))

    p = fsub.add_parser("list", parents=[common], help="feeds with last success, last error, articles ingested")
    p.add_argument("--json", action="store_true", help="one JSON object per feed")
    p.set_defaults(func=run(cmd_feed_list))

    p = fsub.add_parser("remove", parents=[common], help="stop polling a feed (its articles stay)")
    p.add_argument("url")
    p.set_defaults(func=run(cmd_feed_remove))

    p = fsub.add_parser("poll", parents=[common], help="poll every feed now and ingest what is new")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run(cmd_feed_poll))

    p = sub.add_parser(
        "watch", parents=[common], help="ingest what changes in CORPUS_DIR and poll the feeds until Ctrl-C (no Discord)"
    )
    p.add_argument("--no-feeds", action="store_true", help="only watch the folder")
    p.set_defaults(func=run(cmd_watch))
