"""BM25 over the stored passages, German-stemmed: derived from Chroma, never the truth.

Each segment of the read index (:mod:`.segment`) holds a :class:`Lexicon`: per term, the
passages that contain it and how often (a compressed column matrix of term frequencies),
and every passage's length, memory-mapped. A query scores the postings of its own terms
over every segment at once (:class:`LexicalIndex`) with bm25s's ``lucene`` variant
(k1 = 1.5, b = 0.75, the formulas of :mod:`bm25s.scoring`).

BM25's statistics — how many passages, their average length, how many of them hold each
query term — are those of the live passages at the moment of the query, as Lucene counts
them, not the index's when a segment was written. A live corpus (feeds, a watched folder)
grows by an article or a few per ingest: weights finished when each segment was written
kept the statistics of that moment for good, merges copied them, and rows removed or
replaced since still counted. The article ingested first kept the weights of a corpus of
one (92 % too low among 150 articles: ranked third for its own question, answered from
another). Counted at query time, any history of ingests, edits, removals and merges scores
as a fresh build of the same passages, and a fresh build scores as bm25s does.

What bm25s does not do is build its matrix without holding the whole tokenised corpus
(~7 GB for a million passages) or add to it: :class:`LexiconWriter` builds it in two
streamed passes (term ids to a file, document frequencies counted; then the frequencies
written straight into their place in the matrix), and the vocabulary is a sorted table
of 64-bit term hashes on disk rather than a dict in every process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path

import bm25s  # noqa: F401  (the scoring formulas below are bm25s's; imported for its stop words too)
import numpy as np
from bm25s.scoring import _score_idf_lucene, _score_tfc_lucene

from .text import query_terms, tokenize

logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG

K1, B = 1.5, 0.75  # bm25s.BM25()'s defaults, as the index used before segments
CHUNK_DOCS = 50_000


def index_text(document: str, meta: Mapping[str, str]) -> str:
    return "\n".join(x for x in (meta.get("title", ""), meta.get("heading", ""), document) if x)


def idf_of(df: int, n_docs: int) -> float:
    """bm25s's Lucene idf of a term that ``df`` of ``n_docs`` passages hold (0 when none does)."""
    return float(_score_idf_lucene(df, N=n_docs)) if df else 0.0


def term_weights(idf: float, tf: np.ndarray, lengths: np.ndarray, avgdl: float) -> np.ndarray:
    """bm25s's Lucene weights of one term in passages of ``lengths`` holding it ``tf`` times:
    idf × tf / (k1 (1 − b + b·len/avg) + tf), in float32 as bm25s stores them."""
    tfc = _score_tfc_lucene(tf.astype(np.float32), lengths.astype(np.float64), avgdl, K1, B)
    weights: np.ndarray = np.float32(idf) * tfc.astype(np.float32)
    return weights


def _scatter(
    cols: np.ndarray,
    docs: np.ndarray,
    values: np.ndarray,
    indptr: np.ndarray,
    written: np.ndarray,
    data_out: np.ndarray,
    indices_out: np.ndarray,
) -> None:
    """Put postings into their place in a CSC matrix whose column sizes are known. Input
    comes in increasing document order per column; each column fills from its start."""
    if not len(cols):
        return
    order = np.argsort(cols, kind="stable")
    c = cols[order]
    new_run = np.empty(len(c), bool)
    new_run[0] = True
    np.not_equal(c[1:], c[:-1], out=new_run[1:])
    starts = np.flatnonzero(new_run)
    run = np.cumsum(new_run) - 1
    rank = np.arange(len(c)) - starts[run]
    pos = indptr[c] + written[c] + rank
    data_out[pos] = values[order]
    indices_out[pos] = docs[order]
    written[c[starts]] += np.diff(np.append(starts, len(c)))


def _write_vocab(directory: Path, terms: list[str]) -> None:
    from .segment import TextsWriter, keys_of

    writer = TextsWriter(directory / "terms")
    writer.add(terms)
    writer.close()
    keys = keys_of(terms)
    order = np.argsort(keys, kind="stable")
    np.save(directory / "t_key.npy", keys[order])
    np.save(directory / "t_key_row.npy", order.astype(np.int32))


def _write_header(directory: Path, n_docs: int, total_len: int, terms: int) -> None:
    # Term frequencies, not weights: k1, b and the statistics are the reader's, at query time.
    header = {"n_docs": n_docs, "total_len": total_len, "terms": terms, "postings": "tf"}
    (directory / "bm25.json").write_text(json.dumps(header))


class LexiconWriter:
    """Builds one segment's term-frequency matrix from passage texts, streamed."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True)
        self.directory = directory
        self.vocab: dict[str, int] = {}
        self._df = np.zeros(1024, np.int64)
        # SIM115: the file stays open across add() calls; finish() or abandon() closes it.
        self._tokens = open(directory / "tokens.tmp", "wb")  # noqa: SIM115
        self._lengths: list[np.ndarray] = []
        self.n_docs = 0
        self.total_len = 0

    def add(self, texts: Sequence[str]) -> None:
        if not texts:
            return
        vocab = self.vocab
        ids: list[int] = []
        lengths = np.empty(len(texts), np.int32)
        for i, text in enumerate(texts):
            tokens = tokenize(text)
            lengths[i] = len(tokens)
            ids.extend(vocab.setdefault(t, len(vocab)) for t in tokens)
        arr = np.asarray(ids, np.int32)
        self._tokens.write(arr.tobytes())
        self._lengths.append(lengths)
        if len(vocab) > len(self._df):
            grow = max(len(vocab), 2 * len(self._df)) - len(self._df)
            self._df = np.concatenate([self._df, np.zeros(grow, np.int64)])
        doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        pairs = np.unique((doc << 32) | arr.astype(np.int64))
        self._df[: len(vocab)] += np.bincount((pairs & 0xFFFFFFFF).astype(np.int64), minlength=len(vocab))
        self.n_docs += len(texts)
        self.total_len += int(lengths.sum())

    def finish(self) -> None:
        """Write the matrix of term frequencies and the passages' lengths."""
        self._tokens.close()
        terms = list(self.vocab)
        self.vocab = {}
        df = self._df[: len(terms)]
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int32)
        indptr = np.zeros(len(terms) + 1, np.int64)
        np.cumsum(df, out=indptr[1:])
        nnz = int(indptr[-1])
        data = np.lib.format.open_memmap(self.directory / "tf.npy", "w+", np.int32, (nnz,))
        indices = np.lib.format.open_memmap(self.directory / "indices.npy", "w+", np.int32, (nnz,))
        written = np.zeros(len(terms), np.int64)
        ends = np.cumsum(lengths, dtype=np.int64)
        tokens = (
            np.memmap(self.directory / "tokens.tmp", np.int32, "r") if len(ends) and ends[-1] else np.zeros(0, np.int32)
        )
        for d0 in range(0, self.n_docs, CHUNK_DOCS):
            d1 = min(self.n_docs, d0 + CHUNK_DOCS)
            t0, t1 = int(ends[d0 - 1]) if d0 else 0, int(ends[d1 - 1])
            doc = np.repeat(np.arange(d0, d1, dtype=np.int64), lengths[d0:d1])
            keys, tf = np.unique((doc << 32) | np.asarray(tokens[t0:t1], np.int64), return_counts=True)
            _scatter(keys & 0xFFFFFFFF, keys >> 32, tf.astype(np.int32), indptr, written, data, indices)
        data.flush()
        indices.flush()
        del data, indices, tokens
        np.save(self.directory / "indptr.npy", indptr)
        np.save(self.directory / "doc_len.npy", lengths)
        _write_vocab(self.directory, terms)
        _write_header(self.directory, self.n_docs, self.total_len, len(terms))
        (self.directory / "tokens.tmp").unlink(missing_ok=True)

    def abandon(self) -> None:
        if not self._tokens.closed:
            self._tokens.close()
        (self.directory / "tokens.tmp").unlink(missing_ok=True)


class Lexicon:
    """One segment's term-frequency matrix and passage lengths, memory-mapped."""

    def __init__(self, directory: Path):
        from .segment import Texts

        meta = json.loads((directory / "bm25.json").read_text())
        self.n_docs: int = meta["n_docs"]
        self.total_len: int = meta["total_len"]
        self.tf = np.load(directory / "tf.npy", mmap_mode="r")
        self.indices = np.load(directory / "indices.npy", mmap_mode="r")
        self.indptr = np.load(directory / "indptr.npy", mmap_mode="r")
        self.doc_len = np.load(directory / "doc_len.npy", mmap_mode="r")
        self.terms = Texts(directory / "terms")
        self._keys = np.load(directory / "t_key.npy", mmap_mode="r")
        self._rows = np.load(directory / "t_key_row.npy", mmap_mode="r")

    def term_id(self, term: str) -> int:
        """The term's column, -1 when no passage of this segment has it."""
        from .segment import key_of

        key = key_of(term)
        i = int(np.searchsorted(self._keys, key))
        while i < len(self._keys) and self._keys[i] == key:
            row = int(self._rows[i])
            if self.terms[row] == term:
                return row
            i += 1
        return -1

    def df(self, term: int) -> int:
        """Passages holding the term of column ``term`` (0 for -1), dead ones included."""
        return int(self.indptr[term + 1]) - int(self.indptr[term]) if term >= 0 else 0

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """The passages holding the term of column ``term`` (none for -1) and how often."""
        if term < 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        a, b = int(self.indptr[term]), int(self.indptr[term + 1])
        return np.asarray(self.indices[a:b], np.int64), np.asarray(self.tf[a:b])


def merge_lexicons(sources: Sequence[tuple[Lexicon, np.ndarray]], directory: Path) -> None:
    """One matrix of the kept documents of ``sources`` ((lexicon, keep mask per document)),
    documents renumbered in order, term frequencies and lengths copied: scores are
    computed from them and the live statistics, so every score stays the same."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = {}
    col_maps = []
    for lex, _ in sources:
        col_maps.append(
            np.fromiter((vocab.setdefault(t, len(vocab)) for t in lex.terms), np.int64, count=len(lex.terms))
        )
    terms = list(vocab)
    del vocab
    doc_maps, offset = [], 0
    for _, keep in sources:
        doc_maps.append(np.where(keep, offset + np.cumsum(keep) - 1, -1).astype(np.int64))
        offset += int(keep.sum())
    step = 4_000_000

    def chunks(lex: Lexicon) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        # (new column, old document, term frequency) of a range of postings
        nnz = int(lex.indptr[-1]) if len(lex.indptr) else 0
        indptr = np.asarray(lex.indptr)
        for a in range(0, nnz, step):
            b = min(nnz, a + step)
            cols = np.searchsorted(indptr, np.arange(a, b), side="right") - 1
            yield cols, np.asarray(lex.indices[a:b], np.int64), np.asarray(lex.tf[a:b])

    counts = np.zeros(len(terms), np.int64)
    for (lex, _), col_map, doc_map in zip(sources, col_maps, doc_maps, strict=True):
        for cols, docs, _ in chunks(lex):
            kept = doc_map[docs] >= 0
            counts += np.bincount(col_map[cols[kept]], minlength=len(terms))
    indptr = np.zeros(len(terms) + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    data = np.lib.format.open_memmap(directory / "tf.npy", "w+", np.int32, (nnz,))
    indices = np.lib.format.open_memmap(directory / "indices.npy", "w+", np.int32, (nnz,))
    written = np.zeros(len(terms), np.int64)
    for (lex, _), col_map, doc_map in zip(sources, col_maps, doc_maps, strict=True):
        for cols, docs, tf in chunks(lex):
            new_docs = doc_map[docs]
            kept = new_docs >= 0
            _scatter(col_map[cols[kept]], new_docs[kept], tf[kept], indptr, written, data, indices)
    data.flush()
    indices.flush()
    del data, indices
    np.save(directory / "indptr.npy", indptr)
    lengths = np.concatenate([np.asarray(lex.doc_len)[keep] for lex, keep in sources]) if sources else np.zeros(0)
    np.save(directory / "doc_len.npy", lengths.astype(np.int32))
    _write_vocab(directory, terms)
    _write_header(directory, len(lengths), int(lengths.sum()), len(terms))


class LexicalIndex:
    """BM25 over every segment's passages, as one index of passage rows (segments in
    order; ``offsets[i]`` is segment ``i``'s first row). Rows in ``dead`` never match, and
    count in none of BM25's statistics: those are the live passages' (see the module)."""

    def __init__(self, lexicons: Sequence[Lexicon], offsets: np.ndarray, dead: np.ndarray | None = None):
        self.lexicons = tuple(lexicons)
        self.offsets = np.asarray(offsets, np.int64)
        self.n_rows = int(self.offsets[-1]) if len(self.offsets) else 0
        self.dead = dead

    @property
    def n_docs(self) -> int:
        """Passage rows, dead ones included."""
        return sum(lex.n_docs for lex in self.lexicons)

    @property
    def live_docs(self) -> int:
        return self.n_docs - (len(self.dead) if self.dead is not None else 0)

    def _dead_mask(self) -> np.ndarray:
        if not hasattr(self, "_dead"):
            mask = np.zeros(self.n_rows, bool)
            if self.dead is not None:
                mask[self.dead] = True
            self._dead = mask
        return self._dead

    @cached_property
    def avgdl(self) -> float:
        """The live passages' average length (in terms)."""
        total = sum(lex.total_len for lex in self.lexicons)
        if self.dead is not None and len(self.dead):
            dead = np.asarray(self.dead, np.int64)
            seg = np.searchsorted(self.offsets, dead, side="right") - 1
            for s, lex in enumerate(self.lexicons):
                rows = dead[seg == s] - self.offsets[s]
                total -= int(np.asarray(lex.doc_len)[rows].sum(dtype=np.int64))
        return total / self.live_docs if self.live_docs else 1.0

    def _postings(self, term: str, lengths: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows, term frequencies and lengths (unless not asked for) of the live passages
        holding ``term``."""
        rows, tfs, lens = [], [], []
        for lex, offset in zip(self.lexicons, self.offsets[:-1].tolist(), strict=True):
            docs, tf = lex.postings(lex.term_id(term))
            if len(docs):
                rows.append(docs + offset)
                tfs.append(tf)
                lens.append(np.asarray(lex.doc_len)[docs] if lengths else docs[:0])
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32)
        row, tf, length = np.concatenate(rows), np.concatenate(tfs), np.concatenate(lens)
        if self.dead is not None and len(self.dead):
            live = ~self._dead_mask()[row]
            row, tf, length = row[live], tf[live], length[live] if lengths else length
        return row, tf, length

    def live_df(self, tokens: Sequence[str]) -> np.ndarray:
        """Live passages containing each token: dead rows do not count, so a merge, which
        drops them, changes nothing."""
        dead = self.dead is not None and len(self.dead) > 0
        out = np.zeros(len(tokens), np.int64)
        for i, term in enumerate(tokens):
            # Without dead rows the column sizes say it, without reading the postings.
            if dead:
                out[i] = len(self._postings(term, lengths=False)[0])
            else:
                out[i] = sum(lex.df(lex.term_id(term)) for lex in self.lexicons)
        return out

    def coverage(self, query: str) -> float:
        """Share of the query's terms that occur in the corpus at all: how much BM25 can see.
        Question words count (unlike in :meth:`search`): they are what an English question
        shares with no German text, and without them English questions would lean on BM25
        more (XQuAD-de English: first citation 0.936 → 0.929)."""
        tokens = tokenize(query)
        if not tokens or not self.lexicons:
            return 0.0
        return float((self.live_df(tokens) > 0).sum()) / len(tokens)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a stemmed term (0 for an unknown one): how
        much sharing it says about two texts. Answer selection weighs question words by it."""
        if not self.lexicons:
            return 0.0
        return idf_of(int(self.live_df([term])[0]), self.live_docs)

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage row (dead rows 0), from the live statistics. A term
        the query repeats counts as often, as in bm25s."""
        weighted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term in dict.fromkeys(tokens):
            rows, tf, lengths = self._postings(term)
            if len(rows):
                weighted[term] = (rows, term_weights(idf_of(len(rows), self.live_docs), tf, lengths, self.avgdl))
        found = [weighted[t] for t in tokens if t in weighted]
        if not found:
            return np.zeros(self.n_rows, np.float32)
        rows = np.concatenate([r for r, _ in found])
        weights = np.concatenate([w for _, w in found])
        return np.bincount(rows, weights=weights, minlength=self.n_rows).astype(np.float32)

    def query_scores(self, query: str, allowed: np.ndarray | None = None) -> np.ndarray:
        """BM25 score of every passage row for ``query``; rows ``allowed`` masks out score 0.
        Kept by a caller that ranks it to more than one depth (:meth:`best`): the scores
        are most of a query's BM25 time."""
        tokens = query_terms(query) if self.lexicons else []
        if not tokens:
            return np.zeros(self.n_rows, np.float32)
        scores = self.scores(tokens)
        return np.where(allowed, scores, 0.0) if allowed is not None else scores

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``k`` passage rows as (row, BM25 score), strongest first; ``allowed`` masks rows."""
        return self.best(self.query_scores(query, allowed), k)

    @staticmethod
    def best(scores: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` rows of ``scores`` (from :meth:`query_scores`) that score most, strongest first."""
        # Only rows holding a query term can score: rank those, not every row of the corpus.
        rows = np.flatnonzero(scores > 0)
        k = min(k, len(rows))
        if not k:
            return []
        top = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in top]
