"""The bot's bridge to the index: opened once, CPU work off the event loop, bounded.

Embedding and ranking run in a thread pool so one slow question never stalls the
gateway; a semaphore bounds how many answers are computed at once, and the rest wait
their turn instead of piling threads onto two cores.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from vectorstore.dates import DateRange
from vectorstore.records import ArticleSummary, ParagraphView, citation_id, parse_citation_id
from vectorstore.search import Searcher, SearchResult
from vectorstore.store import UnknownCitation

from .answer import Answer, answer
from .llm import LLMAnswerer

T = TypeVar("T")


class AnswerService:
    def __init__(self, searcher: Searcher, max_concurrent: int = 4, llm: LLMAnswerer | None = None):
        self.searcher = searcher
        self.llm = llm
        self._titles_cache: tuple[str, dict[str, str] | None] = ("", None)
        self.store = searcher.store
        self._executor = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="absatz")
        self._slots = asyncio.Semaphore(max_concurrent)

    async def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def answer(self, question: str, history: Sequence[str] = (), k: int = 5, dates: DateRange | None = None,
                     on_text: Callable[[str], None] | None = None) -> Answer:
        return await self.run(answer, self.searcher, question, k=k, history=history, dates=dates, llm=self.llm,
                              on_text=on_text)

    async def search(self, query: str, k: int = 5, dates: DateRange | None = None) -> SearchResult:
        return await self.run(self.searcher.search, query, k, dates)

    async def related(self, article_id: str, k: int = 5):
        return await self.run(self.store.related, article_id, k)

    def _source(self, cid: str) -> tuple[ParagraphView, ParagraphView | None, ParagraphView | None]:
        article_id, n = parse_citation_id(cid)
        p = self.store.paragraph(cid)

        def neighbour(m: int) -> ParagraphView | None:
            try:
                return self.store.paragraph(citation_id(article_id, m)) if m >= 1 else None
            except UnknownCitation:
                return None

        return p, neighbour(n - 1), neighbour(n + 1)

    async def source(self, cid: str):
        """The paragraph and its neighbours; ValueError/UnknownCitation for bad ids."""
        return await self.run(self._source, cid)

    async def article(self, article_id: str) -> ArticleSummary:
        return await self.run(self.store.article, article_id)

    async def titles(self) -> dict[str, str]:
        """Article titles for autocomplete: read once per corpus version, not per keystroke."""
        return await self.run(self._titles)

    def _titles(self) -> dict[str, str]:
        version = self.searcher.view().index.version
        if self._titles_cache[0] != version or self._titles_cache[1] is None:
            self._titles_cache = (version, self.store.article_titles())
        return self._titles_cache[1]

    async def counts(self) -> dict[str, int]:
        return await self.run(self.store.counts)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
