"""Saved queries (``/follow``) in SQLite (``BOT_DB``): who follows what, and which
articles each follow was already told about.

A follow belongs to one Discord user (the id is kept: the bot must be able to DM them)
and is matched against every newly ingested article (:mod:`absatz.follows`). An
article is notified once per follow, whether the DM arrived or not: a closed DM is
logged, never retried.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from vectorstore.errors import AbsatzError
from vectorstore.sqlite import open_db

MAX_QUERY_CHARS = 300
DEFAULT_LIMIT = 10

SCHEMA = """
CREATE TABLE IF NOT EXISTS follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL,
    query TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'de',
    created REAL NOT NULL,
    UNIQUE (user_id, query)
);
CREATE TABLE IF NOT EXISTS follow_notified (
    follow_id INTEGER NOT NULL,
    article_id TEXT NOT NULL,
    at REAL NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (follow_id, article_id)
);
"""


class FollowError(AbsatzError):
    """A follow cannot be saved or removed as asked."""

    key = "follow"


class FollowLimit(FollowError):
    key = "follow_limit"


class FollowExists(FollowError):
    key = "follow_exists"


class UnknownFollow(FollowError):
    key = "follow_unknown"


class EmptyFollow(FollowError):
    key = "follow_empty"


@dataclass(frozen=True)
class Follow:
    id: int
    user_id: int
    query: str
    language: str
    created: float

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "query": self.query,
            "language": self.language,
            "created": self.created,
        }


def clean_query(query: str) -> str:
    """One line, squashed whitespace; empty or too long is a :class:`FollowError`."""
    text = " ".join((query or "").split())
    if not any(ch.isalnum() for ch in text):
        raise EmptyFollow("a follow needs a query with words in it")
    if len(text) > MAX_QUERY_CHARS:
        raise FollowError(f"a follow query has at most {MAX_QUERY_CHARS} characters", limit=MAX_QUERY_CHARS)
    return text


class FollowStore:
    def __init__(self, path: Path, limit: int = DEFAULT_LIMIT):
        self.limit = limit
        self._db = open_db(path, SCHEMA)
        self._lock = threading.Lock()

    def add(self, user_id: int, query: str, language: str = "de") -> Follow:
        """Save a follow; at most ``limit`` per user, the same query once."""
        text = clean_query(query)
        with self._lock:
            count = self._db.execute("SELECT COUNT(*) FROM follows WHERE user_id = ?", (user_id,)).fetchone()[0]
            if self._find(user_id, text) is not None:
                raise FollowExists(f"you already follow “{text}”", query=text)
            if count >= self.limit:
                raise FollowLimit(
                    f"you already follow {count} queries, the most allowed; unfollow one first", limit=self.limit
                )
            cursor = self._db.execute(
                "INSERT INTO follows (user_id, query, language, created) VALUES (?, ?, ?, ?)",
                (user_id, text, language, time.time()),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return Follow(row_id, user_id, text, language, time.time())

    def _find(self, user_id: int, query: str) -> Follow | None:
        """The user's follow with this query, in any case: SQLite's lower() folds ASCII
        only, so "Über Wärmenetz" is compared here (a user has at most ``limit``)."""
        rows = self._db.execute(
            "SELECT id, user_id, query, language, created FROM follows WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
        wanted = query.casefold()
        return next((Follow(*row) for row in rows if row[2].casefold() == wanted), None)

    def remove(self, user_id: int, which: str) -> Follow:
        """Remove one of the user's follows, named by its number (``#3`` or ``3``) or its query."""
        text = " ".join((which or "").split())
        with self._lock:
            found: Follow | None = None
            number = text.removeprefix("#")
            # not isdigit(): '²' is a digit that int() refuses; past 18 digits SQLite's integers end
            if number.isdecimal() and len(number) <= 18:
                row = self._db.execute(
                    "SELECT id, user_id, query, language, created FROM follows WHERE user_id = ? AND id = ?",
                    (user_id, int(number)),
                ).fetchone()
                found = Follow(*row) if row else None
            if found is None:
                found = self._find(user_id, text)
            if found is None:
                raise UnknownFollow(f"you do not follow “{text}”", query=text)
            self._db.execute("DELETE FROM follows WHERE id = ?", (found.id,))
            self._db.execute("DELETE FROM follow_notified WHERE follow_id = ?", (found.id,))
        return found

    def of_user(self, user_id: int) -> list[Follow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, user_id, query, language, created FROM follows WHERE user_id = ? ORDER BY id", (user_id,)
            ).fetchall()
        return [Follow(*r) for r in rows]

    def all(self) -> list[Follow]:
        with self._lock:
            rows = self._db.execute("SELECT id, user_id, query, language, created FROM follows ORDER BY id").fetchall()
        return [Follow(*r) for r in rows]

    def first_notice(self, follow_id: int, article_id: str) -> bool:
        """Record that ``follow_id`` is being told about ``article_id``; False if it was before."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO follow_notified (follow_id, article_id, at) VALUES (?, ?, ?)",
                (follow_id, article_id, time.time()),
            )
            return cursor.rowcount > 0

    def record_undelivered(self, follow_id: int, article_id: str) -> None:
        """The DM did not arrive (closed DMs): kept as notified, so it is never retried."""
        with self._lock:
            self._db.execute(
                "UPDATE follow_notified SET delivered = 0 WHERE follow_id = ? AND article_id = ?",
                (follow_id, article_id),
            )

    def undelivered(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM follow_notified WHERE delivered = 0").fetchone()[0])

    def close(self) -> None:
        self._db.close()
