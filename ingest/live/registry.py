"""The feed registry: which feeds are polled, how often, and how each one is doing.

Kept in SQLite at a path the caller chooses (the bot passes its ``BOT_DB``). It holds
the feeds and, per feed, the items already seen with a hash of their content, so an
unchanged item is never fetched or written again. Articles themselves are not stored
here: the corpus folder and Chroma stay their one source of truth.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vectorstore.sqlite import open_db

from .errors import LiveError, one_line
from .fetch import Refused, check_url
from .urls import canonical_url

DEFAULT_INTERVAL_S = 900
MIN_INTERVAL_S = 60
MAX_INTERVAL_S = 7 * 86400
MAX_BACKOFF_S = 86400

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY,
    interval_s INTEGER NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_success REAL,
    last_error TEXT NOT NULL DEFAULT '',
    last_error_at REAL,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll REAL NOT NULL,
    articles_ingested INTEGER NOT NULL DEFAULT 0,
    added_by TEXT NOT NULL DEFAULT '',
    added_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feed_items (
    feed_url TEXT NOT NULL,
    item_url TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    article_id TEXT NOT NULL DEFAULT '',
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (feed_url, item_url)
);
CREATE INDEX IF NOT EXISTS feed_items_by_url ON feed_items (item_url);
"""

_COLUMNS = (
    "url, interval_s, category, title, etag, last_modified, last_success, last_error, last_error_at, "
    "failures, next_poll, articles_ingested, added_by, added_at"
)


class FeedRegistryError(LiveError):
    """A feed cannot be added, changed or removed as asked."""

    key = "feed_registry"


class FeedExists(FeedRegistryError):
    key = "feed_exists"


class UnknownFeed(FeedRegistryError):
    key = "feed_unknown"


class BadInterval(FeedRegistryError):
    key = "bad_interval"


def backoff_s(interval_s: float, failures: int) -> float:
    """Seconds until the next try after ``failures`` failures in a row: the interval
    doubled per failure, capped at a day, but never below the interval (a weekly feed that
    fails is not asked daily, more often than one that works)."""
    if failures <= 0:
        return float(interval_s)
    return float(min(interval_s * 2 ** min(failures, 32), max(MAX_BACKOFF_S, interval_s)))


@dataclass(frozen=True)
class Feed:
    url: str
    interval_s: int
    category: str = ""
    title: str = ""
    etag: str = ""
    last_modified: str = ""
    last_success: float | None = None
    last_error: str = ""
    last_error_at: float | None = None
    failures: int = 0
    next_poll: float = 0.0
    articles_ingested: int = 0
    added_by: str = ""
    added_at: float = 0.0

    def status_line(self) -> str:
        """One line for ``/feed list`` and ``absatz feed list``."""
        parts = [self.url, f"every {_duration(self.interval_s)}"]
        if self.category:
            parts.append(f"category {self.category}")
        parts.append(f"last success {_when(self.last_success)}")
        if self.last_error:
            parts.append(f"last error {_when(self.last_error_at)}: {self.last_error}")
        if self.failures:
            parts.append(f"{self.failures} failure(s) in a row, next try {_when(self.next_poll)}")
        parts.append(f"{self.articles_ingested} article(s) ingested")
        return " · ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _when(ts: float | None) -> str:
    if not ts:
        return "never"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def normalize_feed_url(url: str) -> str:
    """The form a feed is stored under; a bad URL is a :class:`FeedRegistryError`."""
    text = (url or "").strip()
    try:
        check_url(text)
    except Refused as exc:
        raise FeedRegistryError(exc.url, exc.reason) from None
    return canonical_url(text)


class FeedRegistry:
    """Feeds and seen items in SQLite; safe to share between the event loop and threads."""

    def __init__(self, path: Path | str, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._db = open_db(Path(path), SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    # --- managing feeds ---------------------------------------------------------------

    def add(self, url: str, interval_s: int = DEFAULT_INTERVAL_S, category: str = "", added_by: str = "") -> Feed:
        """Register a feed, due at once. Bad URL, duplicate or an interval out of range
        is a :class:`FeedRegistryError` that says which."""
        url = normalize_feed_url(url)
        interval_s = check_interval(interval_s)
        now = self._clock()
        with self._lock:
            if self._row(url):
                raise FeedExists(url, "this feed is already registered")
            self._db.execute(
                "INSERT INTO feeds (url, interval_s, category, next_poll, added_by, added_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (url, interval_s, one_line(category, 100), now, one_line(added_by, 200), now),
            )
        return self._existing(url)

    def remove(self, url: str) -> Feed:
        """Forget a feed and its seen items; the articles it brought stay in the corpus."""
        feed = self._existing(url)
        with self._lock:
            self._db.execute("DELETE FROM feeds WHERE url = ?", (feed.url,))
            self._db.execute("DELETE FROM feed_items WHERE feed_url = ?", (feed.url,))
        return feed

    def _existing(self, url: str) -> Feed:
        feed = self.get(url)
        if feed is None:
            raise UnknownFeed(url.strip(), "no such feed is registered")
        return feed

    def get(self, url: str) -> Feed | None:
        try:
            key = canonical_url(url.strip())
        except ValueError:
            return None
        with self._lock:
            row = self._row(key)
        return Feed(*row) if row else None

    def feeds(self) -> list[Feed]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM feeds ORDER BY added_at, rowid").fetchall()
        return [Feed(*r) for r in rows]

    def due(self, now: float | None = None) -> list[Feed]:
        now = self._clock() if now is None else now
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM feeds WHERE next_poll <= ? ORDER BY next_poll", (now,)
            ).fetchall()
        return [Feed(*r) for r in rows]

    def next_due(self, exclude: Iterable[str] = ()) -> float | None:
        """When the next feed is due (a timestamp), or ``None`` without feeds; feeds in
        ``exclude`` (being polled right now) do not count."""
        skip = list(exclude)
        marks = ",".join("?" * len(skip))
        where = f" WHERE url NOT IN ({marks})" if skip else ""
        with self._lock:
            row = self._db.execute(f"SELECT MIN(next_poll) FROM feeds{where}", skip).fetchone()
        return row[0] if row and row[0] is not None else None

    def _row(self, url: str) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self._db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        return row

    # --- what a poll reports ----------------------------------------------------------

    def record_success(
        self, url: str, *, etag: str = "", last_modified: str = "", title: str = "", articles: int = 0, note: str = ""
    ) -> Feed:
        """The feed answered (new content or 304): failures reset, next poll one interval
        on. ``note`` (an item that failed, a future date) is kept as the last error line."""
        now = self._clock()
        with self._lock:
            self._db.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, title = CASE WHEN ? != '' THEN ? ELSE title END, "
                "last_success = ?, failures = 0, next_poll = ? + interval_s, "
                "articles_ingested = articles_ingested + ?, "
                "last_error = CASE WHEN ? != '' THEN ? ELSE last_error END, "
                "last_error_at = CASE WHEN ? != '' THEN ? ELSE last_error_at END WHERE url = ?",
                (
                    etag,
                    last_modified,
                    title,
                    one_line(title, 200),
                    now,
                    now,
                    articles,
                    note,
                    one_line(note),
                    note,
                    now,
                    url,
                ),
            )
        return self._existing(url)

    def record_failure(self, url: str, error: str, retry_after_s: float | None = None) -> Feed:
        """The feed failed: one more failure, next try after the backoff (or the server's
        ``Retry-After``, when that is longer; believed up to a day)."""
        now = self._clock()
        feed = self._existing(url)
        failures = feed.failures + 1
        wait = backoff_s(feed.interval_s, failures)
        if retry_after_s:
            wait = max(wait, min(retry_after_s, MAX_BACKOFF_S))
        with self._lock:
            self._db.execute(
                "UPDATE feeds SET last_error = ?, last_error_at = ?, failures = ?, next_poll = ? WHERE url = ?",
                (one_line(error), now, failures, now + wait, url),
            )
        return self._existing(url)

    # --- seen items -------------------------------------------------------------------

    def seen_hash(self, feed_url: str, item_url: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT content_hash FROM feed_items WHERE feed_url = ? AND item_url = ?", (feed_url, item_url)
            ).fetchone()
        return row[0] if row else None

    def article_for(self, item_url: str) -> str | None:
        """The article id any feed already made of ``item_url`` (same URL in two feeds)."""
        with self._lock:
            row = self._db.execute(
                "SELECT article_id FROM feed_items WHERE item_url = ? AND article_id != '' LIMIT 1", (item_url,)
            ).fetchone()
        return row[0] if row else None

    def mark_seen(self, feed_url: str, item_url: str, content_hash: str, article_id: str = "") -> None:
        """Remember an item of a registered feed; a poll that outlives its feed's removal
        must not leave the feed's items behind."""
        now = self._clock()
        with self._lock:
            self._db.execute(
                "INSERT INTO feed_items (feed_url, item_url, content_hash, article_id, first_seen, last_seen) "
                "SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM feeds WHERE url = ?) "
                "ON CONFLICT (feed_url, item_url) DO UPDATE SET "
                "content_hash = excluded.content_hash, article_id = excluded.article_id, "
                "last_seen = excluded.last_seen",
                (feed_url, item_url, content_hash, article_id, now, now, feed_url),
            )

    def seen_count(self, feed_url: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM feed_items WHERE feed_url = ?", (feed_url,)).fetchone()
        return int(row[0])


def check_interval(interval_s: int) -> int:
    try:
        value = int(interval_s)
    except (TypeError, ValueError):
        raise BadInterval("", f"interval {interval_s!r} is not a number of seconds", value=str(interval_s)) from None
    if value < MIN_INTERVAL_S:
        raise BadInterval(
            "", f"interval {value} s is below the minimum of {MIN_INTERVAL_S} s (1 min)", value=f"{value} s"
        )
    if value > MAX_INTERVAL_S:
        raise BadInterval(
            "", f"interval {value} s is above the maximum of {MAX_INTERVAL_S} s (7 days)", value=f"{value} s"
        )
    return value
