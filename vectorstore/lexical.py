"""BM25 over the stored passages, German-stemmed: derived from Chroma, never the truth.

Each segment of the read index (:mod:`.segment`) holds a :class:`Lexicon`: bm25s's
precomputed score matrix (per term, the passages that contain it and the term's BM25
weight in each — bm25s's ``lucene`` variant, k1 = 1.5, b = 0.75, the formulas of
:mod:`bm25s.scoring`), memory-mapped. A query sums the weights of its terms' postings,
as bm25s's ``get_scores`` does, over every segment at once (:class:`LexicalIndex`).

What bm25s does not do is build that matrix without holding the whole tokenised corpus
(~7 GB for a million passages) or add to it: :class:`LexiconWriter` builds it in two
streamed passes (term ids to a file, document frequencies counted; then the weights
written straight into their place in the matrix), and the vocabulary is a sorted table
of 64-bit term hashes on disk rather than a dict in every process.

Weights are computed once, when a segment is written, with the statistics of the whole
index at that moment (documents, average length, each term's document frequency over
all segments — Lucene counts them at query time; here they are frozen in), so a merge
copies weights and every score stays the same; a full rebuild computes them afresh.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
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


def idf_of(df: np.ndarray, n_docs: int) -> np.ndarray:
    """bm25s's Lucene idf, per term (float32 like its idf array)."""
    return np.asarray([_score_idf_lucene(int(d), N=n_docs) if d else 0.0 for d in df.tolist()], np.float32)


@dataclass(frozen=True)
class LexicalStats:
    """What the rest of the index contributes to a new segment's BM25 weights."""

    n_docs: int
    total_len: int
    lexicons: tuple[Lexicon, ...] = ()

    def df(self, terms: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(terms), np.int64)
        for lex in self.lexicons:
            out += lex.df(lex.term_ids(terms))
        return out


def _scatter(
    cols: np.ndarray,
    docs: np.ndarray,
    weights: np.ndarray,
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
    data_out[pos] = weights[order]
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


class LexiconWriter:
    """Builds one segment's BM25 matrix from passage texts, streamed."""

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

    def finish(self, stats: LexicalStats | None = None) -> None:
        """Write the matrix: weights with ``stats`` (the other segments) added to this one's."""
        self._tokens.close()
        terms = list(self.vocab)
        self.vocab = {}
        df_own = self._df[: len(terms)]
        lengths = np.concatenate(self._lengths) if self._lengths else np.zeros(0, np.int32)
        n_all = self.n_docs + (stats.n_docs if stats else 0)
        len_all = self.total_len + (stats.total_len if stats else 0)
        df_all = df_own + (stats.df(terms) if stats else 0)
        idf = idf_of(df_all, n_all)
        avgdl = len_all / n_all if n_all else 1.0
        indptr = np.zeros(len(terms) + 1, np.int64)
        np.cumsum(df_own, out=indptr[1:])
        nnz = int(indptr[-1])
        data = np.lib.format.open_memmap(self.directory / "data.npy", "w+", np.float32, (nnz,))
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
            docs, cols = keys >> 32, keys & 0xFFFFFFFF
            # bm25s.scoring: idf × tf / (k1 (1 − b + b·len/avg) + tf), in float32
            tfc = _score_tfc_lucene(tf.astype(np.float32), lengths[docs].astype(np.float64), avgdl, K1, B)
            weights = (idf[cols] * tfc.astype(np.float32)).astype(np.float32)
            _scatter(cols, docs, weights, indptr, written, data, indices)
        data.flush()
        indices.flush()
        del data, indices, tokens
        np.save(self.directory / "indptr.npy", indptr)
        np.save(self.directory / "doc_len.npy", lengths)
        _write_vocab(self.directory, terms)
        (self.directory / "bm25.json").write_text(
            json.dumps(
                {
                    "n_docs": self.n_docs,
                    "total_len": self.total_len,
                    "terms": len(terms),
                    "k1": K1,
                    "b": B,
                    "method": "lucene",
                }
            )
        )
        (self.directory / "tokens.tmp").unlink(missing_ok=True)

    def abandon(self) -> None:
        if not self._tokens.closed:
            self._tokens.close()
        (self.directory / "tokens.tmp").unlink(missing_ok=True)


class Lexicon:
    """One segment's BM25 matrix, memory-mapped."""

    def __init__(self, directory: Path):
        from .segment import Texts

        meta = json.loads((directory / "bm25.json").read_text())
        self.n_docs: int = meta["n_docs"]
        self.total_len: int = meta["total_len"]
        self.data = np.load(directory / "data.npy", mmap_mode="r")
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

    def term_ids(self, terms: Sequence[str]) -> np.ndarray:
        return np.asarray([self.term_id(t) for t in terms], np.int64)

    def df(self, ids: np.ndarray) -> np.ndarray:
        """Passages containing each term (0 for -1)."""
        ids = np.asarray(ids, np.int64)
        known = ids >= 0
        out = np.zeros(len(ids), np.int64)
        if known.any():
            out[known] = np.asarray(self.indptr[ids[known] + 1]) - np.asarray(self.indptr[ids[known]])
        return out

    def postings(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Documents and weights of every (known) term, one term after the other."""
        parts = [(int(self.indptr[i]), int(self.indptr[i + 1])) for i in ids if i >= 0]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        docs = np.concatenate([self.indices[a:b] for a, b in parts])
        weights = np.concatenate([self.data[a:b] for a, b in parts])
        return docs, weights


def merge_lexicons(sources: Sequence[tuple[Lexicon, np.ndarray]], directory: Path) -> None:
    """One matrix of the kept documents of ``sources`` ((lexicon, keep mask per document)),
    documents renumbered in order, weights copied: every score stays the same."""
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
        # (new column, old document, weight) of a range of postings
        nnz = int(lex.indptr[-1]) if len(lex.indptr) else 0
        indptr = np.asarray(lex.indptr)
        for a in range(0, nnz, step):
            b = min(nnz, a + step)
            cols = np.searchsorted(indptr, np.arange(a, b), side="right") - 1
            yield cols, np.asarray(lex.indices[a:b], np.int64), np.asarray(lex.data[a:b])

    counts = np.zeros(len(terms), np.int64)
    for (lex, _), col_map, doc_map in zip(sources, col_maps, doc_maps, strict=True):
        for cols, docs, _ in chunks(lex):
            kept = doc_map[docs] >= 0
            counts += np.bincount(col_map[cols[kept]], minlength=len(terms))
    indptr = np.zeros(len(terms) + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    nnz = int(indptr[-1])
    data = np.lib.format.open_memmap(directory / "data.npy", "w+", np.float32, (nnz,))
    indices = np.lib.format.open_memmap(directory / "indices.npy", "w+", np.int32, (nnz,))
    written = np.zeros(len(terms), np.int64)
    for (lex, _), col_map, doc_map in zip(sources, col_maps, doc_maps, strict=True):
        for cols, docs, weights in chunks(lex):
            new_docs = doc_map[docs]
            kept = new_docs >= 0
            _scatter(col_map[cols[kept]], new_docs[kept], weights[kept], indptr, written, data, indices)
    data.flush()
    indices.flush()
    del data, indices
    np.save(directory / "indptr.npy", indptr)
    lengths = np.concatenate([np.asarray(lex.doc_len)[keep] for lex, keep in sources]) if sources else np.zeros(0)
    np.save(directory / "doc_len.npy", lengths.astype(np.int32))
    _write_vocab(directory, terms)
    (directory / "bm25.json").write_text(
        json.dumps(
            {
                "n_docs": len(lengths),
                "total_len": int(lengths.sum()),
                "terms": len(terms),
                "k1": K1,
                "b": B,
                "method": "lucene",
            }
        )
    )


class LexicalIndex:
    """BM25 over every segment's passages, as one index of passage rows (segments in
    order; ``offsets[i]`` is segment ``i``'s first row). Rows in ``dead`` never match."""

    def __init__(self, lexicons: Sequence[Lexicon], offsets: np.ndarray, dead: np.ndarray | None = None):
        self.lexicons = tuple(lexicons)
        self.offsets = np.asarray(offsets, np.int64)
        self.n_rows = int(self.offsets[-1]) if len(self.offsets) else 0
        self.dead = dead

    @property
    def n_docs(self) -> int:
        return sum(lex.n_docs for lex in self.lexicons)

    def stats(self) -> LexicalStats:
        return LexicalStats(self.n_docs, sum(lex.total_len for lex in self.lexicons), self.lexicons)

    def _ids(self, tokens: Sequence[str]) -> list[np.ndarray]:
        return [lex.term_ids(tokens) for lex in self.lexicons]

    def live_df(self, tokens: Sequence[str]) -> np.ndarray:
        """Live passages containing each token: dead rows do not count, so a merge, which
        drops them, changes nothing."""
        df = np.zeros(len(tokens), np.int64)
        for lex, ids, offset in zip(self.lexicons, self._ids(tokens), self.offsets[:-1], strict=True):
            df += lex.df(ids)
            if self.dead is not None and len(self.dead):
                for i, term in enumerate(ids.tolist()):
                    if term >= 0 and df[i]:
                        docs, _ = lex.postings([term])
                        df[i] -= int(self._dead_mask()[docs + offset].sum())
        return df

    def _dead_mask(self) -> np.ndarray:
        if not hasattr(self, "_dead"):
            mask = np.zeros(self.n_rows, bool)
            if self.dead is not None:
                mask[self.dead] = True
            self._dead = mask
        return self._dead

    @property
    def live_docs(self) -> int:
        return self.n_docs - (len(self.dead) if self.dead is not None else 0)

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
        df = int(self.live_df([term])[0]) if self.lexicons else 0
        if not df:
            return 0.0
        return float(np.log(1 + (self.live_docs - df + 0.5) / (df + 0.5)))

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage row (dead rows 0)."""
        docs, weights = [], []
        for lex, ids, offset in zip(self.lexicons, self._ids(tokens), self.offsets[:-1], strict=True):
            d, w = lex.postings(ids.tolist())
            docs.append(d + offset)
            weights.append(w)
        if not docs:
            return np.zeros(self.n_rows, np.float32)
        scores = np.bincount(np.concatenate(docs), weights=np.concatenate(weights), minlength=self.n_rows)
        if self.dead is not None and len(self.dead):
            scores[self.dead] = 0.0
        return scores.astype(np.float32)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Best ``k`` passage rows as (row, BM25 score), strongest first; ``allowed`` masks rows."""
        if not self.lexicons or not self.n_rows:
            return []
        tokens = query_terms(query)
        if not tokens:
            return []
        scores = self.scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        # Only rows holding a query term can score: rank those, not every row of the corpus.
        rows = np.flatnonzero(scores > 0)
        k = min(k, len(rows))
        if not k:
            return []
        top = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        top = top[np.lexsort((top, -scores[top]))]
        return [(int(i), float(scores[i])) for i in top]
