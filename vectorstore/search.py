"""Hybrid search: dense passages + dense sentences + BM25, fused into ranked paragraphs.

Scores are fused as normalised values, not ranks: reciprocal-rank fusion trusts BM25's
ranking even when it ranks noise (an English question over German text), while a
lexical weight scaled by how much of the question BM25 can see keeps its strength on
German questions and fades it on English ones.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

from .dates import DateRange, recency_order
from .embeddings import VectorEmbeddings, load_embedder
from .evidence import PASSAGE_POOL, PROBES, SENTENCE_POOL, margin, threshold_from
from .memory import release_freed_memory
from .readindex import ReadIndex
from .records import Hit, SentenceMatch, SentenceVector
from .settings import StoreSettings
from .store import Snapshot, Store

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
    # The abstention threshold of the same corpus version the hits come from.
    threshold: float = float("inf")
    index: ReadIndex | None = None

    def sentences(self, para_id: str) -> list[SentenceVector]:
        """Every sentence of a hit's paragraph, in order, with its vector."""
        vectors = self.index.vectors
        row = vectors.para_row(para_id)
        if row is None:
            return []
        rows = vectors.sentence_rows(np.asarray([row]))
        return [SentenceVector(int(vectors.s_index[r]), vectors.s_text[r], v)
                for r, v in zip(rows, vectors.sentence_vectors(rows))]



@dataclass(frozen=True)
class CorpusView:
    index: ReadIndex
    threshold: float | None = None

    @property
    def snapshot(self) -> Snapshot:
        return self.index.snapshot


def rank(index: ReadIndex, query: str, qvec: np.ndarray, k: int = 5, dates: DateRange | None = None,
         weights: FusionWeights = FusionWeights(), threshold: float = float("inf")) -> SearchResult:
    """Ranked paragraphs of ``index`` for ``query``: pure computation on the read index."""
    w, vec = weights, index.vectors
    if not len(vec):
        return SearchResult(query, [], qvec, 0.0, 0.0, threshold, index)
    allowed = None
    p_all = vec.passage_scores(qvec)
    n = min(PASSAGE_POOL, len(p_all))
    if dates is not None:
        passage_dates = vec.passage_dates()
        allowed = (passage_dates >= dates.since) & (passage_dates <= (dates.until or np.iinfo(np.int64).max))
        p_all = np.where(allowed, p_all, -np.inf)
        n = min(n, int(allowed.sum()))
    top = np.argpartition(-p_all, n - 1)[:n] if n else np.zeros(0, np.int64)
    top = top[np.argsort(-p_all[top])]
    lex_hits = index.lexical.search(query, PASSAGE_POOL, allowed)
    coverage = index.lexical.coverage(query)

    passage: dict[int, float] = {}
    passage_row: dict[int, int] = {}
    for row in top:
        para = int(vec.p_para[row])
        if para not in passage:  # rows come best first
            passage[para], passage_row[para] = float(p_all[row]), int(row)
    lexical: dict[int, float] = {}
    for row, score in lex_hits:
        para = int(vec.p_para[row])
        lexical[para] = max(lexical.get(para, 0.0), score)
    candidates = np.asarray(sorted(set(passage) | set(lexical)), dtype=np.int64)
    # Sentences are scored for the candidate paragraphs only: the strongest sentence of
    # a paragraph that neither its passages nor BM25 put forward rarely wins.
    counts = vec.sent_start[candidates + 1] - vec.sent_start[candidates]
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    s_rows = vec.sentence_rows(candidates)
    s_sims = vec.sentence_scores(s_rows, qvec)
    pool = min(SENTENCE_POOL, len(s_sims))
    best = np.sort(np.partition(s_sims, len(s_sims) - pool)[len(s_sims) - pool :])[::-1] if pool else s_sims
    evidence = margin(best.tolist(), p_all[top].tolist())
    has = counts > 0
    tops = np.maximum.reduceat(s_sims, offsets[:-1][has]) if has.any() else np.zeros(0)
    sentence = dict(zip(candidates[has].tolist(), tops.tolist()))
    span = {int(para): (int(offsets[i]), int(offsets[i + 1])) for i, para in enumerate(candidates)}
    candidates = candidates.tolist()
    if not candidates:
        return SearchResult(query, [], qvec, coverage, evidence, threshold, index)
    p_floor = min(passage.values()) if passage else 0.0
    s_floor = min(sentence.values()) if sentence else 0.0
    dense = {
        para: w.passage * passage.get(para, p_floor) + w.sentence * sentence.get(para, s_floor)
        for para in candidates
    }
    d_hi, d_lo = max(dense.values()), min(dense.values())
    l_hi = max(lexical.values()) if lexical else 0.0
    lex_weight = w.lexical * coverage
    fused = {}
    for para in candidates:
        d = (dense[para] - d_lo) / (d_hi - d_lo) if d_hi > d_lo else 1.0
        lx = lexical.get(para, 0.0) / l_hi if l_hi > 0 else 0.0
        fused[para] = (1 - lex_weight) * d + lex_weight * lx
    ranked = sorted(candidates, key=lambda para: -fused[para])[: max(k, 10)]
    hits = []
    for para in ranked:
        meta = vec.meta(para)
        best = passage_row.get(para)
        hits.append(
            Hit(
                para_id=meta["para_id"],
                article_id=meta["article_id"],
                paragraph=meta["paragraph"],
                score=fused[para],
                dense=dense[para],
                lexical=lexical.get(para, 0.0),
                meta=meta,
                passage=vec.p_text[best] if best is not None else "",
                sentences=_matches(vec, s_rows, s_sims, *span[para]),
            )
        )
    return SearchResult(query, recency_order(hits, query)[:k], qvec, coverage, evidence, threshold, index)


def _matches(vec, s_rows: np.ndarray, s_sims: np.ndarray, start: int, end: int) -> list[SentenceMatch]:
    """A ranked paragraph's sentences, best first (built for the few hits shown, not every candidate)."""
    order = start + np.argsort(-s_sims[start:end])
    return [SentenceMatch(vec.s_text[s_rows[i]], int(vec.s_index[s_rows[i]]), float(s_sims[i])) for i in order]


def calibrate(index: ReadIndex, embedder: VectorEmbeddings) -> float:
    """The abstention threshold for this index and embedder, from the off-topic probes."""
    return threshold_from([rank(index, q, embedder.embed_question(q)).evidence for q in PROBES])


class Searcher:
    """Opened once per process and shared: holds the embedder and the read index."""

    def __init__(self, store: Store, embedder: VectorEmbeddings, weights: FusionWeights = FusionWeights()):
        self.store = store
        self.embedder = embedder
        self.weights = weights
        self._view: CorpusView | None = None
        self._lock = threading.Lock()
        self._thresholds: dict[str, float] = {}
        store.check_embedder(embedder.name, embedder.dim)

    @classmethod
    def open(cls, settings: StoreSettings, embedder: VectorEmbeddings | None = None) -> Searcher:
        """Store, embedder and read index for ``settings``: what every process opens once."""
        embedder = embedder or load_embedder(settings.embedding_model, settings.embedding_device)
        return cls(Store(settings), embedder)

    # --- what readers see: one corpus version at a time -------------------------

    def view(self) -> CorpusView:
        """The read index of the current corpus version, refreshed when the version moves.

        One cheap metadata read per call; the index is loaded (or built, from the previous
        one) once per ingest, here or in another process, and shared by every question after it.
        """
        meta = self.store.meta
        version = meta.get("corpus_version", "")
        current = self._view
        if current is not None and current.index.version == version:
            return current
        with self._lock:
            if self._view is not None and self._view.index.version == version:
                return self._view
            directory = self.store.settings.read_index_dir
            saved = ReadIndex.load(directory) if directory else None
            if saved is not None and saved.version == version and saved.generation == meta.get("live", ""):
                index = saved
            else:
                index = ReadIndex.build(self.store, version, self._view.index if self._view else saved)
                index.save_quietly(directory)
            threshold = float(meta["abstain_threshold"]) if "abstain_threshold" in meta else None
            self._view = CorpusView(index, threshold)
            release_freed_memory()  # the previous version's index
            return self._view

    def _threshold_of(self, view: CorpusView) -> float:
        """Stored by the last ingest; computed here for stores built before it was."""
        if view.threshold is not None:
            return view.threshold
        version = view.index.version
        if version not in self._thresholds:
            self._thresholds[version] = calibrate(view.index, self.embedder) if len(view.index.vectors) else float("inf")
        return self._thresholds[version]

    # --- search ------------------------------------------------------------------

    def search(self, query: str, k: int = 5, dates: DateRange | None = None) -> SearchResult:
        """Ranked paragraphs for ``query``; ``dates`` filters before ranking."""
        view = self.view()
        qvec = self.embedder.embed_question(query)
        return rank(view.index, query, qvec, k, dates, self.weights, self._threshold_of(view))
