"""Opening the bot's SQLite file (``BOT_DB``) for a record store.

It lives in the bottom layer so that the core's stores (``absatz.db``) and the live
corpus's feed registry (``ingest.live.registry``) open the file the same way, and a
``BOT_DB`` that cannot be one stops any command with one line naming the variable.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import RecordsUnusable


def open_db(path: Path, schema: str, added_later: Mapping[str, Iterable[str]] | None = None) -> sqlite3.Connection:
    """The SQLite file ``BOT_DB`` names, shared between threads, in WAL mode, with
    ``schema`` applied. Every record store opens it through here, so a file that cannot
    be one stops any command with one line naming the variable, not a traceback per store.

    ``added_later``: per table, the columns of ``schema`` that a file of an earlier
    version may lack, because its store adds them when it opens one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # data/ of a fresh checkout, the default's folder
        db = sqlite3.connect(
            str(path), check_same_thread=False, isolation_level=None, timeout=10, factory=_RecordsConnection
        )
        db.path = str(path)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(schema)
            foreign = _foreign_table(db, schema, added_later or {})
        except BaseException:
            db.close()
            raise
    except (OSError, sqlite3.Error) as exc:
        raise RecordsUnusable(f"BOT_DB={str(path)!r} {_unusable(path, exc)}") from None
    if foreign:
        db.close()
        raise RecordsUnusable(f"BOT_DB={str(path)!r} {foreign}; name a file of its own for absatz")
    return db


def _foreign_table(db: sqlite3.Connection, schema: str, added_later: Mapping[str, Iterable[str]]) -> str:
    """What makes a table of ``schema`` in the file another program's: ``CREATE TABLE IF
    NOT EXISTS`` leaves a table of the same name alone, and every query of it would then
    fail on a column it lacks, in whichever command touched it first."""
    wanted = sqlite3.connect(":memory:")
    try:
        wanted.executescript(schema)
        tables = [row[0] for row in wanted.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            if table.startswith("sqlite_"):
                continue
            need = _columns(wanted, table) - set(added_later.get(table, ()))
            missing = sorted(need - _columns(db, table))
            if missing:
                named = ", ".join(missing[:3]) + (", …" if len(missing) > 3 else "")
                return f"holds a table {table!r} of another program (without the column(s) {named})"
    finally:
        wanted.close()
    return ""


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


class _RecordsConnection(sqlite3.Connection):
    """A connection to ``BOT_DB`` whose failures of the file (another process's lock held
    past SQLite's wait, a full disk) are :class:`RecordsUnusable`, as failing to open it
    is: a member reads that the bot's records are unavailable, not "something went wrong",
    and whoever runs the bot reads the file's name."""

    path = ""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            raise self._unusable(exc) from exc

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as exc:
            raise self._unusable(exc) from exc

    def _unusable(self, exc: sqlite3.OperationalError) -> Exception:
        """The file's failure as :class:`RecordsUnusable`; a fault of the code's own SQL
        ("no such column") stays what it is, not blamed on the file."""
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF in _FILE_FAULTS:
            return RecordsUnusable(f"BOT_DB={self.path!r} cannot be used: {exc}")
        return exc


# SQLite's primary result codes that say the file cannot be used now, whatever was asked of it.
_FILE_FAULTS = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
    }
)


def _unusable(path: Path, exc: OSError | sqlite3.Error) -> str:
    """In words that say what to fix: SQLite's own ("unable to open database file",
    "file is not a database") do not tell a folder from a file of another kind."""
    if path.is_dir():
        return "is a folder, not a SQLite file"
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
        return "is not a SQLite file"
    if isinstance(exc, OSError):
        return f"cannot be created: {exc.strerror or exc}"
    return f"cannot be opened: {exc}"
