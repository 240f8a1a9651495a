"""Polling the registered feeds: new or changed items become article files in the corpus.

Each feed is polled on its own: a feed that fails records its error and backs off
(interval × 2^failures, capped at a day or at its interval when longer) and never holds
up another one. New or changed items are fetched (unless the item carries the full
text), extracted and written as Markdown files into the corpus folder; what was written
is returned, so the caller can run the ingest and announce the articles. Nothing here
ingests or talks to Discord. The clock is injected so backoff and due times are tested
on simulated time.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .errors import WriteFailed, one_line
from .extract import (
    ACCEPTED_LANGUAGES,
    ExtractError,
    WebArticle,
    extract_article,
    extract_fragment,
)
from .feeds import FeedError, FeedItem, parse_feed
from .fetch import Fetcher, FetchError, HTTPStatus
from .files import write_article
from .registry import Feed, FeedRegistry, UnknownFeed
from .urls import article_id_for, canonical_url, same_site

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewArticle:
    """An article file that was written (new, or changed): what an announcement needs."""

    path: Path
    article_id: str
    title: str
    url: str
    date: str
    source: str
    lead: str
    created: bool  # False: an existing article was updated
    feed_url: str = ""


@dataclass(frozen=True)
class PageFile:
    """A single page's article file: ``changed`` is False when it already held exactly this."""

    article: NewArticle
    changed: bool


@dataclass(frozen=True)
class FeedOutcome:
    """How one feed's poll went: one line for the audit log via :meth:`line`."""

    feed_url: str
    status: str  # "ok", "not-modified", "failed" or "removed" (while it was polled)
    items: int = 0
    written: tuple[NewArticle, ...] = ()
    error: str = ""
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def line(self) -> str:
        if self.status == "failed":
            return one_line(f"{self.feed_url}: failed: {self.error}", 500)
        if self.status == "not-modified":
            return f"{self.feed_url}: not modified"
        if self.status == "removed":
            done = f"{len(self.written)} article(s) written" if self.written else "skipped"
            return f"{self.feed_url}: removed, {done}"
        text = f"{self.feed_url}: {self.items} item(s), {len(self.written)} article(s) written"
        if self.notes:
            text += f"; {len(self.notes)} note(s): " + "; ".join(self.notes[:3])
        return one_line(text, 500)


@dataclass(frozen=True)
class PollReport:
    outcomes: tuple[FeedOutcome, ...] = ()

    @property
    def written(self) -> list[NewArticle]:
        """Every article written, once (an article reached through two feeds is one)."""
        seen: dict[Path, NewArticle] = {}
        for outcome in self.outcomes:
            for article in outcome.written:
                seen.setdefault(article.path, article)
        return list(seen.values())

    @property
    def paths(self) -> list[Path]:
        return [a.path for a in self.written]


@dataclass
class _Round:
    """Items being fetched by feeds polled together: the same URL is fetched once."""

    tasks: dict[str, asyncio.Task[tuple[str, NewArticle | None]]] = field(default_factory=dict)


class _ItemSkipped(Exception):
    def __init__(self, note: str, permanent: bool):
        super().__init__(note)
        self.note = note
        self.permanent = permanent


Clock = Callable[[], float]
OnReport = Callable[[PollReport], Awaitable[None] | None]


class Poller:
    def __init__(
        self,
        registry: FeedRegistry,
        corpus_dir: Path,
        fetcher: Fetcher,
        *,
        clock: Clock = time.time,
        languages: tuple[str, ...] = ACCEPTED_LANGUAGES,
        max_items: int = 100,
        concurrency: int = 16,
    ):
        self.registry = registry
        self.corpus_dir = Path(corpus_dir)
        self.fetcher = fetcher
        self.clock = clock
        self.languages = languages
        self.max_items = max_items
        self._feeds_at_once = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        # Polls in progress, by feed: a feed is never polled twice at once (``/feed add``
        # polls at once while the loop may find the new feed due).
        self._inflight: dict[str, asyncio.Task[FeedOutcome]] = {}

    # --- one round ----------------------------------------------------------------------

    async def poll_due(self) -> PollReport:
        """Poll every feed that is due now, concurrently, and wait for all of them."""
        feeds = self.registry.due(self.clock())
        shared = _Round()
        outcomes = await asyncio.gather(*(self._poll_isolated(f, shared) for f in feeds))
        return PollReport(tuple(outcomes))

    async def poll_feed(self, url: str) -> FeedOutcome:
        """Poll one registered feed now, due or not (``/feed add`` tries it at once); a
        poll of it already under way is waited for instead of starting a second one."""
        feed = self.registry.get(url)
        if feed is None:
            raise KeyError(url)
        return await asyncio.shield(self._start(feed, _Round()))

    def _start(self, feed: Feed, shared: _Round) -> asyncio.Task[FeedOutcome]:
        task = self._inflight.get(feed.url)
        if task is None:
            task = self._inflight[feed.url] = asyncio.ensure_future(self._poll_isolated(feed, shared))
            task.add_done_callback(lambda _: self._inflight.pop(feed.url, None))
        return task

    async def _poll_isolated(self, feed: Feed, shared: _Round) -> FeedOutcome:
        """A feed's poll can fail in any way; it is recorded and never raised."""
        async with self._feeds_at_once:
            try:
                return await self._poll(feed, shared)
            except asyncio.CancelledError:
                raise
            except UnknownFeed:  # removed while it was polled: nothing to record its outcome in
                return FeedOutcome(feed.url, "removed")
            except Exception as exc:  # a bug must not stop the other feeds
                log.exception("polling %s failed", feed.url)
                error = f"internal error: {type(exc).__name__}: {exc}"
                try:
                    self.registry.record_failure(feed.url, error)
                except Exception:  # removed meanwhile, or the database fails: the outcome still says it
                    log.exception("recording the failure of %s failed", feed.url)
                return FeedOutcome(feed.url, "failed", error=one_line(error))

    async def _poll(self, feed: Feed, shared: _Round) -> FeedOutcome:
        try:
            result = await self.fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        except FetchError as exc:
            retry = exc.retry_after if isinstance(exc, HTTPStatus) else None
            self.registry.record_failure(feed.url, exc.reason, retry)
            return FeedOutcome(feed.url, "failed", error=exc.reason)
        if result.not_modified:
            self.registry.record_success(
                feed.url, etag=result.etag or feed.etag, last_modified=result.last_modified or feed.last_modified
            )
            return FeedOutcome(feed.url, "not-modified")
        now = datetime.fromtimestamp(self.clock(), tz=UTC)
        try:
            # in a thread, as pages are extracted: a feed of 1,000 long items takes seconds
            # to parse, and every other feed's fetch waits on the loop meanwhile
            parsed = await asyncio.to_thread(
                parse_feed, result.content, result.final_url, now=now, headers=result.headers
            )
        except FeedError as exc:
            self.registry.record_failure(feed.url, exc.reason)
            return FeedOutcome(feed.url, "failed", error=exc.reason)

        new, left = self._to_read(feed, parsed.items)
        notes = list(parsed.notes)
        if left:
            notes.append(
                f"{len(new) + left} new or changed items: the newest {len(new)} read, {left} left for the next poll"
            )
        results = await asyncio.gather(
            *(self._item(feed, parsed.title, result.final_url, item, seen, shared) for item, seen in new)
        )
        written = [r for r in results if isinstance(r, NewArticle)]
        skipped = [r for r in results if isinstance(r, _ItemSkipped)]
        notes += [r.note for r in skipped]
        # Work left for later must not be answered with a 304 next time: without the
        # validators the feed is read again and those items with it.
        later = left > 0 or any(not r.permanent for r in skipped)
        status = "ok"
        try:
            self.registry.record_success(
                feed.url,
                etag="" if later else result.etag,
                last_modified="" if later else result.last_modified,
                title=parsed.title,
                articles=sum(1 for a in written if a.feed_url == feed.url and a.created),  # edits are not more articles
                note=notes[0] if len(notes) == 1 else (f"{len(notes)} notes; first: {notes[0]}" if notes else ""),
            )
        except UnknownFeed:  # removed while it was polled: what it wrote is in the corpus all the same
            status = "removed"
        return FeedOutcome(feed.url, status, items=len(parsed.items) - left, written=tuple(written), notes=tuple(notes))

    def _to_read(self, feed: Feed, items: Sequence[FeedItem]) -> tuple[list[tuple[FeedItem, str | None]], int]:
        """The new or changed items to read now, each with the hash it was seen with before
        (``None``: never seen), and how many more are left for the next poll; unchanged
        items are neither fetched nor written.

        Of more than ``max_items``, the newest by date (a news sitemap lists its oldest
        first). The sort is stable: undated items come after the dated ones, and equals
        keep the feed's order (feeds list their newest first).
        """
        new = []
        for item in items:
            seen = self.registry.seen_hash(feed.url, item.url)
            if seen != item.content_hash:
                new.append((item, seen))
        if len(new) <= self.max_items:
            return new, 0
        newest = sorted(new, key=lambda pair: pair[0].date, reverse=True)
        return newest[: self.max_items], len(new) - self.max_items

    async def _item(
        self, feed: Feed, feed_title: str, served_from: str, item: FeedItem, seen: str | None, shared: _Round
    ) -> NewArticle | _ItemSkipped | None:
        """A new or changed item → its article file. Returns the written article, why the
        item could not be used (its note is one line), or ``None`` when there was nothing to do."""
        digest = item.content_hash
        if seen is None and item.url not in shared.tasks:
            other = self.registry.article_for(item.url)
            if other:  # another feed brought this article already
                self.registry.mark_seen(feed.url, item.url, digest, other)
                return None
        task = shared.tasks.get(item.url)
        if task is None:
            task = shared.tasks[item.url] = asyncio.ensure_future(self._article(feed, feed_title, served_from, item))
        try:
            article_id, written = await asyncio.shield(task)
        except _ItemSkipped as exc:
            if exc.permanent:  # retried only when the item changes
                self.registry.mark_seen(feed.url, item.url, digest, "")
            return exc
        self.registry.mark_seen(feed.url, item.url, digest, article_id)
        return written

    async def _article(
        self, feed: Feed, feed_title: str, served_from: str, item: FeedItem
    ) -> tuple[str, NewArticle | None]:
        """The item's article id, and what was written (``None``: the file was up to date).
        The feed's own text stands for the page only on the feed's own site, where it was
        registered and where it was served from (after redirects): one feed's text under
        another site's link would be written as that site's article."""
        try:
            if item.has_full_text and same_site(item.url, feed.url) and same_site(item.url, served_from):
                web = await asyncio.to_thread(
                    extract_fragment,
                    item.content_html,
                    item.url,
                    item.title,
                    declared=item.language,
                    languages=self.languages,
                )
            else:
                result = await self.fetcher.fetch(item.url, page=True)
                web = await asyncio.to_thread(
                    extract_article, result.content, result.final_url, languages=self.languages, charset=result.charset
                )
        except ExtractError as exc:
            raise _ItemSkipped(f"item {item.url}: {exc.reason}", permanent=True) from None
        except FetchError as exc:  # what may pass (5xx, timeouts, robots.txt unread) the next poll asks again
            again = "" if exc.permanent else "; trying again later"
            raise _ItemSkipped(f"item {item.url}: {exc.reason}{again}", permanent=exc.permanent) from None
        web = self._complete(web, feed, feed_title, item)
        try:
            return article_id_for(web.url), await self._write(web, feed.url)
        except WriteFailed as exc:  # the disk, not the item: asked again next poll, the other items go on
            raise _ItemSkipped(f"item {item.url}: {exc.reason}; trying again later", permanent=False) from None

    def _complete(self, web: WebArticle, feed: Feed, feed_title: str, item: FeedItem) -> WebArticle:
        """What the page does not say, the feed item does; the admin's category wins."""
        return web.with_changes(
            title=web.title or item.title,
            date=item.date or self._not_future(web.date),
            author=web.author or item.author,
            site=web.site or feed_title or _host(item.url),
            category=feed.category or item.category or web.category,
        )

    def _not_future(self, day: str) -> str:
        today = datetime.fromtimestamp(self.clock(), tz=UTC).date().isoformat()
        return min(day, today) if day else ""

    async def _write(self, web: WebArticle, feed_url: str) -> NewArticle | None:
        written = await asyncio.to_thread(write_article, self.corpus_dir, web)
        if not written.changed:
            return None
        return self._new_article(web, written.path, written.article_id, written.created, feed_url)

    @staticmethod
    def _new_article(web: WebArticle, path: Path, article_id: str, created: bool, feed_url: str) -> NewArticle:
        return NewArticle(
            path=path,
            article_id=article_id,
            title=web.title,
            url=web.url,
            date=web.date,
            source=web.site,
            lead=web.lead,
            created=created,
            feed_url=feed_url,
        )

    # --- single pages ---------------------------------------------------------------

    async def fetch_page(self, url: str, category: str = "") -> NewArticle | None:
        """One web article → its file (``/upload url:``, ``absatz ingest URL``). Returns
        ``None`` when the file already held exactly this article; raises
        :class:`FetchError` or :class:`ExtractError` with a one-line reason."""
        page = await self.fetch_page_file(url, category)
        return page.article if page.changed else None

    async def fetch_page_file(self, url: str, category: str = "") -> PageFile:
        """Like :meth:`fetch_page`, but always says which article and file the page is,
        also when the file was up to date already (it may still need an ingest)."""
        result = await self.fetcher.fetch(url, page=True)
        web = await asyncio.to_thread(
            extract_article, result.content, result.final_url, languages=self.languages, charset=result.charset
        )
        web = web.with_changes(
            date=self._not_future(web.date), site=web.site or _host(web.url), category=category or web.category
        )
        written = await asyncio.to_thread(write_article, self.corpus_dir, web)
        return PageFile(self._new_article(web, written.path, written.article_id, written.created, ""), written.changed)

    # --- the loop ---------------------------------------------------------------------

    def wake(self) -> None:
        """Look at the registry again now (a feed was added or changed)."""
        self._wake.set()

    def seconds_until_due(self, exclude: Iterable[str] = (), max_sleep_s: float = 60.0) -> float:
        """How long the loop may sleep: until the next due feed, at most ``max_sleep_s``."""
        next_due = self.registry.next_due(exclude)
        if next_due is None:
            return max_sleep_s
        return min(max(0.0, next_due - self.clock()), max_sleep_s)

    async def run_forever(
        self, stop_event: asyncio.Event, on_report: OnReport | None = None, *, max_sleep_s: float = 60.0
    ) -> None:
        """Poll feeds as they fall due until ``stop_event`` is set.

        Each feed runs as its own task and is reported (``on_report``) as soon as it is
        done, so a feed that hangs until its timeout delays no other feed's articles.
        """
        running: dict[str, asyncio.Task[FeedOutcome]] = {}
        stop_wait = asyncio.ensure_future(stop_event.wait())
        try:
            while not stop_event.is_set():
                due = [
                    f for f in self.registry.due(self.clock()) if f.url not in running and f.url not in self._inflight
                ]
                shared = _Round()
                for feed in due:
                    running[feed.url] = self._start(feed, shared)
                self._wake.clear()
                wake_wait = asyncio.ensure_future(self._wake.wait())
                timeout = self.seconds_until_due([*running.keys(), *self._inflight.keys()], max_sleep_s)
                done, _ = await asyncio.wait(
                    [stop_wait, wake_wait, *running.values()], timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                wake_wait.cancel()
                finished = [(url, t) for url, t in running.items() if t in done]
                if not finished:
                    continue
                for url, _ in finished:
                    del running[url]
                report = PollReport(tuple(_outcome(url, t) for url, t in finished))
                if on_report:
                    try:
                        maybe = on_report(report)
                        if inspect.isawaitable(maybe):
                            await maybe
                    except Exception:
                        log.exception("the poll report handler failed")
        finally:
            stop_wait.cancel()
            for task in running.values():
                task.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)


def _outcome(url: str, task: asyncio.Task[FeedOutcome]) -> FeedOutcome:
    """A finished poll's outcome. A poll records its own failures, so one that raised all
    the same (a bug, or cancelled from outside) is logged and reported: it must not end the
    loop, and with it the polling of every feed."""
    try:
        return task.result()
    except (Exception, asyncio.CancelledError) as exc:
        log.error("polling %s failed", url, exc_info=exc)
        return FeedOutcome(url, "failed", error=one_line(f"internal error: {type(exc).__name__}: {exc}"))


def _host(url: str) -> str:
    host = urlsplit(canonical_url(url)).hostname or ""
    return host.removeprefix("www.")
