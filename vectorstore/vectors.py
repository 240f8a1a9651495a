"""The reader's copy of the committed vectors, laid out for exact search in memory.

Measured at 100,000 passages (728,000 sentences) on two cores: Chroma's query took
13 ms for 40 passages and 137 ms to fetch the sentences of ten paragraphs, and
returning sentence vectors made it load an HNSW graph of 1.5 GB. Here every passage
vector sits in one float32 matrix (a full scan is ~3 ms) and sentence vectors are
int8 with one scale per row (a quarter of the memory); sentences are scored only for
the paragraphs that passage vectors or BM25 put forward, which is a few hundred rows.

Rows are grouped by article, paragraphs by number and sentences by paragraph, so an
incremental update keeps the rows of unchanged articles as array slices. Each
article's :class:`~vectorstore.records.ArticleMeta`, each paragraph's heading and each
sentence's text are here too: a reader looks a citation up without asking Chroma.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .records import ArticleMeta, Records, StoredUnit, citation_id

_ARRAYS = ("para_article", "para_number", "sent_start", "p_vec", "p_para", "s_vec", "s_scale", "s_index")


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: cosine scores stay within ~0.002 of float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scale[scale == 0] = 1.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


@dataclass
class VectorIndex:
    article_ids: list[str]        # per article row
    article_meta: list[ArticleMeta]
    para_article: np.ndarray      # int32 per paragraph: its article row
    para_number: np.ndarray       # int32 per paragraph: its number in the article
    para_heading: list[str]
    sent_start: np.ndarray        # int64, paragraphs + 1: sentence rows of paragraph i are [start[i], start[i+1])
    p_vec: np.ndarray             # float32 passages × dim
    p_para: np.ndarray            # int32 per passage: its paragraph row
    p_text: list[str]
    s_vec: np.ndarray             # int8 sentences × dim
    s_scale: np.ndarray           # float32 per sentence
    s_index: np.ndarray           # int32 per sentence: its number in the paragraph
    s_text: list[str]
    _para_rows: dict[str, int] | None = field(default=None, repr=False)
    _article_rows: dict[str, int] | None = field(default=None, repr=False)
    _passage_article: np.ndarray | None = field(default=None, repr=False)
    _article_dates: np.ndarray | None = field(default=None, repr=False)
    _articles_by: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    _centroids: np.ndarray | None = field(default=None, repr=False)

    # --- building -------------------------------------------------------------

    @classmethod
    def empty(cls, dim: int) -> VectorIndex:
        return cls.from_records(Records(), dim)

    @classmethod
    def from_records(cls, records: Records, dim: int) -> VectorIndex:
        articles = sorted(records.articles, key=lambda r: r.article_id)
        arow = {r.article_id: i for i, r in enumerate(articles)}
        headings: dict[tuple[int, int], str] = {}
        for unit in records.passages + records.sentences:
            headings.setdefault((arow[unit.article_id], unit.paragraph), unit.heading)
        keys = sorted(headings)
        prow = {key: i for i, key in enumerate(keys)}

        def para_of(unit: StoredUnit) -> int:
            return prow[(arow[unit.article_id], unit.paragraph)]

        passages = sorted(records.passages, key=lambda u: (para_of(u), u.index))
        sentences = sorted(records.sentences, key=lambda u: (para_of(u), u.index))
        s_para = np.asarray([para_of(u) for u in sentences], dtype=np.int64)
        s_vec, s_scale = quantize(np.asarray([u.vector for u in sentences], np.float32).reshape(-1, dim))
        return cls(
            article_ids=[r.article_id for r in articles],
            article_meta=[r.meta for r in articles],
            para_article=np.asarray([a for a, _ in keys], dtype=np.int32),
            para_number=np.asarray([n for _, n in keys], dtype=np.int32),
            para_heading=[headings[key] for key in keys],
            sent_start=np.searchsorted(s_para, np.arange(len(keys) + 1)).astype(np.int64),
            p_vec=np.asarray([u.vector for u in passages], np.float32).reshape(-1, dim),
            p_para=np.asarray([para_of(u) for u in passages], dtype=np.int32),
            p_text=[u.text for u in passages],
            s_vec=s_vec,
            s_scale=s_scale,
            s_index=np.asarray([u.index for u in sentences], dtype=np.int32),
            s_text=[u.text for u in sentences],
        )

    def keep(self, article_ids: Iterable[str]) -> VectorIndex:
        """Only the rows of ``article_ids``, as slices of this index (nothing re-read)."""
        wanted = set(article_ids)
        a_keep = np.asarray([a in wanted for a in self.article_ids], dtype=bool)
        para_keep = a_keep[self.para_article]
        counts = np.diff(self.sent_start)
        s_keep = np.repeat(para_keep, counts)
        p_keep = para_keep[self.p_para]
        a_new = np.cumsum(a_keep) - 1
        para_new = np.cumsum(para_keep) - 1
        return VectorIndex(
            article_ids=[a for a, k in zip(self.article_ids, a_keep, strict=True) if k],
            article_meta=[m for m, k in zip(self.article_meta, a_keep, strict=True) if k],
            para_article=a_new[self.para_article[para_keep]].astype(np.int32),
            para_number=np.asarray(self.para_number[para_keep]),
            para_heading=[h for h, k in zip(self.para_heading, para_keep, strict=True) if k],
            sent_start=np.concatenate([[0], np.cumsum(counts[para_keep])]).astype(np.int64),
            p_vec=np.asarray(self.p_vec[p_keep]),
            p_para=para_new[self.p_para[p_keep]].astype(np.int32),
            p_text=[t for t, k in zip(self.p_text, p_keep, strict=True) if k],
            s_vec=np.asarray(self.s_vec[s_keep]),
            s_scale=np.asarray(self.s_scale[s_keep]),
            s_index=np.asarray(self.s_index[s_keep]),
            s_text=[t for t, k in zip(self.s_text, s_keep, strict=True) if k],
        )

    def plus(self, other: VectorIndex) -> VectorIndex:
        """Both indexes' rows in one (their articles must not overlap)."""
        na, npara = len(self.article_ids), len(self.para_heading)
        return VectorIndex(
            article_ids=self.article_ids + other.article_ids,
            article_meta=self.article_meta + other.article_meta,
            para_article=np.concatenate([self.para_article, other.para_article + na]).astype(np.int32),
            para_number=np.concatenate([self.para_number, other.para_number]).astype(np.int32),
            para_heading=self.para_heading + other.para_heading,
            sent_start=np.concatenate([self.sent_start, other.sent_start[1:] + self.sent_start[-1]]),
            p_vec=np.concatenate([self.p_vec, other.p_vec]),
            p_para=np.concatenate([self.p_para, other.p_para + npara]).astype(np.int32),
            p_text=self.p_text + other.p_text,
            s_vec=np.concatenate([self.s_vec, other.s_vec]),
            s_scale=np.concatenate([self.s_scale, other.s_scale]),
            s_index=np.concatenate([self.s_index, other.s_index]),
            s_text=self.s_text + other.s_text,
        )

    # --- reading --------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.p_text)

    @property
    def paragraphs(self) -> int:
        return len(self.para_heading)

    def para_id(self, row: int) -> str:
        return citation_id(self.article_ids[self.para_article[row]], int(self.para_number[row]))

    def para_ids(self) -> list[str]:
        return [self.para_id(i) for i in range(self.paragraphs)]

    def para_row(self, para_id: str) -> int | None:
        if self._para_rows is None:
            self._para_rows = {pid: i for i, pid in enumerate(self.para_ids())}
        return self._para_rows.get(para_id)

    def article_row(self, article_id: str) -> int | None:
        if self._article_rows is None:
            self._article_rows = {aid: i for i, aid in enumerate(self.article_ids)}
        return self._article_rows.get(article_id)

    def passage_article(self) -> np.ndarray:
        """Each passage's article row (built once per index): what filters expand from."""
        if self._passage_article is None:
            self._passage_article = self.para_article[self.p_para].astype(np.int64)
        return self._passage_article

    def article_dates(self) -> np.ndarray:
        """Each article's date as an integer (``2023-09`` → 20230900), built once per index."""
        if self._article_dates is None:
            self._article_dates = np.asarray([m.date_num for m in self.article_meta], dtype=np.int64)
        return self._article_dates

    def articles_by(self, field_name: str) -> dict[str, np.ndarray]:
        """Article rows by the case-folded value of an :class:`ArticleMeta` text field
        (``category``, ``source``), built once per index and field."""
        if field_name not in self._articles_by:
            rows: dict[str, list[int]] = {}
            for i, meta in enumerate(self.article_meta):
                rows.setdefault(str(getattr(meta, field_name)).casefold(), []).append(i)
            self._articles_by[field_name] = {k: np.asarray(v, dtype=np.int64) for k, v in rows.items()}
        return self._articles_by[field_name]

    def article_centroids(self) -> np.ndarray:
        """Per article, the normalised mean of its passage vectors (as each article record
        in Chroma holds it), built once per index; zero for an article without passages."""
        if self._centroids is None:
            dim = self.p_vec.shape[1]
            sums = np.zeros((len(self.article_ids), dim), np.float32)
            counts = np.bincount(self.passage_article(), minlength=len(self.article_ids))
            if len(self.p_vec):
                present = np.flatnonzero(counts)
                starts = np.concatenate([[0], np.cumsum(counts[present])[:-1]])
                sums[present] = np.add.reduceat(np.asarray(self.p_vec), starts, axis=0)
            means = sums / np.maximum(counts, 1)[:, None]
            norms = np.linalg.norm(means, axis=1)
            self._centroids = (means / np.where(norms > 0, norms, 1.0)[:, None]).astype(np.float32)
        return self._centroids

    def passage_scores(self, qvec: np.ndarray) -> np.ndarray:
        return self.p_vec @ np.asarray(qvec, dtype=np.float32)

    def sentence_rows(self, paras: np.ndarray) -> np.ndarray:
        starts, ends = self.sent_start[paras], self.sent_start[np.asarray(paras) + 1]
        if not len(starts):
            return np.zeros(0, np.int64)
        return np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])

    def sentence_scores(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        scores: np.ndarray = (self.s_vec[rows].astype(np.float32) @ np.asarray(qvec, np.float32)) * self.s_scale[rows]
        return scores

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        vectors: np.ndarray = self.s_vec[rows].astype(np.float32) * self.s_scale[rows][:, None]
        return vectors

    # --- files ----------------------------------------------------------------

    def save(self, directory: Path) -> None:
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))
        (directory / "texts.json").write_text(json.dumps(
            {"article_ids": self.article_ids, "article_meta": [m.to_metadata() for m in self.article_meta],
             "para_heading": self.para_heading, "p_text": self.p_text, "s_text": self.s_text},
            ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> VectorIndex:
        """Vectors are memory-mapped: only the pages a search touches become resident."""
        texts = json.loads((directory / "texts.json").read_text(encoding="utf-8"))
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r" if name.endswith("vec") else None)
                  for name in _ARRAYS}
        return cls(article_ids=texts["article_ids"],
                   article_meta=[ArticleMeta.from_metadata(m) for m in texts["article_meta"]],
                   para_heading=texts["para_heading"], p_text=texts["p_text"], s_text=texts["s_text"], **arrays)
