"""Who did what to the corpus, when, and how it went: admins' actions, kept in SQLite.

Entries hold ids, names and outcomes, never settings: nothing secret can end up here.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT ''
);
"""


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    target: str
    result: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "actor": self.actor, "action": self.action, "target": self.target, "result": self.result}


class AuditLog:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def record(self, actor: str, action: str, target: str = "", result: str = "") -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO audit (at, actor, action, target, result) VALUES (?, ?, ?, ?, ?)",
                (time.time(), actor, action, target[:500], result[:2000]),
            )

    def recent(self, limit: int = 20) -> list[AuditEntry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT at, actor, action, target, result FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
