"""BM25 over the stored passages, German-stemmed: derived from Chroma, never the truth.

The index is tagged with the store's ``corpus_version`` and holds the committed article
hashes it was built from; a reader that finds another version (an ingest happened,
here or in another process) rebuilds it from the store.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import threading
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from .dates import DateRange

log = logging.getLogger(__name__)
logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_stemmer = Stemmer.Stemmer("german")
_stemmer_lock = threading.Lock()
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_GERMAN) | frozenset(bm25s.stopwords.STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-case words, German stop words dropped, Snowball-stemmed."""
    words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOPWORDS]
    with _stemmer_lock:  # PyStemmer objects are not thread-safe
        return _stemmer.stemWords(words)


def index_text(document: str, meta: dict) -> str:
    return "\n".join(x for x in (meta.get("title", ""), meta.get("heading", ""), document) if x)


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25 | None, para_ids: list[str], version: str, hashes: dict[str, str],
                 dates: list[int] | None = None):
        self._retriever = retriever
        self.para_ids = para_ids
        self.version = version
        self.hashes = hashes
        self.dates = np.asarray(dates if dates is not None else [0] * len(para_ids), dtype=np.int64)

    @classmethod
    def build(cls, documents: list[str], metas: list[dict], version: str, hashes: dict[str, str]) -> LexicalIndex:
        if not documents:
            return cls(None, [], version, hashes)
        corpus = [tokenize(index_text(d, m)) for d, m in zip(documents, metas)]
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        return cls(retriever, [m["para_id"] for m in metas], version, hashes,
                   [int(m.get("date_num", 0) or 0) for m in metas])

    def coverage(self, query: str) -> float:
        """Share of the query's terms that occur in the corpus at all: how much BM25 can see."""
        tokens = tokenize(query)
        if not tokens or self._retriever is None:
            return 0.0
        return sum(1 for t in tokens if t in self._retriever.vocab_dict) / len(tokens)

    def search(self, query: str, k: int, dates: DateRange | None = None) -> list[tuple[str, float]]:
        """Best ``k`` passages as (paragraph id, BM25 score), strongest first."""
        if self._retriever is None:
            return []
        tokens = [t for t in tokenize(query) if t in self._retriever.vocab_dict]
        if not tokens:
            return []
        scores = self._retriever.get_scores(tokens)
        if dates is not None:
            lo, hi = dates.since, dates.until or np.iinfo(np.int64).max
            scores = np.where((self.dates >= lo) & (self.dates <= hi), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.para_ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def save(self, directory: Path) -> None:
        """Write to a temporary folder and rename, so a reader never sees half an index."""
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=directory.parent, prefix=".lexical-"))
        try:
            if self._retriever is not None:
                self._retriever.save(str(tmp / "bm25"))
            (tmp / "meta.json").write_text(json.dumps(
                {"version": self.version, "para_ids": self.para_ids, "hashes": self.hashes, "dates": self.dates.tolist()}
            ))
            old = directory.with_name(directory.name + ".old")
            if directory.exists():
                shutil.rmtree(old, ignore_errors=True)
                directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        try:
            meta = json.loads((directory / "meta.json").read_text())
            retriever = bm25s.BM25.load(str(directory / "bm25")) if meta["para_ids"] else None
        except (OSError, ValueError, KeyError):
            return None
        return cls(retriever, meta["para_ids"], meta["version"], meta.get("hashes", {}), meta.get("dates"))
