"""Answers and votes in SQLite beside the index: what users thought of each answer.

Answers are recorded by message id when sent, so a 👎 clicked days later (after any
number of restarts) still knows which question, answer and citations it judges.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

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


def user_hash(user_id: int) -> str:
    """Feedback is attributable per user without storing who the user is."""
    return hashlib.sha256(f"absatz:{user_id}".encode()).hexdigest()[:16]


class FeedbackStore:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def record_answer(self, message_id: int, a: Answer) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                (message_id, a.question, a.answer, json.dumps([c.id for c in a.citations]), int(a.abstained), time.time()),
            )

    def record_vote(self, message_id: int, user_id: int, vote: int, comment: str = "") -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO feedback (message_id, vote, comment, user_hash, created) VALUES (?, ?, ?, ?, ?)",
                (message_id, vote, comment, user_hash(user_id), time.time()),
            )

    def votes(self) -> dict[str, int]:
        with self._lock:
            rows = dict(self._db.execute("SELECT vote, COUNT(*) FROM feedback GROUP BY vote").fetchall())
            answers = self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        return {"answers": answers, "up": rows.get(1, 0), "down": rows.get(-1, 0)}

    def feedback_rows(self) -> list[dict]:
        with self._lock:
            cur = self._db.execute(
                "SELECT f.vote, f.comment, f.user_hash, f.created, a.question, a.answer, a.citations "
                "FROM feedback f LEFT JOIN answers a ON a.message_id = f.message_id ORDER BY f.id"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def close(self) -> None:
        self._db.close()
