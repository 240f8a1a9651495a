"""The reader's view of every segment's vectors and rows, as one index.

Rows are numbered across the segments of one read index in order (segment 0's articles,
then segment 1's, …), at every level: articles, paragraphs, passages, sentences. The
columns below (:class:`Rows`, :class:`TextRows`) read through to the segments' files
(memory-mapped, or read row by row where rows are picked here and there), so nothing is
copied into a process and a second reader on the same host shares the first one's
page cache.

Passages are searched in two steps (measured in ``bench/index_candidates.py``): the
``SHORTLIST`` nearest by Hamming distance of 384-bit codes (faiss ``IndexBinaryFlat``,
48 bytes a passage), then those rescored with int8 vectors (a quarter of float32; cosine
within ~0.002). At a million passages this took ~10 ms on one core (4,000 rows) where the float32
scan took ~150 ms and 1.5 GB of memory, and retrieval quality stayed that of the exact
scan; HNSW graphs (Chroma's, usearch) lost most of their recall on the replicated
benchmark corpus, whose near-duplicates news archives have too. Sentences are scored
only for the paragraphs that passage vectors or BM25 put forward: a few hundred rows.

Articles that a later segment replaced, or a removal deleted, are *dead* in their
segment: no search returns their rows and no lookup finds them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .records import ArticleMeta, citation_id
from .segment import Segment

# Binary-code neighbours rescored per segment. At 100k passages 1,000 kept MRR@10 within
# 0.006 of the exact scan (English questions) and 4,000 within 0.002; at a million, 4,000
# lost 0.006, 8,000 0.003 and 16,000 nothing, ranking in 15 / 19 / 27 ms (p50, two cores;
# bench/latency.py prints both MRR columns).
SHORTLIST = 8000


def _starts(lengths: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


class Rows:
    """A numeric column of every segment as one array of rows; ``shifts`` are added to
    each segment's values (row numbers of the level above)."""

    def __init__(self, parts: Sequence[np.ndarray], shifts: Sequence[int] | None = None):
        self.parts = list(parts)
        self.starts = _starts([len(p) for p in self.parts])
        self.shifts = list(shifts) if shifts is not None else [0] * len(self.parts)

    def __len__(self) -> int:
        return int(self.starts[-1])

    def _segment(self, i: int) -> int:
        return int(np.searchsorted(self.starts, i, side="right")) - 1

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, (int, np.integer)):
            i = int(index) + (len(self) if index < 0 else 0)
            if not 0 <= i < len(self):
                raise IndexError(index)
            s = self._segment(i)
            return self.parts[s][i - self.starts[s]] + self.shifts[s]
        if isinstance(index, slice):
            index = np.arange(*index.indices(len(self)))
        rows = np.asarray(index)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        rows = rows.astype(np.int64)
        if len(self.parts) == 1:
            only = np.asarray(self.parts[0][rows])
            return only + self.shifts[0] if self.shifts[0] else only
        out = np.empty(rows.shape, dtype=self.parts[0].dtype if self.parts else np.int64)
        seg = np.searchsorted(self.starts, rows, side="right") - 1
        for s in np.unique(seg).tolist():
            sel = seg == s
            out[sel] = np.asarray(self.parts[s][rows[sel] - self.starts[s]]) + self.shifts[s]
        return out

    def __iter__(self) -> Iterator[Any]:
        for part, shift in zip(self.parts, self.shifts, strict=True):
            yield from (np.asarray(part) + shift).tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr: np.ndarray = self[np.arange(len(self))]
        return arr.astype(dtype) if dtype is not None else arr


class TextRows(Sequence[str]):
    """A text column of every segment as one sequence of rows."""

    def __init__(self, parts: Sequence[Sequence[str]]):
        self.parts = list(parts)
        self.starts = _starts([len(p) for p in self.parts])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1 or stop <= start:
                return [self[i] for i in range(start, stop, step)]
            s = int(np.searchsorted(self.starts, start, side="right")) - 1
            if stop <= self.starts[s + 1]:  # within one segment: one read
                return self.parts[s][start - int(self.starts[s]) : stop - int(self.starts[s])]
            return [self[i] for i in range(start, stop)]
        i = int(index) + (len(self) if index < 0 else 0)
        if not 0 <= i < len(self):
            raise IndexError(index)
        s = int(np.searchsorted(self.starts, i, side="right")) - 1
        return self.parts[s][i - int(self.starts[s])]

    def __iter__(self) -> Iterator[str]:
        for part in self.parts:
            yield from part


class MetaRows(Sequence[ArticleMeta]):
    """Each article's :class:`ArticleMeta`, decoded when asked for."""

    def __init__(self, texts: TextRows):
        self.texts = texts

    def __len__(self) -> int:
        return len(self.texts)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        import json

        return ArticleMeta.from_metadata(json.loads(self.texts[index]))

    def __iter__(self) -> Iterator[ArticleMeta]:
        import json

        for text in self.texts:
            yield ArticleMeta.from_metadata(json.loads(text))


class VectorIndex:
    """Every segment's rows as one index, without the dead articles' rows."""

    def __init__(self, segments: Sequence[Segment], dead: Sequence[np.ndarray] | None = None, dim: int = 0):
        self.segments = tuple(segments)
        self.dim = dim or (self.segments[0].dim if self.segments else 0)
        self.dead = (
            [np.asarray(d, np.int64) for d in dead]
            if dead is not None
            else [np.zeros(0, np.int64)] * len(self.segments)
        )
        segs = self.segments
        self.a_off = _starts([s.articles for s in segs])
        self.para_off = _starts([s.paragraphs for s in segs])
        self.p_off = _starts([s.passages for s in segs])
        self.s_off = _starts([s.sentences for s in segs])
        self.article_ids = TextRows([s.a_id for s in segs])
        self.article_meta = MetaRows(TextRows([s.a_meta for s in segs]))
        self.article_hashes = TextRows([s.a_hash for s in segs])
        self.para_article = Rows([s.para_article for s in segs], self.a_off[:-1].tolist())
        self.para_number = Rows([s.para_number for s in segs])
        self.para_heading = TextRows([s.para_heading for s in segs])
        self.p_para = Rows([s.p_para for s in segs], self.para_off[:-1].tolist())
        self.p_text = TextRows([s.p_text for s in segs])
        self.s_index = Rows([s.s_index for s in segs])
        self.s_text = TextRows([s.s_text for s in segs])
        # Dead rows: per segment, the passage mask a search must not return (None: all alive).
        self._dead_passages = [s.dead_passages(d) if len(d) else None for s, d in zip(segs, self.dead, strict=True)]
        self.n_dead_passages = sum(len(d) for d in self._dead_passages if d is not None)
        self._cache: dict[str, Any] = {}

    # --- sizes and rows ---------------------------------------------------------------

    def __len__(self) -> int:
        """Live passages."""
        return int(self.p_off[-1]) - self.n_dead_passages

    @property
    def paragraphs(self) -> int:
        return int(self.para_off[-1])

    def live_articles(self) -> np.ndarray:
        """Bool per article row: not replaced or deleted."""
        if "live" not in self._cache:
            live = np.ones(int(self.a_off[-1]), bool)
            for i, d in enumerate(self.dead):
                live[d + self.a_off[i]] = False
            self._cache["live"] = live
        arr: np.ndarray = self._cache["live"]
        return arr

    def dead_passage_rows(self) -> np.ndarray:
        """Global rows of dead passages (sorted)."""
        if "dead_rows" not in self._cache:
            parts = [d + self.p_off[i] for i, d in enumerate(self._dead_passages) if d is not None]
            self._cache["dead_rows"] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        arr: np.ndarray = self._cache["dead_rows"]
        return arr

    def para_id(self, row: int) -> str:
        return citation_id(self.article_ids[int(self.para_article[row])], int(self.para_number[row]))

    def para_ids(self) -> list[str]:
        """Citation ids of every live paragraph, in row order."""
        live = self.live_articles()
        out = []
        for s, seg in enumerate(self.segments):
            ids = list(seg.a_id)
            arts = np.asarray(seg.para_article)
            for a, n in zip(arts.tolist(), np.asarray(seg.para_number).tolist(), strict=True):
                if live[a + self.a_off[s]]:
                    out.append(citation_id(ids[a], n))
        return out

    def article_row(self, article_id: str) -> int | None:
        """The live row of an article (the newest segment that has it)."""
        for s in range(len(self.segments) - 1, -1, -1):
            row = self.segments[s].article_row(article_id)
            if row is not None:
                global_row = row + int(self.a_off[s])
                return global_row if self.live_articles()[global_row] else None
        return None

    def article_paragraphs(self, row: int) -> tuple[int, int]:
        """Paragraph rows [first, end) of an article row."""
        s = int(np.searchsorted(self.a_off, row, side="right")) - 1
        local = row - int(self.a_off[s])
        seg = self.segments[s]
        return int(seg.a_para[local]) + int(self.para_off[s]), int(seg.a_para[local + 1]) + int(self.para_off[s])

    def para_row(self, para_id: str) -> int | None:
        article_id, _, number = para_id.rpartition("#")
        row = self.article_row(article_id)
        if row is None or not number.isdecimal():
            return None
        first, end = self.article_paragraphs(row)
        numbers = self.para_number[np.arange(first, end)]
        hit = np.flatnonzero(numbers == int(number))
        return first + int(hit[0]) if len(hit) else None

    def passage_article(self) -> np.ndarray:
        """Each passage's article row (built once per index): what filters expand from."""
        if "passage_article" not in self._cache:
            parts = [s.passage_article().astype(np.int64) + self.a_off[i] for i, s in enumerate(self.segments)]
            self._cache["passage_article"] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        arr: np.ndarray = self._cache["passage_article"]
        return arr

    def article_dates(self) -> np.ndarray:
        """Each article's date as an integer (``2023-09`` → 20230900), built once per index."""
        if "dates" not in self._cache:
            parts = [np.asarray(s.a_date, np.int64) for s in self.segments]
            self._cache["dates"] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        arr: np.ndarray = self._cache["dates"]
        return arr

    def articles_by(self, field_name: str) -> dict[str, np.ndarray]:
        """Live article rows by the case-folded value of ``category`` or ``source``, built
        once per index and field."""
        key = f"by_{field_name}"
        if key not in self._cache:
            live = self.live_articles()
            rows: dict[str, list[int]] = {}
            for s, seg in enumerate(self.segments):
                texts = seg.a_category if field_name == "category" else seg.a_source
                for i, value in enumerate(texts):
                    if live[i + self.a_off[s]]:
                        rows.setdefault(value.casefold(), []).append(i + int(self.a_off[s]))
            self._cache[key] = {k: np.asarray(v, dtype=np.int64) for k, v in rows.items()}
        by: dict[str, np.ndarray] = self._cache[key]
        return by

    # --- vectors ----------------------------------------------------------------------

    def passage_top(
        self, qvec: np.ndarray, k: int, allowed: np.ndarray | None = None, shortlist: int = SHORTLIST
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` live passages (among ``allowed`` rows) nearest the question: global rows
        and similarities, best first."""
        qvec = np.asarray(qvec, np.float32)
        rows, sims = [], []
        for i, seg in enumerate(self.segments):
            mask = allowed[self.p_off[i] : self.p_off[i + 1]] if allowed is not None else None
            dead = self._dead_passages[i]
            if dead is not None:
                mask = np.ones(seg.passages, bool) if mask is None else mask.copy()
                mask[dead] = False
            r, s = seg.passage_top(qvec, k, shortlist, mask)
            rows.append(r + self.p_off[i])
            sims.append(s)
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        all_rows, all_sims = np.concatenate(rows), np.concatenate(sims)
        order = np.lexsort((all_rows, -all_sims))[:k]
        return all_rows[order], all_sims[order]

    def _by_segment(self, rows: np.ndarray, offsets: np.ndarray) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(segment, positions in ``rows``, local rows) for the segments ``rows`` fall in."""
        seg = np.searchsorted(offsets, rows, side="right") - 1
        for s in np.unique(seg).tolist():
            where = np.flatnonzero(seg == s)
            yield s, where, rows[where] - offsets[s]

    def sentence_bounds(self, paras: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """First and end sentence rows of each paragraph row."""
        paras = np.asarray(paras, np.int64)
        starts, ends = np.empty(len(paras), np.int64), np.empty(len(paras), np.int64)
        for s, where, local in self._by_segment(paras, self.para_off):
            ss = self.segments[s].sent_start
            starts[where] = np.asarray(ss[local]) + self.s_off[s]
            ends[where] = np.asarray(ss[local + 1]) + self.s_off[s]
        return starts, ends

    def sentence_rows(self, paras: np.ndarray) -> np.ndarray:
        starts, ends = self.sentence_bounds(paras)
        if not len(starts):
            return np.zeros(0, np.int64)
        return np.concatenate([np.arange(s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]).astype(
            np.int64
        )

    def sentence_scores(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        out = np.empty(len(rows), np.float32)
        for s, where, local in self._by_segment(rows, self.s_off):
            out[where] = self.segments[s].sentence_scores(local, qvec)
        return out

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        out = np.empty((len(rows), self.dim), np.float32)
        for s, where, local in self._by_segment(rows, self.s_off):
            out[where] = self.segments[s].sentence_vectors(local)
        return out

    def article_vector(self, row: int) -> np.ndarray:
        s = int(np.searchsorted(self.a_off, row, side="right")) - 1
        return self.segments[s].article_vector(row - int(self.a_off[s]))

    def article_similarities(self, row: int) -> np.ndarray:
        """Cosine of every article's vector (the normalised mean of its passage vectors)
        with article ``row``'s; dead articles get -inf."""
        vector = self.article_vector(row)
        sims = (
            np.concatenate([s.article_similarities(vector) for s in self.segments])
            if self.segments
            else np.zeros(0, np.float32)
        )
        sims[~self.live_articles()] = -np.inf
        return sims
