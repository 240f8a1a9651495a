"""Hybrid search: dense passages + dense sentences + BM25, fused into ranked paragraphs.

Scores are fused as normalised values, not ranks: reciprocal-rank fusion trusts BM25's
ranking even when it ranks noise (an English question over German text), while a
lexical weight scaled by how much of the question BM25 can see keeps its strength on
German questions and fades it on English ones.

:func:`rank` runs the steps in order, each a function of the read index alone: the
candidate paragraphs that passage vectors (:func:`passage_candidates`) and BM25
(:func:`lexical_candidates`) put forward within the filter, the sentence scores of those
candidates only (:func:`sentence_scores`), the fusion (:func:`fuse`), and the hits.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .chroma import Chroma
from .dates import recency_order
from .embeddings import VectorEmbeddings, load_embedder
from .evidence import (
    PASSAGE_POOL,
    PASSAGE_SKIP,
    PROBES,
    SENTENCE_POOL,
    article_gap,
    margin,
    pool_margin,
    threshold_from,
)
from .filters import Filter
from .generations import Generations
from .readindex import CorpusView, Reader, ReadIndex
from .records import Hit, SentenceMatch, SentenceVector
from .settings import StoreSettings
from .vectors import VectorIndex

log = logging.getLogger(__name__)

# (question, the embedder's vector of it) → another vector to order its hits by, or None
# to keep the embedder's order: absatz's English query tower (absatz/query_tower.py).
OrderBy = Callable[[str, np.ndarray], np.ndarray | None]


@dataclass(frozen=True)
class FusionWeights:
    """Measured on XQuAD-de (bench/retrieval.py); see the README's retrieval table."""

    passage: float = 0.3
    sentence: float = 0.7
    lexical: float = 0.35


@dataclass(frozen=True)
class Background:
    """How the best passages stand out from the rest of a search of the whole corpus:
    what the answerability gate (absatz/answerability.py) reads beside the margin."""

    passage_margin: float  # the passage half of the margin
    article_gap: float  # the best article's best passage against the next four articles'


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    query_vector: np.ndarray
    evidence: float = 0.0
    # The abstention threshold of the same corpus version the hits come from.
    threshold: float = float("inf")
    index: ReadIndex | None = None
    # None for a search narrowed to a slice: a slice has no background of its own.
    background: Background | None = None
    embedder: str = ""  # the model that embedded the query: the gate's weights fit one
    # What ordered the hits when it was not ``query_vector`` (absatz's English query
    # tower). Evidence, threshold and background are ``query_vector``'s (the threshold was
    # calibrated through the embedder's vectors), except a follow-up's: there they are the
    # whole conversation's search (``absatz.conversation.follow_up_result``).
    order_vector: np.ndarray | None = None

    @property
    def ranking_vector(self) -> np.ndarray:
        """The question vector the hits were ordered by."""
        return self.query_vector if self.order_vector is None else self.order_vector

    def sentences(self, para_id: str) -> list[SentenceVector]:
        """Every sentence of a hit's paragraph, in order, with its vector."""
        if self.index is None:
            return []
        vectors = self.index.vectors
        row = vectors.para_row(para_id)
        if row is None:
            return []
        rows = vectors.sentence_rows(np.asarray([row]))
        return [
            SentenceVector(int(vectors.s_index[r]), vectors.s_text[r], v)
            for r, v in zip(rows, vectors.sentence_vectors(rows), strict=True)
        ]


@dataclass(frozen=True)
class PassageCandidates:
    """The passages nearest the question, as paragraphs: each one's best passage."""

    best: dict[int, float]  # paragraph row → similarity of its best passage in the pool
    row: dict[int, int]  # paragraph row → that passage's row
    pool: list[float]  # the pool's similarities, best first: the evidence's background
    articles: list[int]  # the article row of each passage in the pool


# How much deeper at most a search crowded by copies of one passage looks (:func:`passage_candidates`).
CROWDED_DEPTH = 64
# A passage one article holds this often is boilerplate ("Abonnieren Sie unseren
# Newsletter …" repeated down an imprint page), not news. Across articles a text repeats
# when a report is published again, by several outlets, or ingested under other ids:
# that is news, listed once (:func:`rank`).
BOILERPLATE_COPIES = 3


@dataclass(frozen=True)
class Found:
    """Passage rows a search found, best first, each with its paragraph row, its article
    row and its text, read once; ``kept`` leaves out the boilerplate: a text that one
    article holds ``BOILERPLATE_COPIES`` times or more under one heading. An article's
    rows pass a filter together, so a search narrowed to a period or a channel's slice
    judges them alike; a text repeated under other headings is sections that read the
    same ("Das Spiel wurde abgesagt.")."""

    rows: list[int]
    paras: list[int]
    articles: list[int]
    texts: list[str]
    kept: list[bool]

    @classmethod
    def of(cls, vec: VectorIndex, rows: list[int]) -> Found:
        at = np.asarray(rows, np.int64)
        paras = vec.p_para[at].tolist() if rows else []
        articles = vec.para_article[np.asarray(paras, np.int64)].tolist() if rows else []
        texts = [vec.p_text[r] for r in rows]
        copies = Counter(zip(articles, texts, strict=True))
        # headings are read only where an article repeats a text often enough to matter
        keys = [
            (a, vec.para_heading[p] if copies[a, t] >= BOILERPLATE_COPIES else "", t)
            for a, p, t in zip(articles, paras, texts, strict=True)
        ]
        headed = Counter(keys)
        return cls(rows, paras, articles, texts, [headed[k] < BOILERPLATE_COPIES for k in keys])

    def distinct(self) -> int:
        return len({t for t, keep in zip(self.texts, self.kept, strict=True) if keep})


def passage_candidates(vec: VectorIndex, qvec: np.ndarray, allowed: np.ndarray | None) -> PassageCandidates:
    """The ``PASSAGE_POOL`` passages most similar to the question among the ``allowed`` rows
    (binary-code shortlist, int8 rescoring: :meth:`VectorIndex.passage_top`).

    Copies of one passage count once in the pool: otherwise they fill it, every margin
    near them is zero, and the abstention threshold calibrated on such margins falls to
    zero with it. Boilerplate (:class:`Found`) is left out: a newsletter line reads like
    an answer to everyday questions ("How do I bake sourdough bread?"), so repeated down
    a page it stood out from the news around it, the off-topic probes' margins rose, and
    with them the threshold that refuses real questions. A search that copies crowd
    looks deeper (up to ``CROWDED_DEPTH`` times) for the pool's distinct passages; a
    report published again stays a candidate (:func:`rank` lists one copy)."""
    depth = PASSAGE_POOL
    while True:
        top, sims = vec.passage_top(qvec, depth, allowed)
        found = Found.of(vec, top.tolist())
        if found.distinct() >= PASSAGE_POOL or len(top) < depth or depth >= PASSAGE_POOL * CROWDED_DEPTH:
            break
        depth *= 4
    best: dict[int, float] = {}
    row: dict[int, int] = {}
    pool: list[float] = []
    articles: list[int] = []
    seen: set[str] = set()
    for i, sim in enumerate(sims.tolist()):
        if not found.kept[i]:
            continue
        para, text = found.paras[i], found.texts[i]
        if para not in best:  # rows come best first
            best[para], row[para] = float(sim), found.rows[i]
        if text not in seen:
            seen.add(text)
            pool.append(float(sim))
            articles.append(found.articles[i])
            if len(pool) == PASSAGE_POOL:
                break
    return PassageCandidates(best, row, pool, articles)


def lexical_candidates(index: ReadIndex, query: str, allowed: np.ndarray | None) -> dict[int, float]:
    """Paragraph row → the BM25 score of its best passage among the ``PASSAGE_POOL`` best,
    boilerplate (:class:`Found`) left out: when it crowds them, BM25 looks as deep as a
    crowded passage search may, or a query sharing its words would find nothing else."""
    vec = index.vectors
    scores = index.lexical.query_scores(query, allowed)
    scored = index.lexical.best(scores, PASSAGE_POOL)
    kept = [True] * len(scored)
    # Copies of a passage score alike: only a score found that often can be boilerplate's,
    # so only then are the rows' texts read.
    if scored and Counter(score for _, score in scored).most_common(1)[0][1] >= BOILERPLATE_COPIES:
        kept = Found.of(vec, [r for r, _ in scored]).kept
        if not all(kept):
            scored = index.lexical.best(scores, PASSAGE_POOL * CROWDED_DEPTH)
            kept = Found.of(vec, [r for r, _ in scored]).kept
    found = [rs for rs, keep in zip(scored, kept, strict=True) if keep][:PASSAGE_POOL]
    paras = vec.p_para[np.asarray([r for r, _ in found], np.int64)].tolist() if found else []
    lexical: dict[int, float] = {}
    for para, (_, score) in zip(paras, found, strict=True):
        lexical[para] = max(lexical.get(para, 0.0), score)
    return lexical


@dataclass(frozen=True)
class SentenceScores:
    """The similarities of the candidate paragraphs' sentences to the question."""

    rows: np.ndarray  # sentence rows, grouped by paragraph
    sims: np.ndarray  # one per row
    spans: dict[int, tuple[int, int]]  # paragraph row → its slice of ``rows``
    best: dict[int, float]  # paragraph row → its best sentence's similarity

    def pool(self) -> list[float]:
        """The ``SENTENCE_POOL`` best distinct similarities, best first: the evidence's
        background. Copies of one sentence (an article that repeats it a thousand times)
        count once, or they would fill the background and sink every margin near them."""
        distinct = np.unique(self.sims)  # ascending
        best: list[float] = distinct[::-1][:SENTENCE_POOL].tolist()
        return best

    def matches(self, vec: VectorIndex, para: int) -> list[SentenceMatch]:
        """A paragraph's sentences, best first (built for the few hits shown, not every candidate)."""
        start, end = self.spans[para]
        if end <= start:
            return []
        rows = self.rows[start:end]  # a paragraph's sentences are consecutive rows: one read
        texts, numbers, sims = vec.s_text[int(rows[0]) : int(rows[-1]) + 1], vec.s_index[rows], self.sims[start:end]
        return [SentenceMatch(texts[i], int(numbers[i]), float(sims[i])) for i in np.argsort(-sims)]


def sentence_scores(vec: VectorIndex, candidates: np.ndarray, qvec: np.ndarray) -> SentenceScores:
    """Sentences are scored for the candidate paragraphs only: the strongest sentence of
    a paragraph that neither its passages nor BM25 put forward rarely wins."""
    starts, ends = vec.sentence_bounds(candidates)
    counts = ends - starts
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rows = (
        np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]).astype(np.int64)
        if len(starts)
        else np.zeros(0, np.int64)
    )
    sims = vec.sentence_scores(rows, qvec)
    has = counts > 0
    tops = np.maximum.reduceat(sims, offsets[:-1][has]) if has.any() else np.zeros(0)
    best = dict(zip(candidates[has].tolist(), tops.tolist(), strict=True))
    spans = {int(para): (int(offsets[i]), int(offsets[i + 1])) for i, para in enumerate(candidates)}
    return SentenceScores(rows, sims, spans, best)


@dataclass(frozen=True)
class Fused:
    dense: dict[int, float]  # paragraph row → weighted passage + sentence similarity
    score: dict[int, float]  # paragraph row → the fused score, 0…1


def fuse(
    candidates: list[int],
    passage: dict[int, float],
    sentence: dict[int, float],
    lexical: dict[int, float],
    coverage: float,
    w: FusionWeights,
) -> Fused:
    """Dense and BM25 scores, each normalised over the candidates, mixed by a lexical
    weight that shrinks with the share of the question BM25 can see (``coverage``). A
    candidate missing one dense score gets the lowest one of its kind."""
    p_floor = min(passage.values()) if passage else 0.0
    s_floor = min(sentence.values()) if sentence else 0.0
    dense = {
        para: w.passage * passage.get(para, p_floor) + w.sentence * sentence.get(para, s_floor) for para in candidates
    }
    d_hi, d_lo = max(dense.values()), min(dense.values())
    l_hi = max(lexical.values()) if lexical else 0.0
    lex_weight = w.lexical * coverage
    score = {}
    for para in candidates:
        d = (dense[para] - d_lo) / (d_hi - d_lo) if d_hi > d_lo else 1.0
        lx = lexical.get(para, 0.0) / l_hi if l_hi > 0 else 0.0
        score[para] = (1 - lex_weight) * d + lex_weight * lx
    return Fused(dense, score)


def narrowed_evidence(
    index: ReadIndex, query: str, qvec: np.ndarray, sentence_pool: list[float], passage_pool: list[float]
) -> float:
    """How far the best hit of a slice stands out from the whole corpus's background.

    A slice of a few articles has no background of its own: its best sentence would be
    compared with its neighbours in the same article and refused."""
    if not sentence_pool or not passage_pool:
        return 0.0
    everything = passage_candidates(index.vectors, qvec, None)
    background = sentence_scores(
        index.vectors,
        np.asarray(sorted(set(everything.best) | set(lexical_candidates(index, query, None))), dtype=np.int64),
        qvec,
    )
    return margin(background.pool(), everything.pool, (sentence_pool[0], passage_pool[0]))


def rank(
    index: ReadIndex,
    query: str,
    qvec: np.ndarray,
    k: int = 5,
    where: Filter | None = None,
    weights: FusionWeights = FusionWeights(),
    threshold: float = float("inf"),
    order: np.ndarray | None = None,
) -> SearchResult:
    """Ranked paragraphs of ``index`` for ``query``, only those ``where`` allows: pure
    computation on the read index. ``order``, when given, is the vector the hits are
    ordered by instead of ``qvec``; the evidence and background stay ``qvec``'s, and
    BM25, which reads the words alone, runs once for both."""
    vec = index.vectors
    if not len(vec):
        return SearchResult(query, [], qvec, 0.0, threshold, index)
    allowed = where.passages(vec) if where is not None else None
    passages = passage_candidates(vec, qvec, allowed)
    lexical = lexical_candidates(index, query, allowed)
    coverage = index.lexical.coverage(query)
    candidates = np.asarray(sorted(set(passages.best) | set(lexical)), dtype=np.int64)
    sentences = sentence_scores(vec, candidates, qvec)
    if allowed is None:
        evidence = margin(sentences.pool(), passages.pool)
        background = Background(pool_margin(passages.pool, PASSAGE_SKIP), article_gap(passages.pool, passages.articles))
    else:
        evidence, background = narrowed_evidence(index, query, qvec, sentences.pool(), passages.pool), None
    if order is not None:
        passages = passage_candidates(vec, order, allowed)
        candidates = np.asarray(sorted(set(passages.best) | set(lexical)), dtype=np.int64)
        sentences = sentence_scores(vec, candidates, order)
    if not len(candidates):
        return SearchResult(query, [], qvec, evidence, threshold, index, background, order_vector=order)
    fused = fuse(candidates.tolist(), passages.best, sentences.best, lexical, coverage, weights)
    hits: list[Hit] = []
    listed: dict[tuple[str, ...], int] = {}  # a paragraph's sentences → its place in hits
    for para in sorted(fused.score, key=lambda para: -fused.score[para]):
        if len(hits) == max(k, 10):
            break
        matches = sentences.matches(vec, para)
        article = int(vec.para_article[para])
        best = passages.row.get(para)
        hit = Hit(
            para_id=vec.para_id(para),
            article_id=vec.article_ids[article],
            paragraph=int(vec.para_number[para]),
            score=fused.score[para],
            dense=fused.dense[para],
            lexical=lexical.get(para, 0.0),
            meta=vec.article_meta[article],
            heading=vec.para_heading[para],
            passage=vec.p_text[best] if best is not None else "",
            sentences=matches,
        )
        text = tuple(sorted(m.text for m in matches))
        if text and text in listed:
            # A copy of a paragraph already listed: the newest report of it stands for all.
            if (hit.meta.date or "") > (hits[listed[text]].meta.date or ""):
                hits[listed[text]] = hit
            continue
        listed[text] = len(hits)
        hits.append(hit)
    hits = recency_order(hits, query)[:k]
    return SearchResult(query, hits, qvec, evidence, threshold, index, background, order_vector=order)


@dataclass(frozen=True)
class Calibration:
    threshold: float
    articles: int  # live articles
    nearest: list[str]  # each probe's nearest article: what raised the threshold, if one did


def calibration(index: ReadIndex, embedder: VectorEmbeddings) -> Calibration:
    """The abstention threshold for this index and embedder, from the off-topic probes,
    and the article each probe finds nearest.

    Every ingest runs this before it announces, so it must stay short on a busy host. The
    probes are embedded in one call, then ranked with faiss on one thread: OpenMP threads
    spin-wait after each short parallel region, and with the embedder's and faiss's
    runtimes taking turns for each probe, two busy cores spent tens of seconds on it."""
    from threadpoolctl import threadpool_limits

    vectors = embedder.embed_questions(list(PROBES))
    with threadpool_limits(1, user_api="openmp"):
        ranked = [rank(index, q, v, k=1) for q, v in zip(PROBES, vectors, strict=True)]
    nearest = [r.hits[0].article_id for r in ranked if r.hits]
    live = int(index.vectors.live_articles().sum())
    return Calibration(threshold_from([r.evidence for r in ranked]), live, nearest)


def calibrate(index: ReadIndex, embedder: VectorEmbeddings) -> float:
    """The abstention threshold alone (:func:`calibration`)."""
    return calibration(index, embedder).threshold


class Searcher:
    """Opened once per process and shared: the embedder, and the :class:`Reader` that
    keeps the read index of the current corpus version."""

    def __init__(
        self,
        chroma: Chroma,
        embedder: VectorEmbeddings,
        weights: FusionWeights = FusionWeights(),
        order_by: OrderBy | None = None,
    ):
        self.chroma = chroma
        self.reader = Reader(chroma)
        self.embedder = embedder
        self.weights = weights
        self.order_by = order_by
        self._thresholds: dict[str, float] = {}
        Generations(chroma).read().check_embedder(embedder.name, chroma.settings.location)

    @classmethod
    def open(
        cls,
        settings: StoreSettings,
        embedder: VectorEmbeddings | None = None,
        order_for: Callable[[VectorEmbeddings], OrderBy | None] | None = None,
    ) -> Searcher:
        """Store, embedder and reader for ``settings``: what every process opens once;
        ``order_for`` gives the loaded embedder what orders its hits, if anything."""
        embedder = embedder or load_embedder(settings.embedding_model, settings.embedding_device)
        return cls(Chroma(settings), embedder, order_by=order_for(embedder) if order_for else None)

    def view(self) -> CorpusView:
        """The current corpus version's read index (:meth:`Reader.view`)."""
        return self.reader.view()

    def _threshold_of(self, view: CorpusView) -> float:
        """Stored by the last ingest; computed here for stores built before it was."""
        if view.pointer.abstain_threshold is not None:
            return view.pointer.abstain_threshold
        version = view.index.version
        if version not in self._thresholds:
            empty = not len(view.index.vectors)
            self._thresholds[version] = float("inf") if empty else calibrate(view.index, self.embedder)
        return self._thresholds[version]

    def search(self, query: str, k: int = 5, where: Filter | None = None) -> SearchResult:
        """Ranked paragraphs for ``query``; ``where`` narrows the corpus before ranking."""
        view = self.view()
        qvec = self.embedder.embed_question(query)
        order = self.order_by(query, qvec) if self.order_by is not None and len(view.index.vectors) else None
        result = rank(view.index, query, qvec, k, where, self.weights, self._threshold_of(view), order)
        result.embedder = self.embedder.name
        return result
