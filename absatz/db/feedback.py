"""Answers and votes in SQLite beside the index: what users asked, what they got, and
what they thought of it.

Answers are recorded by message id when sent, so a 👎 clicked days later (after any
number of restarts) still knows which question, answer and citations it judges. The
same rows feed the admins' coverage gaps (questions the bot could not answer) and the
weekly analytics. No user id is stored, only a salted hash of it for votes: enough to
keep one vote per user and answer, the latest click replacing the earlier one.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vectorstore.sqlite import open_db
from vectorstore.text import one_line

from ..answer import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    message_id INTEGER PRIMARY KEY,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL,
    vote INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    user_hash TEXT NOT NULL,
    created REAL NOT NULL
);
"""
# Columns added after the first release: added to an older file when it is opened.
ANSWER_COLUMNS = {
    "channel_id": "INTEGER NOT NULL DEFAULT 0",
    "guild_id": "INTEGER NOT NULL DEFAULT 0",
    "latency_ms": "REAL NOT NULL DEFAULT 0",
    "language": "TEXT NOT NULL DEFAULT ''",
    "follows": "TEXT NOT NULL DEFAULT ''",
}
# One vote per user and answer. A file from before it may hold a user's repeated clicks:
# only the latest of each is kept when the index is first made.
ONE_VOTE = "feedback_one_vote"


def user_hash(user_id: int) -> str:
    """Feedback is attributable per user without storing who the user is."""
    return hashlib.sha256(f"absatz:{user_id}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class AskedQuestion:
    """One answered (or refused) question of the period, with its votes."""

    question: str
    abstained: bool
    created: float
    channel_id: int
    latency_ms: float
    up: int
    down: int
    comments: tuple[str, ...]
    follows: str = ""  # a follow-up's thread subject: the question that opened the thread, as far as read


class FeedbackStore:
    def __init__(self, path: Path):
        self._db = open_db(path, SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(answers)")}
        for column, kind in ANSWER_COLUMNS.items():
            if column not in have:
                self._db.execute(f"ALTER TABLE answers ADD COLUMN {column} {kind}")
        if not self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?", (ONE_VOTE,)
        ).fetchone():
            with self._transaction():
                self._db.execute(
                    "DELETE FROM feedback WHERE id NOT IN (SELECT MAX(id) FROM feedback GROUP BY message_id, user_hash)"
                )
                self._db.execute(f"CREATE UNIQUE INDEX IF NOT EXISTS {ONE_VOTE} ON feedback (message_id, user_hash)")
        self._lock = threading.Lock()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def record_answer(
        self, message_id: int, a: Answer, channel_id: int = 0, guild_id: int = 0, follows: str = ""
    ) -> None:
        """``follows``: for a follow-up, the question that opened its thread."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers (message_id, question, answer, citations, abstained, created, "
                "channel_id, guild_id, latency_ms, language, follows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    message_id,
                    a.question,
                    a.answer,
                    json.dumps([c.id for c in a.citations]),
                    int(a.abstained),
                    time.time(),
                    channel_id,
                    guild_id,
                    a.latency_ms,
                    a.language,
                    follows,
                ),
            )

    def conversation_of(self, message_id: int) -> list[str]:
        """The questions an answer (its message) was given to, oldest first: the question
        that opened its thread where it answered a follow-up, then its own; none for a
        message that is no recorded answer. A reply to it goes on from them."""
        with self._lock:
            row = self._db.execute(
                "SELECT follows, question FROM answers WHERE message_id = ?", (message_id,)
            ).fetchone()
        return [] if row is None else list(dict.fromkeys(q for q in row if q))

    def record_vote(self, message_id: int, user_id: int, vote: int, comment: str = "") -> None:
        """The user's vote on the answer, replacing any earlier one of theirs on it."""
        who = user_hash(user_id)
        # What a member typed reaches an admin's terminal (`absatz gaps`): no escape codes.
        # Nor the separator the comments of one answer are read back with.
        comment = one_line(comment)
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM feedback WHERE message_id = ? AND user_hash = ?", (message_id, who))
            self._db.execute(
                "INSERT INTO feedback (message_id, vote, comment, user_hash, created) VALUES (?, ?, ?, ?, ?)",
                (message_id, vote, comment, who, time.time()),
            )

    def votes(self, guild_id: int) -> dict[str, int]:
        """The answers given in one server (0: in direct messages) and the votes on them."""
        with self._lock:
            rows = dict(
                self._db.execute(
                    "SELECT f.vote, COUNT(*) FROM feedback f JOIN answers a ON a.message_id = f.message_id "
                    "WHERE a.guild_id = ? GROUP BY f.vote",
                    (guild_id,),
                ).fetchall()
            )
            answers = self._db.execute("SELECT COUNT(*) FROM answers WHERE guild_id = ?", (guild_id,)).fetchone()[0]
        return {"answers": answers, "up": rows.get(1, 0), "down": rows.get(-1, 0)}

    def questions_since(self, since: float, guild_id: int | None = None) -> list[AskedQuestion]:
        """The questions asked since ``since`` (a timestamp), each with its votes and 👎 comments."""
        where, args = "a.created >= ?", [since]
        if guild_id is not None:
            where, args = where + " AND a.guild_id = ?", [since, guild_id]
        with self._lock:
            rows = self._db.execute(
                "SELECT a.question, a.abstained, a.created, a.channel_id, a.latency_ms, a.follows, "
                "COALESCE(SUM(f.vote = 1), 0), COALESCE(SUM(f.vote = -1), 0), "
                "json_group_array(f.comment) FILTER (WHERE f.vote = -1 AND f.comment != '') "
                f"FROM answers a LEFT JOIN feedback f ON f.message_id = a.message_id WHERE {where} "
                "GROUP BY a.message_id ORDER BY a.created",
                args,
            ).fetchall()
        return [
            AskedQuestion(
                q,
                bool(ab),
                created,
                channel,
                latency,
                up,
                down,
                _reasons(json.loads(comments)),
                follows,
            )
            for q, ab, created, channel, latency, follows, up, down, comments in rows
        ]

    def feedback_rows(self) -> list[dict[str, Any]]:
        with self._lock:
            cur = self._db.execute(
                "SELECT f.vote, f.comment, f.user_hash, f.created, a.question, a.follows, a.answer, a.citations "
                "FROM feedback f LEFT JOIN answers a ON a.message_id = f.message_id ORDER BY f.id"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def close(self) -> None:
        self._db.close()


def _reasons(comments: list[str]) -> tuple[str, ...]:
    """Comments as text: rows written before comments were cleaned on the way in may hold
    control characters, and one of nothing else is no reason at all."""
    return tuple(c for c in map(one_line, comments) if c)
