"""The async twin of :class:`~absatz.api.Absatz`, for an event loop (the Discord bot).

Embedding and ranking run in a thread pool so one slow question never stalls the loop;
a semaphore bounds how many answers are computed at once, and the rest wait their turn
instead of piling threads onto two cores. Ingests wait in a thread of their own on a
child process (:mod:`absatz.isolated`), so questions go on being answered meanwhile.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO, TypeVar

from ingest.pipeline import IngestReport, Progress
from vectorstore.errors import AbsatzError
from vectorstore.records import ArticleSummary

from .answer import Answer
from .api import Absatz, Matches, SourceView, Stats
from .corpus import Removal, Upload
from .scopes import Scope

T = TypeVar("T")
LOOKUP_THREADS = 2
RECORD_THREADS = 2


class AsyncAbsatz:
    def __init__(self, core: Absatz, max_concurrent: int = 4):
        self.core = core
        self._executor = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="absatz")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="absatz-ingest")
        self._lookups = ThreadPoolExecutor(max_workers=LOOKUP_THREADS, thread_name_prefix="absatz-lookup")
        self._records = ThreadPoolExecutor(max_workers=RECORD_THREADS, thread_name_prefix="absatz-records")
        self._slots = asyncio.Semaphore(max_concurrent)
        self._closed = False

    async def __aenter__(self) -> AsyncAbsatz:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    async def _in(self, pool: ThreadPoolExecutor, fn: Callable[[], T]) -> T:
        if self._closed:  # the pools' own error ("cannot schedule new futures after shutdown") says nothing
            raise AbsatzError("this AsyncAbsatz was closed: open another")
        return await asyncio.get_running_loop().run_in_executor(pool, fn)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn`` in the reader pool, at most ``max_concurrent`` at a time."""
        async with self._slots:
            return await self._in(self._executor, functools.partial(fn, *args, **kwargs))

    async def lookup(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A quick read of the store that a click or command waits on (a source, an
        article, titles for autocomplete): in threads of its own, never queued behind
        answers, which may hold every slot for seconds while Discord wants a reply within three."""
        return await self._in(self._lookups, functools.partial(fn, *args, **kwargs))

    async def record(self, fn: Callable[[Absatz], T]) -> T:
        """Bookkeeping in ``BOT_DB`` (a vote, a channel's scope, an answer's record): in
        threads of its own, since a hung Chroma server holds the lookup threads for its
        whole timeout, and a 👍 needs nothing of it. ``fn`` is handed the core, so that
        opening a record store, which waits for another process's lock on ``BOT_DB`` as a
        write does, happens in these threads too, never on the event loop."""
        return await self._in(self._records, functools.partial(fn, self.core))

    async def _write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Corpus changes: one at a time, never holding a reader's slot."""
        return await self._in(self._writer, functools.partial(fn, *args, **kwargs))

    async def ask(
        self,
        question: str,
        *,
        history: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        scope: Scope | None = None,
        k: int = 5,
        on_text: Callable[[str], None] | None = None,
        reader: str = "de",
        title: str = "",
    ) -> Answer:
        return await self.run(
            self.core.ask,
            question,
            history=history,
            since=since,
            until=until,
            scope=scope,
            k=k,
            on_text=on_text,
            reader=reader,
            title=title,
        )

    async def search(
        self, query: str, *, k: int = 5, since: str | None = None, until: str | None = None, scope: Scope | None = None
    ) -> Matches:
        return await self.run(self.core.search, query, k=k, since=since, until=until, scope=scope)

    async def source(self, cid: str) -> SourceView:
        return await self.lookup(self.core.source, cid)

    async def article(self, article_id: str) -> ArticleSummary:
        return await self.lookup(self.core.article, article_id)

    async def related(self, article_id: str, k: int = 5) -> list[ArticleSummary]:
        return await self.lookup(self.core.related, article_id, k)

    async def titles(self) -> dict[str, str]:
        return await self.lookup(self.core.titles)

    async def stats(self) -> Stats:
        return await self.run(self.core.stats)

    async def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        actor: str,
        action: str = "ingest",
        progress: Progress | None = None,
    ) -> IngestReport:
        """In a child process; ``progress`` is called from the waiting thread."""
        return await self._write(self.core.ingest, paths, actor=actor, action=action, progress=progress, isolated=True)

    async def upload(
        self, name: str, data: bytes | str, *, actor: str, on_written: Callable[[Path], None] | None = None
    ) -> Upload:
        return await self._write(self.core.upload, name, data, actor=actor, isolated=True, on_written=on_written)

    async def remove(self, article_id: str, *, actor: str) -> Removal:
        return await self._write(self.core.remove, article_id, actor=actor)

    async def export(self, out: TextIO) -> dict[str, int]:
        return await self._write(self.core.export, out)

    async def import_(self, path: str | os.PathLike[str], *, actor: str, replace: bool = False) -> dict[str, int]:
        return await self._write(self.core.import_, path, actor=actor, replace=replace)

    def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._writer.shutdown(wait=False, cancel_futures=True)
        self._lookups.shutdown(wait=False, cancel_futures=True)
        self._records.shutdown(wait=False, cancel_futures=True)
        self.core.close()
