"""BM25 over the stored passages, German-stemmed: derived from Chroma, never the truth.

Document ``i`` is passage row ``i`` of the :class:`~vectorstore.vectors.VectorIndex` it
is built with; the two are saved, loaded and replaced together (:mod:`.readindex`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

import bm25s
import numpy as np

from .text import tokenize

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG


def index_text(document: str, meta: Mapping[str, str]) -> str:
    return "\n".join(x for x in (meta.get("title", ""), meta.get("heading", ""), document) if x)


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25 | None):
        self._retriever = retriever

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        if not texts:
            return cls(None)
        retriever = bm25s.BM25()
        retriever.index([tokenize(t) for t in texts], show_progress=False)
        return cls(retriever)

    def coverage(self, query: str) -> float:
        """Share of the query's terms that occur in the corpus at all: how much BM25 can see."""
        tokens = tokenize(query)
        if not tokens or self._retriever is None:
            return 0.0
        return sum(1 for t in tokens if t in self._retriever.vocab_dict) / len(tokens)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a stemmed term (0 for an unknown one): how
        much sharing it says about two texts. Answer selection weighs question words by it."""
        if self._retriever is None or term not in self._retriever.vocab_dict:
            return 0.0
        scores = self._retriever.scores
        column = self._retriever.vocab_dict[term]
        df = int(scores["indptr"][column + 1] - scores["indptr"][column])
        n = int(scores["num_docs"])
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``k`` passage rows as (row, BM25 score), strongest first; ``allowed`` masks rows."""
        if self._retriever is None:
            return []
        tokens = [t for t in tokenize(query) if t in self._retriever.vocab_dict]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, directory: Path) -> None:
        if self._retriever is not None:
            self._retriever.save(str(directory / "bm25"), show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        path = directory / "bm25"
        return cls(bm25s.BM25.load(str(path), mmap=True, show_progress=False) if path.exists() else None)
