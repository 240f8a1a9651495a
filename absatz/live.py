"""The live corpus as one service: watched folder, feeds, single pages and follows.

The command line (``absatz watch``, ``absatz feed …``, ``absatz ingest URL``) and the
Discord bot (``absatz serve``) share this. It puts the live-corpus library
(:mod:`ingest.live`) together with the core:

* **One ingest at a time, through the core's write protocol.** Everything that changes
  the corpus folder ends up in one queue; one worker runs
  :meth:`Absatz.ingest <absatz.api.Absatz.ingest>` (lock → write → commit → publish →
  audit; in a child process when ``isolated``, as the bot runs it) for everything
  queued, and whatever arrives meanwhile waits for the next run, as one batch. When
  another process holds the store's lock (an admin's ``/reingest``, ``absatz ingest``),
  the batch waits and is tried again.
* **The watcher ingests; the poller writes.** While the folder is watched, files the
  feed poller writes are picked up by the watcher like any other file; the poll
  reports are kept only to announce the articles with their feed's lead and URL.
  Without a watcher (``absatz feed poll``, ``WATCH_CORPUS=false``) the written files are
  queued directly. A page fetched on request (``/upload url:``) is queued directly and
  waited for; the watcher's later event for the same file is recognised and skipped.
* **After each ingest**, a :class:`LiveBatch` names the newly added articles (for the
  announcement) and the follows they match (:mod:`absatz.follows`), each follow told
  about an article once.
* **A file that turns unreadable never deletes what was stored from it**: the ingest
  reports it as failed and keeps its articles (``ingest.pipeline``); the watcher only
  says which files to look at.

Every action is audited (``BOT_DB``): feed additions and removals with who did them,
each poll that failed, wrote articles or left notes, every ingest (by the core).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import inspect
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ingest.live.errors import LiveError, WriteFailed, one_line
from ingest.live.feeds import parse_feed
from ingest.live.fetch import Fetcher, FetchError
from ingest.live.poller import FeedOutcome, NewArticle, Poller, PollReport
from ingest.live.registry import (
    BadInterval,
    Feed,
    FeedExists,
    FeedRegistry,
    check_interval,
    normalize_feed_url,
)
from ingest.live.settings import LiveSettings
from ingest.live.urls import without_password
from ingest.live.watch import watch_corpus
from ingest.lock import IngestBusy
from ingest.pipeline import IngestReport
from vectorstore.errors import AbsatzError
from vectorstore.text import shorten

from .api import Absatz
from .corpus import LIVE_ACTOR
from .db.follows import Follow, FollowStore
from .follows import FollowMatch, match_follows

__all__ = [
    "POLLER",
    "WATCHER",
    "Feed",
    "FeedAdded",
    "FeedOutcome",
    "Follow",
    "FollowMatch",
    "LiveArticle",
    "LiveBatch",
    "LiveError",
    "LiveService",
    "LiveSettings",
    "LiveThread",
    "PageIngested",
    "duration_text",
    "parse_interval",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

WATCHER = f"{LIVE_ACTOR}watcher"
POLLER = f"{LIVE_ACTOR}feeds"
LEAD_CHARS = 200
BUSY_RETRY_S = 5.0
# A live ingest that failed (the store unreachable, the disk full, the child crashed) is
# tried again after busy_retry_s × 2, × 4, … up to FAILED_RETRY_MAX_S, FAILED_RETRIES
# times: a watched file or a feed's article is written once and would not come again.
FAILED_RETRIES = 8
REFUSED_KEPT = 1000  # duplicates remembered until their original's article is removed
FAILED_RETRY_MAX_S = 900.0
# Files written here, remembered until the watcher's event for them: the oldest are
# forgotten past this many (without a watcher none comes). By count, not age: the bot's
# threads and the service's may not share a clock (simcord's virtual one).
OWN_WRITES_KEPT = 1000


# --- what the service hands out ------------------------------------------------------------


@dataclass(frozen=True)
class LiveArticle:
    """A newly ingested article as an announcement shows it."""

    article_id: str
    title: str
    url: str
    date: str
    source: str
    lead: str
    paragraphs: int = 0

    @property
    def first_citation(self) -> str:
        return f"{self.article_id}#1"


@dataclass(frozen=True)
class LiveBatch:
    """One ingest of the service: what it did, the articles it added, the follows they match."""

    report: IngestReport
    actor: str
    action: str
    articles: tuple[LiveArticle, ...] = ()
    matches: tuple[FollowMatch, ...] = ()


@dataclass(frozen=True)
class FeedAdded:
    feed: Feed
    outcome: FeedOutcome
    # The ingest of what the first poll wrote, when no watcher will pick it up.
    ingested: asyncio.Future[LiveBatch] | None = None


@dataclass(frozen=True)
class PageIngested:
    """``/upload url:`` and ``absatz ingest URL``: the page's article and the ingest."""

    article: LiveArticle
    batch: LiveBatch
    changed: bool  # False: the page's file held exactly this article already
    path: Path  # its file in the corpus folder

    @property
    def failed(self) -> bool:
        return any(Path(f.path).name == f"{self.article.article_id}.md" for f in self.batch.report.failed)


OnBatch = Callable[[LiveBatch], Awaitable[None] | None]


def parse_interval(text: str | int | None, default_s: int) -> int:
    """``15m``, ``1h``, ``90s``, ``2d``, ``1h30m``, or a bare number of minutes → seconds,
    checked against the allowed range (1 min … 7 days)."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return check_interval(default_s)
    if isinstance(text, int):
        return check_interval(text)
    raw = text.strip().lower().replace(" ", "")
    units = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "std": 3600, "d": 86400, "t": 86400}
    raw = re.sub(r"\d+", lambda m: _capped(m.group()), raw)
    if raw.isdecimal():  # not isdigit(): '²' is a digit that int() refuses
        return check_interval(int(raw) * 60)
    parts = re.findall(r"(\d+)([a-z]+)", raw)
    if not parts or "".join(n + u for n, u in parts) != raw or any(u not in units for _, u in parts):
        raise BadInterval("", f"interval {text!r} is not a duration like 15m, 1h or 2d", value=text)
    return check_interval(sum(int(n) * units[u] for n, u in parts))


def _capped(digits: str) -> str:
    """A number of thousands of digits is no interval, and more than int() reads: any of
    ten digits or more is above every limit alike (``015`` stays 15)."""
    digits = digits.lstrip("0") or "0"
    return digits if len(digits) < 10 else "9" * 10


def duration_text(seconds: int) -> str:
    """``900`` → ``15 min``; ``5400`` → ``90 min``; ``7200`` → ``2 h``."""
    if seconds % 86400 == 0:
        return f"{seconds // 86400} d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


# --- the service ---------------------------------------------------------------------------


@dataclass
class _Job:
    paths: list[Path]
    actor: str
    action: str
    future: asyncio.Future[LiveBatch] | None = None
    failures: int = 0  # failed ingests of these paths so far
    # Tried again after a failure though someone waits: files written once (a feed's),
    # which no watcher would bring again.
    retry_anyway: bool = False


@dataclass
class _State:
    queue: list[_Job] = field(default_factory=list)
    worker: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closing: bool = False


class LiveService:
    """Open with ``async with LiveService(core, settings) as live:``; then either call
    its commands (``add_feed``, ``poll_all``, ``ingest_page``, …) or ``await
    live.run(stop)`` to watch and poll until ``stop`` is set. Runs on one event loop;
    the bot keeps it on a loop of its own (:class:`LiveThread`)."""

    def __init__(
        self,
        core: Absatz,
        settings: LiveSettings | None = None,
        *,
        isolated: bool = True,
        on_batch: OnBatch | None = None,
        match_follows: bool = True,
        busy_retry_s: float = BUSY_RETRY_S,
        fetcher: Fetcher | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.core = core
        self.settings = settings or LiveSettings()
        self.isolated = isolated
        self.on_batch = on_batch
        self.match_follows = match_follows
        self.busy_retry_s = busy_retry_s
        self.corpus_dir = Path(core.settings.ingest.corpus_dir)
        self.registry = FeedRegistry(core.settings.db, clock=clock)
        self.follows = FollowStore(core.settings.db, self.settings.follows_per_user)
        self._clock = clock
        self._fetcher = fetcher
        self._own_fetcher = fetcher is None
        self._poller: Poller | None = None
        self._state: _State | None = None
        self._watching = False
        self._known: dict[str, NewArticle] = {}  # article id → what the poller or a page wrote
        self._own_writes: dict[Path, tuple[int, int]] = {}  # written to be ingested by the writer: (size, mtime)
        self._refused: dict[str, Path] = {}  # article id → a file refused as its duplicate
        self._lock = threading.Lock()
        # Who runs the ingest in progress (read from other threads: the bot's /reingest).
        self.ingesting: str | None = None

    # --- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> LiveService:
        if self._fetcher is None:
            self._fetcher = Fetcher(self.settings.fetch_policy())
        self._poller = Poller(
            self.registry, self.corpus_dir, self._fetcher, clock=self._clock, languages=self.settings.languages
        )
        self._state = _State()
        return self

    async def __aexit__(self, *exc: object) -> None:
        state = self._state
        if state is not None:
            state.closing = True
            state.wake.set()
            if state.worker is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await state.worker
            for job in state.queue:
                if job.future is not None and not job.future.done():
                    job.future.cancel()
        if self._fetcher is not None and self._own_fetcher:
            await self._fetcher.aclose()
            self._fetcher = None
        self._state = None

    def close(self) -> None:
        self.registry.close()
        self.follows.close()

    @property
    def poller(self) -> Poller:
        if self._poller is None:
            raise RuntimeError("open the LiveService first: async with LiveService(...)")
        return self._poller

    async def run(
        self,
        stop: asyncio.Event,
        ready: asyncio.Event | None = None,
        *,
        watch: bool | None = None,
        poll: bool | None = None,
        quiet_s: float | None = None,
        force_polling: bool | None = None,
    ) -> None:
        """Watch the corpus folder and poll the feeds (as the settings say, unless
        ``watch``/``poll`` say otherwise) until ``stop`` is set. ``ready`` is set once the
        watcher is in place."""
        watch = self.settings.watch if watch is None else watch
        poll = self.settings.poll if poll is None else poll
        quiet = self.settings.watch_quiet_ms / 1000 if quiet_s is None else quiet_s
        names: dict[asyncio.Future[Any], str] = {}
        watcher_ready = asyncio.Event()
        if watch:
            try:
                self.corpus_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file of that name, a folder that may not be made
                raise AbsatzError(f"CORPUS_DIR {self.corpus_dir} cannot be watched: {exc.strerror or exc}") from None
            self._watching = True
            names[asyncio.create_task(self._watch(stop, watcher_ready, quiet, force_polling))] = "watcher"
        else:
            watcher_ready.set()
        if poll:
            names[asyncio.create_task(self.poller.run_forever(stop, self._on_report))] = "feed poller"
        tasks = list(names)
        stop_wait = asyncio.ensure_future(stop.wait())
        try:
            waiter = asyncio.ensure_future(watcher_ready.wait())
            await asyncio.wait([waiter, stop_wait, *tasks], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if ready is not None:
                ready.set()
            running: set[asyncio.Future[Any]] = set(tasks)
            while not stop.is_set():
                done, _ = await asyncio.wait([stop_wait, *running], return_when=asyncio.FIRST_COMPLETED)
                for task in done - {stop_wait}:  # the watcher or the poller ended on its own
                    running.discard(task)
                    problem = task.exception() if not task.cancelled() else None
                    log.error("the live corpus's %s stopped: %s", names.get(task, "?"), problem or "ended")
                    if names.get(task) == "watcher":
                        self._watching = False  # the poller's files are then ingested directly
        finally:
            stop.set()
            stop_wait.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, 60)
            self._watching = False

    async def _watch(
        self, stop: asyncio.Event, ready: asyncio.Event, quiet_s: float, force_polling: bool | None
    ) -> None:
        async for batch in watch_corpus(
            self.corpus_dir, stop, quiet_s=quiet_s, ready=ready, force_polling=force_polling
        ):
            targets = [t for t in batch.ingest_targets() if not self._written_here(t)]
            if targets:
                log.info("watched folder: %d change(s) to ingest", len(batch.changes))
                self._submit(targets, WATCHER, "watch")

    # --- the ingest queue ------------------------------------------------------------------

    def _written_here(self, path: Path) -> bool:
        """A file this service or an upload wrote to ingest itself (:meth:`remember_write`),
        unchanged since: the watcher's event for it needs no second ingest."""
        key = Path(path).resolve()
        with self._lock:
            known = self._own_writes.get(key)
            if known is None:
                return False
            try:
                st = key.stat()
            except OSError:
                return False
            if (st.st_size, st.st_mtime_ns) != known:
                return False
            del self._own_writes[key]
            return True

    def remember_write(self, path: Path) -> None:
        """A file written into the corpus folder to be ingested by whoever wrote it (this
        service, an upload): the watcher's event for it, while it is unchanged, needs no
        second ingest. An upload's had run one, whose lock refused the admin's next upload."""
        try:
            st = path.stat()
        except OSError:
            return
        with self._lock:
            self._own_writes.pop(path.resolve(), None)  # the newest write last in line
            self._own_writes[path.resolve()] = (st.st_size, st.st_mtime_ns)
            while len(self._own_writes) > OWN_WRITES_KEPT:
                self._own_writes.pop(next(iter(self._own_writes)))

    def _submit(
        self, paths: Iterable[Path], actor: str, action: str, wait: bool = False, retry_anyway: bool = False
    ) -> asyncio.Future[LiveBatch] | None:
        state = self._state
        if state is None or state.closing:
            raise RuntimeError("the LiveService is not open")
        future: asyncio.Future[LiveBatch] | None = asyncio.get_running_loop().create_future() if wait else None
        state.queue.append(_Job(list(paths), actor, action, future, retry_anyway=retry_anyway))
        if state.worker is None or state.worker.done():
            state.worker = asyncio.create_task(self._work(state))
        state.wake.set()
        return future

    async def ingest(self, paths: Sequence[Path], *, actor: str, action: str = "ingest") -> LiveBatch:
        """Queue ``paths`` and wait for the ingest that includes them."""
        future = self._submit(paths, actor, action, wait=True)
        assert future is not None
        return await future

    async def _work(self, state: _State) -> None:
        """The one ingest worker: takes everything queued, ingests it in one run."""
        while not state.closing or state.queue:
            if not state.queue:
                state.wake.clear()
                await state.wake.wait()
                continue
            jobs, state.queue = state.queue, []
            targets = _targets([p for job in jobs for p in job.paths])
            actor = ", ".join(dict.fromkeys(job.actor for job in jobs))
            action = "+".join(dict.fromkeys(job.action for job in jobs))
            self.ingesting = f"{actor}, {action} since {time.strftime('%H:%M:%S')}"
            try:
                report = await asyncio.to_thread(
                    self.core.ingest, targets, actor=actor, action=action, isolated=self.isolated
                )
            except IngestBusy as exc:
                state.queue[:0] = jobs  # first in line when the lock is free
                if state.closing:
                    self._fail(jobs, exc)
                    state.queue.clear()
                    return
                log.info("the store is busy (%s); the live ingest waits %g s", exc, self.busy_retry_s)
                self.ingesting = None
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(_until_closing(state), self.busy_retry_s)
                continue
            except Exception as exc:  # audited by the core
                log.warning("live ingest of %d path(s) failed: %s", len(targets), exc)
                self._fail(jobs, exc)
                self._retry_later(state, jobs)
                continue
            finally:
                self.ingesting = None
            for warning in report.warnings:
                log.warning("live ingest: %s", warning)
            try:
                batch = await asyncio.to_thread(self.describe, report, actor, action)
            except Exception:
                log.exception("describing the live ingest failed")
                batch = LiveBatch(report, actor, action)
            for job in jobs:
                if job.future is not None and not job.future.done():
                    job.future.set_result(batch)
            self._take_over_duplicates(report)
            await self._deliver(batch)

    def _take_over_duplicates(self, report: IngestReport) -> None:
        """A file copied before its original was deleted: the watcher saw the copy first,
        refused as a duplicate, and then the deletion removed the article. The copy now
        holds the id alone, so it is ingested."""
        for f in report.failed:
            if f.article_id:
                self._refused[f.article_id] = Path(f.path)
        while len(self._refused) > REFUSED_KEPT:
            self._refused.pop(next(iter(self._refused)))
        heirs = [self._refused.pop(a) for a in report.removed if a in self._refused]
        heirs = [p for p in heirs if p.exists()]
        if heirs:
            self._submit(heirs, WATCHER, "watch")

    def _retry_later(self, state: _State, jobs: list[_Job]) -> None:
        """Queue the failed jobs' paths again after a backoff: those of the watcher and the
        feeds, whose files were written once and would not come again."""
        # Someone waiting (an /upload url:) was told it failed and may try again; a retry
        # nobody asked for would ingest and announce it behind their back. A feed's
        # articles are tried again all the same: with no watcher running nothing else
        # would (they had stayed out of the index until a /reingest).
        unasked = [job for job in jobs if job.future is None or job.retry_anyway]
        again = [_Job(job.paths, job.actor, job.action, failures=job.failures + 1) for job in unasked]
        given_up = [job for job in again if job.failures > FAILED_RETRIES]
        if given_up:
            log.warning(
                "live ingest of %d path(s) failed %d times: left for the next /reingest or absatz ingest",
                sum(len(job.paths) for job in given_up),
                FAILED_RETRIES + 1,
            )
        again = [job for job in again if job.failures <= FAILED_RETRIES]
        if not again:
            return
        delay = min(self.busy_retry_s * 2 ** max(job.failures for job in again), FAILED_RETRY_MAX_S)

        def requeue() -> None:
            if state is self._state and not state.closing:
                state.queue.extend(again)
                state.wake.set()

        asyncio.get_running_loop().call_later(delay, requeue)

    @staticmethod
    def _fail(jobs: list[_Job], exc: BaseException) -> None:
        for job in jobs:
            if job.future is not None and not job.future.done():
                job.future.set_exception(exc)

    def describe(self, report: IngestReport, actor: str, action: str) -> LiveBatch:
        """The added articles with what an announcement shows, and the follows they match:
        for this service's ingests, and for those the bot runs itself (a file upload,
        ``/reingest``), whose files the watcher then finds unchanged."""
        articles = []
        for article_id in report.added:
            with self._lock:
                written = self._known.pop(article_id, None)
            try:
                summary = self.core.article(article_id)
                lead = written.lead if written and written.lead else self.core.source(f"{article_id}#1").paragraph.text
            except AbsatzError as exc:  # removed again meanwhile
                log.info("not announcing %s: %s", article_id, exc)
                continue
            meta = summary.meta
            articles.append(
                LiveArticle(
                    article_id=article_id,
                    title=meta.title or (written.title if written else "") or article_id,
                    url=meta.url or (written.url if written else ""),
                    date=meta.date,
                    source=meta.source or meta.agency or (written.source if written else ""),
                    lead=shorten(" ".join(lead.split()), LEAD_CHARS),
                    paragraphs=meta.n_paragraphs,
                )
            )
        with self._lock:
            for article_id in report.updated:
                self._known.pop(article_id, None)
        matches: list[FollowMatch] = []
        follows = self.follows.all() if self.match_follows and report.added else []
        if follows:
            matches = [
                m
                for m in match_follows(self.core.searcher, follows, report.added)
                if self.follows.first_notice(m.follow.id, m.article_id)
            ]
        return LiveBatch(report, actor, action, tuple(articles), tuple(matches))

    async def _deliver(self, batch: LiveBatch) -> None:
        if self.on_batch is None:
            return
        try:
            maybe = self.on_batch(batch)
            if inspect.isawaitable(maybe):
                await maybe
        except Exception:
            log.exception("the live batch handler failed")

    # --- feeds -----------------------------------------------------------------------------

    def feeds(self) -> list[Feed]:
        return self.registry.feeds()

    async def add_feed(
        self, url: str, *, actor: str, interval: str | int | None = None, category: str = ""
    ) -> FeedAdded:
        """Check the URL, fetch and parse the feed once, register it and poll it now.

        A URL that is refused (scheme, private address, robots), too large, not a feed,
        or gone (404, 410, …) is not registered: the error says why. A feed that is only
        down right now (timeout, 5xx, 429) is registered and retried with backoff."""
        try:
            interval_s = parse_interval(interval, self.settings.interval_s)
            normalized = normalize_feed_url(url)
            if self.registry.get(normalized) is not None:
                raise FeedExists(normalized, "this feed is already registered")
            await self._probe(normalized)
            feed = self.registry.add(normalized, interval_s, category=category, added_by=actor)
        except LiveError as exc:
            self.core.audit.record(actor, "feed add", one_line(without_password(url), 500), f"rejected: {exc}")
            raise
        outcome = await self.poller.poll_feed(feed.url)
        self.core.audit.record(
            actor, "feed add", feed.url, f"added, every {duration_text(interval_s)}; first poll: {outcome.line()}"
        )
        ingested = self._after_poll([outcome], actor)
        self.poller.wake()
        return FeedAdded(self.registry.get(feed.url) or feed, outcome, ingested)

    async def _probe(self, url: str) -> None:
        """Fetch and parse once; raise what makes the URL useless as a feed."""
        try:
            result = await self.poller.fetcher.fetch(url)
            if not result.not_modified:
                await asyncio.to_thread(
                    parse_feed,
                    result.content,
                    result.final_url,
                    now=datetime.fromtimestamp(self._clock(), tz=UTC),
                    headers=result.headers,
                )
        except FetchError as exc:
            if exc.permanent:  # refused, gone, too large: asking again will not help
                raise
            # 5xx, a timeout, a robots.txt that could not be read: may pass by itself
            log.info("feed %s cannot be read right now (%s); registered, tried again later", url, exc.reason)

    def remove_feed(self, url: str, *, actor: str) -> Feed:
        """Forget a feed; the articles it brought stay in the corpus."""
        try:
            feed = self.registry.remove(url)
        except LiveError as exc:
            self.core.audit.record(actor, "feed remove", one_line(without_password(url), 500), f"rejected: {exc}")
            raise
        self.core.audit.record(
            actor,
            "feed remove",
            feed.url,
            f"removed ({feed.articles_ingested} article(s) it brought stay in the corpus)",
        )
        return feed

    async def poll_all(self, *, actor: str) -> tuple[PollReport, LiveBatch | None]:
        """Poll every registered feed now and ingest what they wrote (``absatz feed poll``)."""
        feeds = self.registry.feeds()
        outcomes = await asyncio.gather(*(self.poller.poll_feed(f.url) for f in feeds))
        report = PollReport(tuple(outcomes))
        self._audit_outcomes(report.outcomes, actor)
        self._remember(report.written)
        if not report.written:
            return report, None
        paths = report.paths
        for path in paths:
            self.remember_write(path)
        return report, await self.ingest(paths, actor=actor, action="feed poll")

    async def _on_report(self, report: PollReport) -> None:
        """The poller loop's reports: audit, remember for the announcement, and queue
        the written files when no watcher will see them."""
        self._audit_outcomes(report.outcomes, POLLER)
        self._after_poll(report.outcomes)

    def _after_poll(self, outcomes: Sequence[FeedOutcome], actor: str = POLLER) -> asyncio.Future[LiveBatch] | None:
        """Remember what was written for the announcement; queue it when no watcher runs."""
        written = PollReport(tuple(outcomes)).written
        self._remember(written)
        if not written or self._watching or self._state is None or self._state.closing:
            return None
        future = self._submit([a.path for a in written], actor, "feed", wait=True, retry_anyway=True)
        assert future is not None
        future.add_done_callback(_quietly)  # the worker logs a failure; nobody need await this
        return future

    def _audit_outcomes(self, outcomes: Sequence[FeedOutcome], actor: str) -> None:
        for outcome in outcomes:
            if outcome.status == "failed" or outcome.written or outcome.notes:
                self.core.audit.record(actor, "feed poll", outcome.feed_url, outcome.line())

    def _remember(self, articles: Iterable[NewArticle]) -> None:
        with self._lock:
            for article in articles:
                self._known[article.article_id] = article
            while len(self._known) > 10_000:  # never announced (their ingest failed): forget the oldest
                self._known.pop(next(iter(self._known)))

    # --- single pages ----------------------------------------------------------------------

    async def ingest_page(
        self, url: str, *, actor: str, category: str = "", action: str = "ingest url"
    ) -> PageIngested:
        """One web article: fetched (SSRF guard, robots.txt), extracted, written into
        ``CORPUS_DIR/web/…`` and ingested; waits for the ingest."""
        try:
            page = await self.poller.fetch_page_file(url.strip(), category)
        except LiveError as exc:
            verdict = "failed" if isinstance(exc, WriteFailed) else "rejected"
            self.core.audit.record(actor, action, one_line(without_password(url), 500), f"{verdict}: {exc}")
            raise
        written = page.article
        self._remember([written])
        self.remember_write(written.path)
        batch = await self.ingest([written.path], actor=actor, action=action)
        paragraphs = 0
        with contextlib.suppress(AbsatzError):
            paragraphs = (await asyncio.to_thread(self.core.article, written.article_id)).paragraphs
        article = LiveArticle(
            written.article_id,
            written.title,
            written.url,
            written.date,
            written.source,
            shorten(written.lead, LEAD_CHARS),
            paragraphs,
        )
        return PageIngested(article, batch, page.changed, written.path)

    # --- follows ---------------------------------------------------------------------------

    def follow(self, user_id: int, query: str, language: str = "de") -> Follow:
        return self.follows.add(user_id, query, language)

    def unfollow(self, user_id: int, which: str) -> Follow:
        return self.follows.remove(user_id, which)

    def following(self, user_id: int) -> list[Follow]:
        return self.follows.of_user(user_id)


def _quietly(future: asyncio.Future[LiveBatch]) -> None:
    if not future.cancelled():
        future.exception()


async def _until_closing(state: _State) -> None:
    while not state.closing:
        state.wake.clear()
        await state.wake.wait()


def _targets(paths: Sequence[Path]) -> list[Path]:
    """Each path once; a file inside a folder that is ingested anyway is left out."""
    unique = list(dict.fromkeys(paths))
    folders = [p for p in unique if p.is_dir()]
    return [p for p in unique if not any(f != p and p.resolve().is_relative_to(f.resolve()) for f in folders)]


# --- on a loop of its own (the bot) ------------------------------------------------------------


class LiveThread:
    """A :class:`LiveService` on an event loop in a thread of its own.

    The bot's event loop stays free of the watcher, the polls and the waits on
    ingest processes; commands are handed over with :meth:`call` and the service's
    batches come back through its ``on_batch`` (which must hand them to the bot's loop
    itself, e.g. with ``loop.call_soon_threadsafe``)."""

    def __init__(self, service: LiveService, *, run: bool = True, name: str = "absatz-live"):
        self.service = service
        self.run = run
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread: threading.Thread | None = None
        self._failed: BaseException | None = None
        self.watching = threading.Event()  # set once the watcher (if any) is in place

    def start(self, timeout_s: float = 60.0) -> None:
        if self._thread is not None:
            if self._failed is not None:
                raise self._failed
            if not self._thread.is_alive():
                raise RuntimeError("the live corpus has stopped")
            return
        self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
        self._thread.start()
        if not self._started.wait(timeout_s):
            raise RuntimeError("the live corpus did not start")
        if self._failed is not None:
            raise self._failed

    def _main(self) -> None:
        try:
            asyncio.run(self._amain())
        except BaseException as exc:
            self._failed = exc
            self._started.set()
            log.exception("the live corpus thread ended")

    async def _amain(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        ready = asyncio.Event()
        async with self.service:
            self._started.set()
            if self.run:
                runner = asyncio.create_task(self.service.run(self._stop, ready))
                waiter = asyncio.ensure_future(ready.wait())
                await asyncio.wait([runner, waiter], return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                self.watching.set()
                await runner
            else:
                self.watching.set()
                await self._stop.wait()

    def call(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the service's loop (started on first use); the result as a
        thread-safe future."""
        try:
            self.start()
        except BaseException:
            coro.close()
            raise
        assert self._loop is not None
        # In a fresh, empty context: the caller's context variables (the bot's, a test
        # harness's virtual clock) must not follow the work onto the service's loop.
        return contextvars.Context().run(asyncio.run_coroutine_threadsafe, coro, self._loop)

    async def run_async(self, coro: Coroutine[Any, Any, T]) -> T:
        """``await`` a service coroutine from another event loop (the bot's)."""
        return await asyncio.wrap_future(self.call(coro))

    def stop(self, timeout_s: float = 120.0) -> None:
        """Stop watching and polling, let a running ingest finish, close the service."""
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.service.close()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
