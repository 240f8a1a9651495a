"""Hybrid search: dense passages + dense sentences + BM25, fused into ranked paragraphs.

Scores are fused as normalised values, not ranks: reciprocal-rank fusion trusts BM25's
ranking even when it ranks noise (an English question over German text), while a
lexical weight scaled by how much of the question BM25 can see keeps its strength on
German questions and fades it on English ones.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .embeddings import VectorEmbeddings, load_embedder
from .evidence import PASSAGE_POOL, SENTENCE_POOL, calibrate, margin
from .lexical import LexicalIndex, tokenize
from .records import Hit, SentenceMatch
from .settings import StoreSettings
from .store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FusionWeights:
    """Measured on XQuAD-de (bench/retrieval.py); see the README's retrieval table."""

    passage: float = 0.3
    sentence: float = 0.7
    lexical: float = 0.35


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    query_vector: np.ndarray
    lexical_coverage: float = 0.0
    evidence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def top_dense(self) -> float:
        return self.hits[0].dense if self.hits else 0.0


def lexical_dir_for(settings: StoreSettings) -> Path | None:
    """Embedded stores keep BM25 beside Chroma; server mode rebuilds it per process
    unless LEXICAL_DIR names a folder (the server holds no files of ours)."""
    if settings.lexical_dir:
        return settings.lexical_dir / settings.collection
    if settings.chroma_host:
        return None
    return settings.chroma_path / "lexical" / settings.collection


class Searcher:
    """Opened once per process and shared: holds the embedder and the BM25 index."""

    def __init__(self, store: Store, embedder: VectorEmbeddings, lexical_dir: Path | None = None,
                 weights: FusionWeights = FusionWeights()):
        self.store = store
        self.embedder = embedder
        self.weights = weights
        self.lexical_dir = lexical_dir
        self._lexical: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._threshold: float | None = None
        store.check_embedder(embedder.name, embedder.dim)

    @classmethod
    def open(cls, settings: StoreSettings, embedder: VectorEmbeddings | None = None) -> Searcher:
        """Store, embedder and BM25 for ``settings``: what every process opens once."""
        embedder = embedder or load_embedder(settings.embedding_model, settings.embedding_device)
        return cls(Store(settings), embedder, lexical_dir_for(settings))

    # --- lexical index lifecycle -------------------------------------------------

    def lexical(self) -> LexicalIndex:
        version = self.store.meta.get("corpus_version", "")
        current = self._lexical
        if current is not None and current.version == version:
            return current
        with self._lock:
            if self._lexical is not None and self._lexical.version == version:
                return self._lexical
            index = LexicalIndex.load(self.lexical_dir) if self.lexical_dir else None
            if index is None or index.version != version:
                index = self.rebuild_lexical(version)
            self._lexical = index
            return index

    def rebuild_lexical(self, version: str | None = None) -> LexicalIndex:
        version = version if version is not None else self.store.meta.get("corpus_version", "")
        if self.store.exists:
            ids, docs, metas = self.store.all_passages()
        else:
            ids, docs, metas = [], [], []
        index = LexicalIndex.build(ids, docs, metas, version)
        if self.lexical_dir:
            try:
                index.save(self.lexical_dir)
            except OSError as exc:  # a read-only disk must not stop answering
                log.warning("could not persist the BM25 index to %s: %s", self.lexical_dir, exc)
        self._lexical = index
        return index

    @property
    def abstain_threshold(self) -> float:
        """Stored by the last ingest; computed here for stores built before it was."""
        meta = self.store.meta
        if "abstain_threshold" in meta:
            return float(meta["abstain_threshold"])
        if self._threshold is None:
            self._threshold = calibrate(self.store, self.embedder) if self.store.exists else float("inf")
        return self._threshold

    # --- search ------------------------------------------------------------------

    def search(self, query: str, k: int = 5, where: dict | None = None) -> SearchResult:
        w = self.weights
        qvec = self.embedder.embed_question(query)
        _, p_docs, p_metas, p_sims = self.store.query("passage", qvec, PASSAGE_POOL, where)
        _, s_docs, s_metas, s_sims = self.store.query("sentence", qvec, SENTENCE_POOL, where)
        evidence = margin(s_sims, p_sims)
        lex = self.lexical()
        lex_hits = lex.search(query, PASSAGE_POOL) if where is None else []
        q_tokens = tokenize(query)
        coverage = (
            sum(1 for t in q_tokens if lex._retriever is not None and t in lex._retriever.vocab_dict) / len(q_tokens)
            if q_tokens else 0.0
        )

        passage: dict[str, float] = {}
        passage_text: dict[str, str] = {}
        metas: dict[str, dict] = {}
        for doc, meta, sim in zip(p_docs, p_metas, p_sims):
            pid = meta["para_id"]
            if sim > passage.get(pid, -1.0):
                passage[pid], passage_text[pid] = sim, doc
            metas.setdefault(pid, meta)
        sentence: dict[str, float] = {}
        sentences: dict[str, list[SentenceMatch]] = {}
        for doc, meta, sim in zip(s_docs, s_metas, s_sims):
            pid = meta["para_id"]
            sentence[pid] = max(sentence.get(pid, -1.0), sim)
            sentences.setdefault(pid, []).append(SentenceMatch(doc, meta["index"], sim))
            metas.setdefault(pid, meta)
        lexical: dict[str, float] = {}
        for pid, score in lex_hits:
            lexical[pid] = max(lexical.get(pid, 0.0), score)

        candidates = set(passage) | set(sentence) | set(lexical)
        if not candidates:
            return SearchResult(query, [], qvec, coverage, evidence)
        p_floor = min(passage.values()) if passage else 0.0
        s_floor = min(sentence.values()) if sentence else 0.0
        dense = {
            pid: w.passage * passage.get(pid, p_floor) + w.sentence * sentence.get(pid, s_floor)
            for pid in candidates
        }
        d_hi, d_lo = max(dense.values()), min(dense.values())
        l_hi = max(lexical.values()) if lexical else 0.0
        lex_weight = w.lexical * coverage
        fused = {}
        for pid in candidates:
            d = (dense[pid] - d_lo) / (d_hi - d_lo) if d_hi > d_lo else 1.0
            lx = lexical.get(pid, 0.0) / l_hi if l_hi > 0 else 0.0
            fused[pid] = (1 - lex_weight) * d + lex_weight * lx
        ranked = sorted(candidates, key=lambda pid: -fused[pid])[:k]
        missing = [pid for pid in ranked if pid not in metas]
        if missing:
            for pid, rows in self.store.sentences_of(missing).items():
                metas[pid] = rows[0][2]
        hits = []
        for pid in ranked:
            meta = metas.get(pid)
            if meta is None:  # deleted between the two reads
                continue
            hits.append(
                Hit(
                    para_id=pid,
                    article_id=meta["article_id"],
                    paragraph=int(meta["paragraph"]),
                    score=fused[pid],
                    dense=dense[pid],
                    lexical=lexical.get(pid, 0.0),
                    meta=meta,
                    passage=passage_text.get(pid, ""),
                    sentences=sorted(sentences.get(pid, []), key=lambda s: -s.score),
                )
            )
        return SearchResult(query, hits, qvec, coverage, evidence)
