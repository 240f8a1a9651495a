"""The one error tree: everything absatz raises for people to read derives from
:class:`AbsatzError`.

It lives in the bottom layer so that every layer (vectorstore, ingest, the core) raises
from it. Messages are worded for people and free of any front end's syntax (no CLI
flags, no Discord markup); each front end maps the tree once — the CLI to one line and
an exit status, Discord to an ephemeral message in the user's language, which it finds
by ``key`` and ``params`` in the core's text table (``absatz.texts``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class AbsatzError(Exception):
    """An error a person can act on; ``str()`` is the English message."""

    key: str = ""

    def __init__(self, message: str, **params: Any):
        super().__init__(message)
        self.params = params

    def __reduce__(self) -> tuple[Callable[..., AbsatzError], tuple[type[AbsatzError], str, dict[str, Any]]]:
        # crosses from the ingest process to its parent intact
        return _rebuild, (type(self), str(self), self.params)


def _rebuild(cls: type[AbsatzError], message: str, params: dict[str, Any]) -> AbsatzError:
    error = cls.__new__(cls)
    AbsatzError.__init__(error, message, **params)
    error.__dict__.update(params)  # subclasses keep their fields as attributes of these names
    return error


class SettingsError(AbsatzError):
    """A setting has a value that cannot be used; the message names the variable."""


class RecordsUnusable(SettingsError):
    """``BOT_DB`` cannot be opened as the bot's record file (locked past SQLite's wait by
    another process, a folder, not SQLite). The message names the file for whoever runs
    the bot; a Discord member reads only that the bot's records are unavailable, not
    where the server keeps its files."""

    key = "records_unusable"


class StoreError(AbsatzError):
    """The store cannot be used as asked; the message says what to do."""


class NoIndex(StoreError):
    """Nothing has been ingested at this location yet."""

    key = "no_index"

    @classmethod
    def at(cls, location: str) -> NoIndex:
        return cls(f"no index at {location}: ingest articles first", location=location)


class EmbedderMismatch(StoreError):
    pass


class StoreUnavailable(StoreError):
    """The Chroma server cannot be reached (server mode)."""

    key = "unavailable"


class StoreWriteError(StoreError):
    """The disk refused a write (full, read-only, too large)."""


class IngestCrashed(StoreError):
    """The ingest process ended without a result."""


class EmbedderError(AbsatzError):
    """The embedding model cannot be loaded. ``reason`` says why without naming where
    the model's name came from (``EMBEDDING_MODEL``, or an export being imported)."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message, reason=reason or message)
        self.reason = reason or message


class UnknownCitation(AbsatzError):
    """No paragraph or article with this id in the corpus."""

    key = "unknown_source"

    def __init__(self, cid: str):
        super().__init__(f"no paragraph or article {cid!r} in the corpus", id=cid)


class BadCitationId(AbsatzError):
    key = "bad_citation_id"

    def __init__(self, value: str):
        super().__init__(f"{value!r} is not a citation id like 000_a05d8c91f093345a#2", value=value)


class BadDate(AbsatzError):
    """A date bound is not a date, or the period is empty."""

    key = "bad_date"

    def __init__(self, value: str):
        super().__init__(f"{value!r} is not a date like 2023-09 or 2023-09-14", value=value)


class EmptyPeriod(AbsatzError):
    key = "empty_period"

    def __init__(self, since: str, until: str):
        super().__init__(f"the period starts ({since}) after it ends ({until})", since=since, until=until)
