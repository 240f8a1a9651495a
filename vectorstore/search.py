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
from pathlib import Path

import numpy as np

from .dates import DateRange, recency_order
from .embeddings import VectorEmbeddings, load_embedder
from .evidence import PASSAGE_POOL, SENTENCE_POOL, calibrate, margin
from .lexical import LexicalIndex
from .records import Hit, SentenceMatch
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
    snapshot: Snapshot = Snapshot("", {})
    # The abstention threshold of the same corpus version the hits come from.
    threshold: float = float("inf")


def lexical_dir_for(settings: StoreSettings) -> Path | None:
    """Embedded stores keep BM25 beside Chroma; server mode rebuilds it per process
    unless LEXICAL_DIR names a folder (the server holds no files of ours)."""
    if settings.lexical_dir:
        return settings.lexical_dir / settings.collection
    if settings.chroma_host:
        return None
    return settings.chroma_path / "lexical" / settings.collection


@dataclass(frozen=True)
class CorpusView:
    snapshot: Snapshot
    lexical: LexicalIndex
    threshold: float | None = None

    def visible(self, result) -> tuple[list[str], list[dict], list[float]]:
        """Drop records of article versions this snapshot does not show."""
        _, docs, metas, sims = result
        keep = [i for i, m in enumerate(metas) if self.snapshot.valid(m)]
        return [docs[i] for i in keep], [metas[i] for i in keep], [sims[i] for i in keep]


class Searcher:
    """Opened once per process and shared: holds the embedder and the BM25 index."""

    def __init__(self, store: Store, embedder: VectorEmbeddings, lexical_dir: Path | None = None,
                 weights: FusionWeights = FusionWeights()):
        self.store = store
        self.embedder = embedder
        self.weights = weights
        self.lexical_dir = lexical_dir
        self._view: CorpusView | None = None
        self._lock = threading.Lock()
        self._threshold: float | None = None
        store.check_embedder(embedder.name, embedder.dim)

    @classmethod
    def open(cls, settings: StoreSettings, embedder: VectorEmbeddings | None = None) -> Searcher:
        """Store, embedder and BM25 for ``settings``: what every process opens once."""
        embedder = embedder or load_embedder(settings.embedding_model, settings.embedding_device)
        return cls(Store(settings), embedder, lexical_dir_for(settings))

    # --- what readers see: one corpus version at a time -------------------------

    def view(self) -> CorpusView:
        """The committed snapshot and its BM25 index, refreshed when the version moves.

        One cheap metadata read per call; a rebuild happens once per ingest, here or in
        another process, and is shared by every question after it.
        """
        meta = self.store.meta
        version = meta.get("corpus_version", "")
        current = self._view
        if current is not None and current.snapshot.version == version:
            return current
        with self._lock:
            if self._view is not None and self._view.snapshot.version == version:
                return self._view
            index = LexicalIndex.load(self.lexical_dir) if self.lexical_dir else None
            if index is None or index.version != version:
                index = self.rebuild_lexical()
            threshold = float(meta["abstain_threshold"]) if "abstain_threshold" in meta else None
            self._view = CorpusView(Snapshot(index.version, index.hashes), index, threshold)
            return self._view

    def lexical(self) -> LexicalIndex:
        return self.view().lexical

    def rebuild_lexical(self) -> LexicalIndex:
        if self.store.exists:
            snapshot = self.store.snapshot()
            _, docs, metas = self.store.all_passages(snapshot)
        else:
            snapshot, docs, metas = Snapshot("", {}), [], []
        index = LexicalIndex.build(docs, metas, snapshot.version, dict(snapshot.hashes))
        if self.lexical_dir:
            try:
                index.save(self.lexical_dir)
            except OSError as exc:  # a read-only disk must not stop answering
                log.warning("could not persist the BM25 index to %s: %s", self.lexical_dir, exc)
        return index

    def _threshold_of(self, view: CorpusView) -> float:
        """Stored by the last ingest; computed here for stores built before it was."""
        if view.threshold is not None:
            return view.threshold
        if self._threshold is None:
            self._threshold = calibrate(self.store, self.embedder) if self.store.exists else float("inf")
        return self._threshold

    # --- search ------------------------------------------------------------------

    def search(self, query: str, k: int = 5, dates: DateRange | None = None) -> SearchResult:
        """Ranked paragraphs for ``query``; ``dates`` filters inside the store, before ranking."""
        w = self.weights
        view = self.view()
        qvec = self.embedder.embed_question(query)
        where = dates.where() if dates else None
        p_docs, p_metas, p_sims = view.visible(self.store.query("passage", qvec, PASSAGE_POOL, where))
        s_docs, s_metas, s_sims = view.visible(self.store.query("sentence", qvec, SENTENCE_POOL, where))
        evidence = margin(s_sims, p_sims)
        lex_hits = view.lexical.search(query, PASSAGE_POOL, dates)
        coverage = view.lexical.coverage(query)

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
            return SearchResult(query, [], qvec, coverage, evidence, view.snapshot, self._threshold_of(view))
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
        ranked = sorted(candidates, key=lambda pid: -fused[pid])[: max(k, 10)]
        missing = [pid for pid in ranked if pid not in metas]
        if missing:
            for pid, rows in self.store.sentences_of(missing, view.snapshot).items():
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
        return SearchResult(query, recency_order(hits, query)[:k], qvec, coverage, evidence, view.snapshot,
                            self._threshold_of(view))
