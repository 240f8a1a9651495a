"""Watching the corpus folder: batches of article files that appeared, changed or went.

File events come from ``watchfiles``; a file is reported only once it has been quiet
(no event, same size and modification time) for ``quiet_s``, so a file that is still
being written is read once, complete, instead of once per write. Hidden folders (the
trash, temp files of uploads and of the feed poller) and files that are not articles
are ignored. The watcher only reports; the caller runs the ingest.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, awatch

from ingest.sources import SUFFIXES

ADDED, MODIFIED, DELETED = "added", "modified", "deleted"
_KIND = {Change.added: ADDED, Change.modified: MODIFIED, Change.deleted: DELETED}


@dataclass(frozen=True)
class FileChange:
    path: Path
    kind: str  # added, modified or deleted


@dataclass(frozen=True)
class Batch:
    changes: tuple[FileChange, ...]

    @property
    def changed(self) -> list[Path]:
        """Files that exist now (new or changed)."""
        return [c.path for c in self.changes if c.kind != DELETED]

    @property
    def deleted(self) -> list[Path]:
        return [c.path for c in self.changes if c.kind == DELETED]

    def ingest_targets(self) -> list[Path]:
        """What to hand to the ingest: changed files, and for a deleted file its folder
        (the ingest removes an article whose file is gone only when it reads the folder
        that held it; a missing path on its own would count as a failed file)."""
        targets: list[Path] = []
        for path in self.changed:
            if path not in targets:
                targets.append(path)
        for path in self.deleted:
            folder = path.parent
            while not folder.exists() and folder != folder.parent:
                folder = folder.parent
            if folder not in targets:
                targets.append(folder)
        # a folder already covers the files inside it
        return [t for t in targets if not any(o != t and o.is_dir() and t.is_relative_to(o) for o in targets)]


def is_article_path(path: Path, root: Path) -> bool:
    """An article file (.txt, .md, .jsonl) outside hidden folders, not a temp file."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    if any(part.startswith((".", "#")) for part in rel.parts):
        return False
    name = path.name
    if name.endswith("~"):
        return False
    return path.suffix.lower() in SUFFIXES


class ArticleFilter:
    """The ``watch_filter`` for ``watchfiles``: article files, and folders (a folder moved
    in or out holds articles, and arrives as one event).

    A path that is gone cannot be asked whether it was a folder, so the folders are
    remembered: ``archiv.2024`` moved out is a folder, not a file of a kind not read."""

    def __init__(self, root: Path):
        """Walks the corpus's folders: build it off the event loop (:func:`watch_corpus` does)."""
        self.root = Path(root)
        self._folders: set[Path] = set()
        for dirpath, dirnames, _ in os.walk(self.root):
            dirnames[:] = [d for d in dirnames if not d.startswith((".", "#"))]
            self._folders.update(Path(dirpath, d) for d in dirnames)

    def __call__(self, change: Change, path: str) -> bool:
        p = Path(path)
        if is_article_path(p, self.root):
            return True
        try:
            rel = p.relative_to(self.root)
        except ValueError:
            return False
        if not rel.parts or any(part.startswith((".", "#")) for part in rel.parts):
            return False
        if change == Change.deleted:
            known = p in self._folders
            self._folders.discard(p)
            return p.suffix == "" or known
        if p.is_dir():
            self._folders.add(p)
            return True
        return False


@dataclass
class _Pending:
    first_kind: str
    last_event: float
    stat: tuple[int, int] | None
    stable_since: float


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class Quiet:
    """Pure bookkeeping of pending paths: which ones have been quiet long enough.

    Separate from the event source so the rules are tested with a fake clock.
    """

    def __init__(self, root: Path, quiet_s: float):
        self.root = Path(root)
        self.quiet_s = quiet_s
        self.pending: dict[Path, _Pending] = {}

    def event(self, path: Path, kind: str, now: float) -> None:
        entry = self.pending.get(path)
        if entry is None:
            self.pending[path] = _Pending(kind, now, _stat(path), now)
        else:
            entry.last_event = now

    def ready(self, now: float) -> list[FileChange]:
        """Release every path that has been quiet for ``quiet_s``: its final kind follows
        from whether it exists now (added then deleted → nothing to report)."""
        out: list[FileChange] = []
        for path, entry in list(self.pending.items()):
            current = _stat(path)
            if current != entry.stat:
                entry.stat = current
                entry.stable_since = now
            if now - max(entry.last_event, entry.stable_since) < self.quiet_s:
                continue
            del self.pending[path]
            if current is None:
                if entry.first_kind != ADDED:
                    out.append(FileChange(path, DELETED))
            elif path.is_dir():
                out.extend(
                    FileChange(p, ADDED)
                    for p in sorted(path.rglob("*"))
                    if p.is_file() and is_article_path(p, self.root)
                )
            else:
                out.append(FileChange(path, ADDED if entry.first_kind == ADDED else MODIFIED))
        return out


async def watch_corpus(
    root: Path,
    stop_event: asyncio.Event,
    *,
    quiet_s: float = 1.0,
    tick_s: float = 0.2,
    force_polling: bool | None = None,
    ready: asyncio.Event | None = None,
) -> AsyncIterator[Batch]:
    """Batches of changed article files under ``root`` until ``stop_event`` is set.

    ``ready`` is set once the watcher is in place: changes before that are not seen.
    """
    root = Path(root).resolve()
    quiet = Quiet(root, quiet_s)
    tick_ms = max(10, int(tick_s * 1000))
    async for changes in awatch(
        root,
        watch_filter=await asyncio.to_thread(ArticleFilter, root),
        stop_event=stop_event,
        debounce=max(tick_ms, 400),
        step=50,
        rust_timeout=tick_ms,
        yield_on_timeout=True,
        force_polling=force_polling,
        poll_delay_ms=tick_ms,
    ):
        if ready is not None and not ready.is_set():
            ready.set()
        now = time.monotonic()
        for change, raw in changes:
            quiet.event(Path(raw), _KIND[change], now)
        released = quiet.ready(now)
        if released:
            yield Batch(tuple(released))
