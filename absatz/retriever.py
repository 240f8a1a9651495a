"""absatz as a LangChain retriever: ranked paragraphs as ``Document``s.

An application built on LangChain (its own chain, an agent's tool) gets what ``/search``
gets, each paragraph whole with what a citation needs in its metadata, from the same
store, filters and ranking as the bot. It answers nothing itself: that is ``Absatz.ask``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

if TYPE_CHECKING:
    from .api import Absatz


class AbsatzRetriever(BaseRetriever):
    """The ``k`` paragraphs ``Absatz.search`` ranks first, ``since``/``until`` as there
    (``YYYY-MM`` or ``YYYY-MM-DD``). A query without a word finds nothing, as it does there."""

    absatz: Any  # an Absatz; pydantic resolves annotations at run time, and api imports this module
    k: int = 5
    since: str | None = None
    until: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        core: Absatz = self.absatz
        matches = core.search(query, k=self.k, since=self.since, until=self.until)
        documents = []
        for hit in matches.hits:
            paragraph = core.source(hit.para_id).paragraph
            metadata = {
                "id": hit.para_id,
                "article_id": hit.article_id,
                "paragraph": hit.paragraph,
                "title": hit.title,
                "date": hit.date,
                "heading": hit.heading,
                "score": hit.score,
                "close": matches.close,  # whether an answer would cite the best of them
            }
            documents.append(Document(page_content=paragraph.text, metadata=metadata, id=hit.para_id))
        return documents
