"""A transitional name, kept for two callers that are not yet moved: ``tests/test_live_e2e.py``
and ``bench/freshness.py`` (the live-corpus work).

``Store(settings)`` is a :class:`~vectorstore.chroma.Chroma` — what ``ingest_paths``
and ``Searcher`` take — plus the one lookup those callers use. New code uses ``Chroma``,
``Searcher`` and the read index (``searcher.view().index.article(id)``); this module goes
once those two have moved.
"""

from __future__ import annotations

from .chroma import Chroma
from .readindex import Reader
from .records import ArticleSummary


class Store(Chroma):
    def article(self, article_id: str) -> ArticleSummary:
        return Reader(self).view().index.article(article_id)
