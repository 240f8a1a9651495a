"""Who did what to the corpus, when, and how it went: admins' actions, kept in SQLite.

Entries hold ids, names and outcomes, never settings: nothing secret can end up here.
An entry made in a server (a channel's scope, a refused command) carries its id, and a
server's admins see only their own entries beside those on the shared corpus (no server).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vectorstore.sqlite import open_db

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '',
    guild_id INTEGER
);
"""
# A file from before servers were recorded: its entries about one server (which, nobody
# knows) get server 0, shown in no server; its entries on the shared corpus stay for all.
UNPLACED = 0
SERVER_ACTIONS = ("scope set", "scope clear", "follow", "unfollow", "gaps")
# A member's own follows: in the operator's log, not the business of any server's admins.
PERSONAL_ACTIONS = frozenset({"follow", "unfollow"})


@dataclass(frozen=True)
class AuditEntry:
    at: float
    actor: str
    action: str
    target: str
    result: str
    guild_id: int | None = None  # None: the shared corpus, not one server's business

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "actor": self.actor, "action": self.action, "target": self.target, "result": self.result}


class AuditLog:
    def __init__(self, path: Path):
        self._db = open_db(path, SCHEMA, added_later={"audit": ["guild_id"]})
        if not self._has_guilds():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if not self._has_guilds():  # another process may have been first
                    self._db.execute("ALTER TABLE audit ADD COLUMN guild_id INTEGER")
                    marks = ", ".join("?" * len(SERVER_ACTIONS))
                    self._db.execute(
                        f"UPDATE audit SET guild_id = ? WHERE action IN ({marks}) "
                        "OR result LIKE 'refused: not an admin%'",
                        (UNPLACED, *SERVER_ACTIONS),
                    )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        self._lock = threading.Lock()

    def _has_guilds(self) -> bool:
        return "guild_id" in {row[1] for row in self._db.execute("PRAGMA table_info(audit)")}

    def record(self, actor: str, action: str, target: str = "", result: str = "", guild_id: int | None = None) -> None:
        """``guild_id``: the server the action was about; None for the shared corpus."""
        with self._lock:
            self._insert(actor, action, target, result, guild_id)

    def record_unless_repeated(self, actor: str, action: str, target: str = "", result: str = "") -> None:
        """An entry on the shared corpus, unless it is the file's newest entry again: for
        an actor that tries again by itself. A live ingest refused while another holds
        the store tries every few seconds: during a long rebuild its identical refusals
        had filled the log, and the five entries ``/stats`` shows the admins. (Two
        processes may both add one: a line twice, nothing lost.)"""
        entry = (actor, action, target[:500], result[:2000])
        with self._lock:
            newest = self._db.execute(
                "SELECT actor, action, target, result FROM audit ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if newest != entry:
                self._insert(actor, action, target, result, None)

    def _insert(self, actor: str, action: str, target: str, result: str, guild_id: int | None) -> None:
        self._db.execute(
            "INSERT INTO audit (at, actor, action, target, result, guild_id) VALUES (?, ?, ?, ?, ?, ?)",
            (time.time(), actor, action, target[:500], result[:2000], guild_id),
        )

    def recent(self, limit: int = 20) -> list[AuditEntry]:
        """Every server's entries, newest first: the operator's view (``absatz audit``)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, actor, action, target, result, guild_id FROM audit ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def visible_in(self, guild_id: int, limit: int = 20) -> list[AuditEntry]:
        """What a server's admins may see, newest first: its own entries and the shared
        corpus's, but no member's :data:`PERSONAL_ACTIONS`. Left out by the query, not
        after it: fifty follows of any server's members had pushed every admin action
        out of the entries read."""
        marks = ", ".join("?" * len(PERSONAL_ACTIONS))
        with self._lock:
            rows = self._db.execute(
                "SELECT at, actor, action, target, result, guild_id FROM audit "
                f"WHERE (guild_id IS NULL OR guild_id = ?) AND action NOT IN ({marks}) ORDER BY id DESC LIMIT ?",
                (guild_id, *sorted(PERSONAL_ACTIONS), limit),
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
