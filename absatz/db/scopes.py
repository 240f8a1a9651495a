"""Channel scopes in SQLite (``BOT_DB``): set by admins, kept across restarts."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from vectorstore.sqlite import open_db

from ..scopes import Scope

SCHEMA = """
CREATE TABLE IF NOT EXISTS scopes (
    channel_id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    categories TEXT NOT NULL DEFAULT '[]',
    sources TEXT NOT NULL DEFAULT '[]',
    window_days INTEGER,
    since TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL DEFAULT 'mention',
    set_by TEXT NOT NULL DEFAULT '',
    set_at REAL NOT NULL
);
"""


class ScopeStore:
    def __init__(self, path: Path):
        self._db = open_db(path, SCHEMA)
        self._lock = threading.Lock()

    def set(self, guild_id: int, channel_id: int, scope: Scope, by: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO scopes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    channel_id,
                    guild_id,
                    json.dumps(scope.categories, ensure_ascii=False),
                    json.dumps(scope.sources, ensure_ascii=False),
                    scope.window_days,
                    scope.since,
                    scope.mode,
                    by,
                    time.time(),
                ),
            )

    def get(self, channel_id: int) -> Scope | None:
        with self._lock:
            row = self._db.execute(
                "SELECT categories, sources, window_days, since, mode FROM scopes WHERE channel_id = ?", (channel_id,)
            ).fetchone()
        if row is None:
            return None
        categories, sources, window, since, mode = row
        return Scope(tuple(json.loads(categories)), tuple(json.loads(sources)), window, since, mode)

    def clear(self, channel_id: int) -> bool:
        with self._lock:
            return self._db.execute("DELETE FROM scopes WHERE channel_id = ?", (channel_id,)).rowcount > 0

    def close(self) -> None:
        self._db.close()
