"""One immutable piece of the read index on disk, shared by every reader through the page cache.

A segment holds some articles with everything a reader needs about them, as flat files
that are written once, streamed, and never changed: each process maps the arrays a
search scans and reads scattered rows and texts with ``pread``, so the operating system
keeps one copy in its page cache for all readers on a host and a reader's own memory
stays small. The read index (:mod:`.readindex`) is a
list of segments — a large base and small deltas, one per ingest — plus, per segment,
the articles a later segment replaced or a removal deleted; a background merge folds
them together (like Lucene's segments).

Rows are grouped the same way at every level: articles, their paragraphs in order,
each paragraph's passages and sentences in order. Per level:

- articles:   ``a_id``, ``a_hash``, ``a_meta`` (JSON of :class:`ArticleMeta`), ``a_date``,
              ``a_category``, ``a_source``, ``a_committed``, ``a_para`` (first paragraph row,
              one more entry than articles), ``a_vec``/``a_scale`` (the article vector, int8),
              ``a_key``/``a_key_row`` (hashes of the ids, sorted, for lookups);
- paragraphs: ``para_article``, ``para_number``, ``para_heading``, ``sent_start``;
- passages:   ``p_para``, ``p_text``, ``p_codes.faiss`` (sign bits of the centred vectors:
              the shortlist), ``p_vec``/``p_scale`` (int8 per row with one scale: the
              shortlist rescored), ``p_f32`` (float32: the best rescored exactly);
- sentences:  ``s_index``, ``s_text``, ``s_vec``/``s_scale``;
- BM25 over the passages: :class:`~vectorstore.lexical.Lexicon`.

Arrays are raw little-endian files (dtype and shape in ``segment.json``); texts are one
UTF-8 blob and int64 offsets. ``segment.json`` is written last, after every file is on
the disk, and records each file's size: a segment cut short (a crash before the disk had
it) is found damaged when opened and built again from the store, never read as garbage.
Nothing of size N is held while writing: rows are appended batch by batch; the binary
codes and the BM25 matrix are written in a second pass over files already on disk.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import uuid
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from .lexical import Lexicon, LexiconWriter, index_text, merge_lexicons
from .records import ArticleMeta, ArticleRecord, Records, StoredUnit

# 4: BM25 as term frequencies and lengths, scored with the live statistics at query time
# (3 held weights finished when the segment was written: an index of it is built again).
FORMAT = 4
CHUNK = 65_536  # rows per pass over a file


# --- flat files ----------------------------------------------------------------------------


def key_of(text: str) -> np.uint64:
    """A 64-bit hash of an id or a term: what the sorted lookup tables hold."""
    key: np.uint64 = np.frombuffer(hashlib.blake2b(text.encode(), digest_size=8).digest(), dtype="<u8")[0]
    return key


def keys_of(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((key_of(t) for t in texts), dtype=np.uint64)


class RawWriter:
    """Appends rows of one dtype and row shape to a file."""

    def __init__(self, path: Path, dtype: Any, width: int = 0):
        self.path, self.dtype, self.width, self.rows = path, np.dtype(dtype), width, 0
        self._f = open(path, "wb")  # noqa: SIM115  (open across add() calls; close() closes it)

    def add(self, values: np.ndarray | Sequence[Any]) -> None:
        arr = np.ascontiguousarray(values, dtype=self.dtype)
        if self.width:
            arr = arr.reshape(-1, self.width)
        self._f.write(arr.tobytes())
        self.rows += len(arr)

    def close(self) -> dict[str, Any]:
        self._f.close()
        return {"dtype": self.dtype.str, "shape": [self.rows, self.width] if self.width else [self.rows]}


class TextsWriter:
    """Appends strings to a UTF-8 blob and their int64 end offsets."""

    def __init__(self, path: Path):
        self.path = path
        self._blob = open(path.with_suffix(".txt"), "wb")  # noqa: SIM115  (open across add() calls; close() closes it)
        self._ends = RawWriter(path.with_suffix(".off"), np.int64)
        self._size = 0
        self._ends.add([0])

    def add(self, texts: Iterable[str]) -> None:
        data = [t.encode() for t in texts]
        if not data:
            return
        self._blob.write(b"".join(data))
        self._ends.add(self._size + np.cumsum([len(d) for d in data], dtype=np.int64))
        self._size += sum(len(d) for d in data)

    def close(self) -> dict[str, Any]:
        self._blob.close()
        return {"texts": self._ends.close()["shape"][0] - 1}


def open_array(path: Path, spec: dict[str, Any]) -> np.ndarray:
    """A file :class:`RawWriter` wrote, memory-mapped (read-only)."""
    shape = tuple(spec["shape"])
    if not shape[0]:
        return np.zeros(shape, dtype=np.dtype(spec["dtype"]))
    return np.memmap(path, dtype=np.dtype(spec["dtype"]), mode="r", shape=shape)


def prefetch(path: Path) -> None:
    """Ask the kernel to read a file into the page cache in the background. Every search
    scans the binary codes and rescores thousands of int8 rows spread over the whole file:
    left to page faults on a cold cache, those are thousands of small disk reads per query
    (a fresh reader at 1M passages on a dropped page cache: search p95 131 ms without,
    60 ms with it)."""
    if path.exists() and hasattr(os, "posix_fadvise"):  # not on macOS
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        finally:
            os.close(fd)


class _File:
    """A read-only file read with ``pread``: nothing is mapped into the process.

    Mapping suits the arrays a search scans or samples densely. For rows picked here and
    there (the float32 rescoring, a passage's sentences, texts) it does not: each page
    fault maps a whole page-cache folio — on this kernel about 240 KB per 1.5 KB row — so
    a reader's resident set would grow towards the size of the files. ``pread`` copies
    just the bytes asked for, and the page cache stays shared by every reader."""

    def __init__(self, path: Path, scattered: bool):
        self.fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self.fd)
        if scattered and hasattr(os, "posix_fadvise"):  # searches: no read-ahead past a row
            os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_RANDOM)

    def read(self, start: int, end: int) -> bytes:
        chunks = []
        while start < end:  # one pread returns at most ~2 GiB
            chunk = os.pread(self.fd, end - start, start)
            if not chunk:
                raise OSError(f"{end - start} bytes missing at the end of a segment file")
            chunks.append(chunk)
            start += len(chunk)
        return b"".join(chunks)


class FileRows:
    """Rows of a :class:`RawWriter` file, read on demand (see :class:`_File`); indexed
    like the leading axis of an array: an int, a slice or an integer array."""

    def __init__(self, path: Path, spec: dict[str, Any], scattered: bool = True):
        self.dtype = np.dtype(spec["dtype"])
        self.shape: tuple[int, ...] = tuple(spec["shape"])
        self._width = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize
        self._file = _File(path, scattered) if self.shape[0] else None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: int | slice | np.ndarray) -> np.ndarray:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return self[np.arange(start, stop, step)]
            return self._run(start, max(start, stop))
        if isinstance(index, (int, np.integer)):
            row: np.ndarray = self[np.asarray([index + len(self) if index < 0 else index])][0]
            return row
        if np.asarray(index).dtype == bool:
            raise TypeError("index rows by number, not by a mask")
        rows = np.asarray(index, np.int64).reshape(-1)
        if not len(rows):
            return np.zeros((0, *self.shape[1:]), self.dtype)
        if rows.min() < 0 or rows.max() >= len(self):
            raise IndexError(f"row out of range 0..{len(self) - 1}")
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        # One read per run of consecutive rows: an article's sentences lie side by side.
        breaks = np.flatnonzero(np.diff(ordered) != 1) + 1
        runs = np.split(ordered, breaks)
        out = np.empty((len(rows), *self.shape[1:]), self.dtype)
        out[order] = np.concatenate([self._run(int(run[0]), int(run[-1]) + 1) for run in runs])
        return out

    def _run(self, start: int, stop: int) -> np.ndarray:
        if stop <= start or self._file is None:
            return np.zeros((0, *self.shape[1:]), self.dtype)
        data = self._file.read(start * self._width, stop * self._width)
        return np.frombuffer(data, self.dtype).reshape(stop - start, *self.shape[1:])


class Texts(Sequence[str]):
    """Strings from a blob :class:`TextsWriter` wrote, read (see :class:`_File`) and
    decoded on access."""

    def __init__(self, path: Path, scattered: bool = False):
        size = path.with_suffix(".txt").stat().st_size
        self._blob = _File(path.with_suffix(".txt"), scattered) if size else None
        n = path.with_suffix(".off").stat().st_size // 8
        self._ends = np.memmap(path.with_suffix(".off"), dtype=np.int64, mode="r", shape=(n,))

    def __len__(self) -> int:
        return len(self._ends) - 1

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> list[str]: ...
    def __getitem__(self, i: int | slice) -> str | list[str]:
        if isinstance(i, slice):
            start, stop, step = i.indices(len(self))
            if step != 1:
                return [self[j] for j in range(start, stop, step)]
            return self._run(start, max(start, stop))
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        return self._read(int(self._ends[i]), int(self._ends[i + 1])).decode()

    def _read(self, start: int, end: int) -> bytes:
        return self._blob.read(start, end) if self._blob is not None and end > start else b""

    def _run(self, start: int, stop: int) -> list[str]:
        """Texts ``start:stop`` from one read: a paragraph's sentences lie side by side."""
        ends = np.asarray(self._ends[start : stop + 1]).tolist()
        blob = self._read(ends[0], ends[-1]) if ends else b""
        return [blob[a - ends[0] : b - ends[0]].decode() for a, b in itertools.pairwise(ends)]

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self), CHUNK):
            yield from self._run(start, min(start + CHUNK, len(self)))


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: cosine scores stay within ~0.002 of float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scale[scale == 0] = 1.0
    return np.round(vectors / scale[:, None]).astype(np.int8), scale.astype(np.float32)


def binary_codes(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Sign bits of the centred vectors (e5 vectors share a large common direction: the
    signs of the raw vectors would say little)."""
    return np.packbits(np.asarray(vectors, np.float32) > center, axis=1)


# --- what a segment is written from --------------------------------------------------------------


@dataclass
class ArticleRows:
    """One article with its rows in index order: paragraphs by number, passages and
    sentences by paragraph and position (vectors float32, normalised)."""

    article_id: str
    article_hash: str
    meta: ArticleMeta
    committed: float
    para_number: np.ndarray  # int32
    para_heading: list[str]
    p_para: np.ndarray  # int32: the passage's paragraph, 0-based within the article
    p_text: list[str]
    p_vec: np.ndarray  # float32
    s_para: np.ndarray
    s_index: np.ndarray
    s_text: list[str]
    s_vec: np.ndarray  # float32, or int8 with s_scale (a merge copies it)
    s_scale: np.ndarray | None = None


def article_rows(records: Records) -> Iterator[ArticleRows]:
    """The committed records Chroma returned, grouped and ordered by article (by id)."""
    by_article: dict[str, tuple[list[StoredUnit], list[StoredUnit]]] = {}
    for unit in records.passages:
        by_article.setdefault(unit.article_id, ([], []))[0].append(unit)
    for unit in records.sentences:
        by_article.setdefault(unit.article_id, ([], []))[1].append(unit)
    for record in sorted(records.articles, key=lambda r: r.article_id):
        yield rows_of(record, *by_article.get(record.article_id, ([], [])))


def rows_of(record: ArticleRecord, passages: list[StoredUnit], sentences: list[StoredUnit]) -> ArticleRows:
    headings: dict[int, str] = {}
    for unit in passages + sentences:
        headings.setdefault(unit.paragraph, unit.heading)
    numbers = sorted(headings)
    prow = {n: i for i, n in enumerate(numbers)}
    passages = sorted(passages, key=lambda u: (u.paragraph, u.index))
    sentences = sorted(sentences, key=lambda u: (u.paragraph, u.index))
    dim = len(passages[0].vector) if passages else len(sentences[0].vector) if sentences else 0
    return ArticleRows(
        article_id=record.article_id,
        article_hash=record.article_hash,
        meta=record.meta,
        committed=record.committed,
        para_number=np.asarray(numbers, np.int32),
        para_heading=[headings[n] for n in numbers],
        p_para=np.asarray([prow[u.paragraph] for u in passages], np.int32),
        p_text=[u.text for u in passages],
        p_vec=np.asarray([u.vector for u in passages], np.float32).reshape(-1, dim),
        s_para=np.asarray([prow[u.paragraph] for u in sentences], np.int32),
        s_index=np.asarray([u.index for u in sentences], np.int32),
        s_text=[u.text for u in sentences],
        s_vec=np.asarray([u.vector for u in sentences], np.float32).reshape(-1, dim),
    )


# --- writing ---------------------------------------------------------------------------------------

_ARRAYS: dict[str, tuple[Any, int]] = {
    # name: (dtype, 0 for a column or "dim" rows)
    "a_date": (np.int64, 0),
    "a_committed": (np.float64, 0),
    "a_para": (np.int64, 0),
    "a_scale": (np.float32, 0),
    "para_article": (np.int32, 0),
    "para_number": (np.int32, 0),
    "sent_start": (np.int64, 0),
    "p_para": (np.int32, 0),
    "p_scale": (np.float32, 0),
    "s_index": (np.int32, 0),
    "s_scale": (np.float32, 0),
}
_VECTORS = ("a_vec", "p_vec", "s_vec")  # int8
_TEXTS = ("a_id", "a_hash", "a_meta", "a_category", "a_source", "para_heading", "p_text", "s_text")


class DamagedSegment(ValueError):
    """A segment's files are cut short or garbled, or of a format this code does not read.
    The index is derived: it is built again."""


def synced(path: Path) -> None:
    """``path`` on the disk, not only in the page cache, before a manifest may name it."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def save_synced(path: Path, array: np.ndarray) -> None:
    np.save(path, array)
    synced(path)


def new_segment_name() -> str:
    return f"seg-{uuid.uuid4().hex[:12]}"


class SegmentWriter:
    """Writes one segment into ``directory`` (a new folder), articles appended in batches."""

    def __init__(self, directory: Path, dim: int, center: np.ndarray | None = None):
        directory.mkdir(parents=True)
        self.directory, self.dim = directory, dim
        self._arrays = {
            name: RawWriter(directory / name, dtype, dim if width else 0) for name, (dtype, width) in _ARRAYS.items()
        }
        self._arrays.update({name: RawWriter(directory / name, np.int8, dim) for name in _VECTORS})
        self._arrays["p_f32"] = RawWriter(directory / "p_f32", np.float32, dim)
        self._texts = {name: TextsWriter(directory / name) for name in _TEXTS}
        self._lexicon = LexiconWriter(directory / "bm25")
        self._sum = np.zeros(dim, np.float64)  # of the passage vectors: the centre of their codes
        self._center = center
        self.articles = self.paragraphs = self.passages = self.sentences = 0
        self.max_committed = 0.0

    def add(self, batch: Iterable[ArticleRows]) -> None:
        batch = list(batch)
        if not batch:
            return
        a = self._arrays
        p_f32, s_vecs, s_scales, a_vecs, a_scales = [], [], [], [], []
        para_article, para_number, sent_start, p_para, s_index = [], [], [], [], []
        headings, p_texts, s_texts, lex_texts = [], [], [], []
        for art in batch:
            row = self.articles
            n_para = len(art.para_number)
            a["a_para"].add([self.paragraphs])
            para_article.append(np.full(n_para, row, np.int32))
            para_number.append(art.para_number)
            counts = np.bincount(art.s_para, minlength=n_para) if n_para else np.zeros(0, np.int64)
            sent_start.append(self.sentences + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64))
            p_para.append(art.p_para.astype(np.int32) + self.paragraphs)
            s_index.append(art.s_index)
            headings += art.para_heading
            p_texts += art.p_text
            s_texts += art.s_text
            title = art.meta.title
            lex_texts += [
                index_text(t, {"title": title, "heading": art.para_heading[p]})
                for t, p in zip(art.p_text, art.p_para.tolist(), strict=True)
            ]
            sv, ss = (art.s_vec, art.s_scale) if art.s_scale is not None else quantize(art.s_vec)
            p_f32.append(np.asarray(art.p_vec, np.float32).reshape(-1, self.dim))
            s_vecs.append(sv)
            s_scales.append(ss)
            mean = p_f32[-1].mean(axis=0) if len(art.p_vec) else np.zeros(self.dim, np.float32)
            q, sc = quantize((mean / (float(np.linalg.norm(mean)) or 1.0))[None, :])
            a_vecs.append(q[0])
            a_scales.append(float(sc[0]))
            self.articles += 1
            self.paragraphs += n_para
            self.passages += len(art.p_text)
            self.sentences += len(art.s_text)
            self.max_committed = max(self.max_committed, art.committed)
        a["a_date"].add([art.meta.date_num for art in batch])
        a["a_committed"].add([art.committed for art in batch])
        a["a_vec"].add(np.stack(a_vecs))
        a["a_scale"].add(a_scales)
        a["para_article"].add(np.concatenate(para_article))
        a["para_number"].add(np.concatenate(para_number))
        a["sent_start"].add(np.concatenate(sent_start))
        a["p_para"].add(np.concatenate(p_para))
        vectors = np.concatenate(p_f32)
        p_vec, p_scale = quantize(vectors)
        a["p_f32"].add(vectors)
        a["p_vec"].add(p_vec)
        a["p_scale"].add(p_scale)
        self._sum += vectors.astype(np.float64).sum(axis=0)
        a["s_index"].add(np.concatenate(s_index))
        a["s_vec"].add(np.concatenate(s_vecs).reshape(-1, self.dim))
        a["s_scale"].add(np.concatenate(s_scales))
        t = self._texts
        t["a_id"].add(art.article_id for art in batch)
        t["a_hash"].add(art.article_hash for art in batch)
        t["a_meta"].add(json.dumps(art.meta.to_metadata(), ensure_ascii=False) for art in batch)
        t["a_category"].add(art.meta.category for art in batch)
        t["a_source"].add(art.meta.source for art in batch)
        t["para_heading"].add(headings)
        t["p_text"].add(p_texts)
        t["s_text"].add(s_texts)
        self._lexicon.add(lex_texts)

    def finish(self, lexicons: Sequence[tuple[Lexicon, np.ndarray]] | None = None) -> dict[str, Any]:
        """Close the files, write the codes, the id table and BM25's term frequencies (of
        the texts added, or ``lexicons`` merged as they are)."""
        a = self._arrays
        a["a_para"].add([self.paragraphs])
        a["sent_start"].add([self.sentences])
        specs = {name: w.close() for name, w in a.items()}
        for w in self._texts.values():
            w.close()
        center = self._center if self._center is not None else ((self._sum / max(self.passages, 1)).astype(np.float32))
        np.save(self.directory / "center.npy", center)
        self._write_codes(center, specs["p_f32"])
        self._write_keys()
        if lexicons is not None:
            self._lexicon.abandon()
            merge_lexicons(lexicons, self.directory / "bm25")
        else:
            self._lexicon.finish()
        meta = {
            "format": FORMAT,
            "dim": self.dim,
            "articles": self.articles,
            "paragraphs": self.paragraphs,
            "passages": self.passages,
            "sentences": self.sentences,
            "max_committed": self.max_committed,
            "arrays": specs,
            "files": _flushed(self.directory),
        }
        (self.directory / "segment.json").write_text(json.dumps(meta))
        synced(self.directory / "segment.json")
        fsync_dir(self.directory)
        return meta

    def abandon(self) -> None:
        for w in [*self._arrays.values()]:
            w._f.close()
        for t in self._texts.values():
            t._blob.close()
            t._ends._f.close()
        self._lexicon.abandon()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _write_codes(self, center: np.ndarray, spec: dict[str, Any]) -> None:
        import faiss

        index = faiss.IndexBinaryFlat(self.dim)
        vectors = open_array(self.directory / "p_f32", spec)
        for start in range(0, len(vectors), CHUNK):
            index.add(binary_codes(np.asarray(vectors[start : start + CHUNK]), center))
        del vectors
        faiss.write_index_binary(index, str(self.directory / "p_codes.faiss"))

    def _write_keys(self) -> None:
        ids = Texts(self.directory / "a_id")
        keys = keys_of(ids)
        order = np.argsort(keys, kind="stable")
        np.save(self.directory / "a_key.npy", keys[order])
        np.save(self.directory / "a_key_row.npy", order.astype(np.int32))


# --- reading ---------------------------------------------------------------------------------------


class Segment:
    """A written segment, opened: scanned arrays memory-mapped, scattered rows read on demand."""

    def __init__(self, directory: Path):
        import faiss

        self.directory = directory
        self.name = directory.name
        try:
            meta = json.loads((directory / "segment.json").read_bytes())
        except ValueError as exc:  # cut short or garbled
            raise DamagedSegment(f"{directory.name}/segment.json: {exc}") from exc
        if meta.get("format") != FORMAT:
            raise DamagedSegment(f"{directory.name} is of format {meta.get('format')}, not {FORMAT}")
        for name, size in meta.get("files", {}).items():
            actual = (directory / name).stat().st_size
            if actual != size:
                raise DamagedSegment(f"{directory.name}/{name} holds {actual} bytes, not {size}")
        self.dim: int = meta["dim"]
        self.articles: int = meta["articles"]
        self.paragraphs: int = meta["paragraphs"]
        self.passages: int = meta["passages"]
        self.sentences: int = meta["sentences"]
        self.max_committed: float = meta["max_committed"]
        arrays = {
            name: open_array(directory / name, spec)
            for name, spec in meta["arrays"].items()
            if name not in ("p_f32", "s_vec")
        }
        self.a_date, self.a_committed, self.a_para = arrays["a_date"], arrays["a_committed"], arrays["a_para"]
        self.a_vec, self.a_scale = arrays["a_vec"], arrays["a_scale"]
        self.para_article, self.para_number = arrays["para_article"], arrays["para_number"]
        self.sent_start = arrays["sent_start"]
        self.p_para, self.p_vec, self.p_scale = arrays["p_para"], arrays["p_vec"], arrays["p_scale"]
        self.s_index, self.s_scale = arrays["s_index"], arrays["s_scale"]
        self.p_f32, self.s_vec = (FileRows(directory / name, meta["arrays"][name]) for name in ("p_f32", "s_vec"))
        self.a_id, self.a_hash = Texts(directory / "a_id"), Texts(directory / "a_hash")
        self.a_meta = Texts(directory / "a_meta")
        self.a_category, self.a_source = Texts(directory / "a_category"), Texts(directory / "a_source")
        self.para_heading = Texts(directory / "para_heading")
        self.p_text, self.s_text = Texts(directory / "p_text", True), Texts(directory / "s_text", True)
        self.a_key = np.load(directory / "a_key.npy", mmap_mode="r")
        self.a_key_row = np.load(directory / "a_key_row.npy", mmap_mode="r")
        self.center = np.load(directory / "center.npy")
        self.codes = (
            faiss.read_index_binary(str(directory / "p_codes.faiss"), faiss.IO_FLAG_MMAP_IFC) if self.passages else None
        )
        self.lexicon = Lexicon(directory / "bm25")
        self._cache: dict[str, Any] = {}
        for name in ("p_codes.faiss", "p_vec"):
            prefetch(directory / name)

    # --- rows ----------------------------------------------------------------------------

    def article_row(self, article_id: str) -> int | None:
        key = key_of(article_id)
        i = int(np.searchsorted(self.a_key, key))
        while i < len(self.a_key) and self.a_key[i] == key:
            row = int(self.a_key_row[i])
            if self.a_id[row] == article_id:
                return row
            i += 1
        return None

    def passage_article(self) -> np.ndarray:
        """Each passage's article row (int32), computed once per segment."""
        if "passage_article" not in self._cache:
            self._cache["passage_article"] = np.asarray(self.para_article)[np.asarray(self.p_para)]
        arr: np.ndarray = self._cache["passage_article"]
        return arr

    def dead_passages(self, dead_articles: np.ndarray) -> np.ndarray:
        """Passage rows of the given article rows (an article's passages are contiguous)."""
        if not len(dead_articles):
            return np.zeros(0, np.int64)
        bounds = self._passage_bounds()
        a_para = np.asarray(self.a_para)
        dead = np.asarray(dead_articles, np.int64)
        starts, ends = bounds[a_para[dead]], bounds[a_para[dead + 1]]
        return (
            np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]).astype(
                np.int64
            )
            if len(starts)
            else np.zeros(0, np.int64)
        )

    def counts_of(self, rows: np.ndarray) -> tuple[int, int, int]:
        """Paragraphs (as each article's metadata counts them), passages and sentences of
        the given article rows."""
        rows = np.asarray(rows, np.int64)
        if not len(rows):
            return 0, 0, 0
        if "n_paragraphs" not in self._cache:
            self._cache["n_paragraphs"] = np.asarray(
                [ArticleMeta.from_metadata(json.loads(m)).n_paragraphs for m in self.a_meta], np.int64
            )
        bounds = self._passage_bounds()
        a_para, sent_start = np.asarray(self.a_para), np.asarray(self.sent_start)
        passages = bounds[a_para[rows + 1]] - bounds[a_para[rows]]
        sentences = sent_start[a_para[rows + 1]] - sent_start[a_para[rows]]
        return int(self._cache["n_paragraphs"][rows].sum()), int(passages.sum()), int(sentences.sum())

    # --- vectors -------------------------------------------------------------------------

    def passage_top(
        self, qvec: np.ndarray, k: int, shortlist: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` passages nearest ``qvec`` among ``allowed`` rows (None: all), best first,
        with their float32 similarities: the ``shortlist`` nearest by Hamming distance of the
        binary codes, rescored with the int8 vectors, the best ``2k`` of those with float32.
        A segment of no more than ``shortlist`` rows skips the binary codes."""
        n = self.passages
        if not n or k <= 0 or (allowed is not None and not allowed.any()):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if n <= shortlist or self.codes is None:
            rows = np.flatnonzero(allowed) if allowed is not None else np.arange(n)
        else:
            import faiss

            params = None
            if allowed is not None:
                bitmap = np.packbits(allowed, bitorder="little")
                selector = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bitmap))
                # faiss's stub lists only the SWIG __init__, not the keyword one its Python wrapper installs
                params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            # One question at a time is not faster on more threads, and faiss's idle OpenMP
            # team would spin-wait against the embedder's (a runtime of its own). The
            # setting is per calling thread: the bot searches from a pool of them.
            faiss.omp_set_num_threads(1)
            _, found = self.codes.search(binary_codes(qvec[None, :], self.center), shortlist, params=params)
            rows = np.sort(found[0][found[0] >= 0])
        # int8 first, float32 for the best 2k only: a small delta segment is not read whole.
        coarse = self.passage_scores(rows, qvec)
        keep = min(2 * k, len(rows))
        rows = np.sort(rows[np.argpartition(-coarse, keep - 1)[:keep]])
        scores: np.ndarray = np.asarray(self.p_f32[rows]) @ np.asarray(qvec, np.float32)
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((rows[top], -scores[top]))]
        return rows[top].astype(np.int64), scores[top]

    def passage_scores(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        """int8 similarities (within ~0.002 of float32)."""
        scores: np.ndarray = (np.asarray(self.p_vec[rows], np.float32) @ np.asarray(qvec, np.float32)) * self.p_scale[
            rows
        ]
        return scores

    def sentence_scores(self, rows: np.ndarray, qvec: np.ndarray) -> np.ndarray:
        scores: np.ndarray = (np.asarray(self.s_vec[rows], np.float32) @ np.asarray(qvec, np.float32)) * self.s_scale[
            rows
        ]
        return scores

    def sentence_vectors(self, rows: np.ndarray) -> np.ndarray:
        vectors: np.ndarray = np.asarray(self.s_vec[rows], np.float32) * np.asarray(self.s_scale[rows])[:, None]
        return vectors

    def article_similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine of every article vector with ``vector`` (a float32 unit vector)."""
        out = np.empty(self.articles, np.float32)
        for start in range(0, self.articles, CHUNK):
            block = np.asarray(self.a_vec[start : start + CHUNK], np.float32)
            out[start : start + len(block)] = (block @ vector) * self.a_scale[start : start + len(block)]
        return out

    def article_vector(self, row: int) -> np.ndarray:
        vector: np.ndarray = np.asarray(self.a_vec[row], np.float32) * float(self.a_scale[row])
        return vector

    # --- copying out -----------------------------------------------------------------------

    def rows(self, article: int) -> ArticleRows:
        """One article's rows as they are stored (int8 vectors with their scales)."""
        p0, p1 = int(self.a_para[article]), int(self.a_para[article + 1])
        s0, s1 = int(self.sent_start[p0]), int(self.sent_start[p1])
        pa = self._passage_bounds()
        q0, q1 = int(pa[p0]), int(pa[p1])
        return ArticleRows(
            article_id=self.a_id[article],
            article_hash=self.a_hash[article],
            meta=ArticleMeta.from_metadata(json.loads(self.a_meta[article])),
            committed=float(self.a_committed[article]),
            para_number=np.asarray(self.para_number[p0:p1]),
            para_heading=self.para_heading[p0:p1],
            p_para=np.asarray(self.p_para[q0:q1]) - p0,
            p_text=self.p_text[q0:q1],
            p_vec=np.asarray(self.p_f32[q0:q1]),
            s_para=np.repeat(np.arange(p1 - p0, dtype=np.int32), np.diff(np.asarray(self.sent_start[p0 : p1 + 1]))),
            s_index=np.asarray(self.s_index[s0:s1]),
            s_text=self.s_text[s0:s1],
            s_vec=np.asarray(self.s_vec[s0:s1]),
            s_scale=np.asarray(self.s_scale[s0:s1]),
        )

    def _passage_bounds(self) -> np.ndarray:
        """First passage row of each paragraph (one more entry than paragraphs)."""
        if "p_bounds" not in self._cache:
            self._cache["p_bounds"] = np.searchsorted(np.asarray(self.p_para), np.arange(self.paragraphs + 1))
        arr: np.ndarray = self._cache["p_bounds"]
        return arr


def merge_segments(sources: Sequence[tuple[Segment, np.ndarray]], directory: Path, batch: int = 2000) -> dict[str, Any]:
    """One segment of the live articles of ``sources`` ((segment, its dead article rows)),
    in order: rows, vectors and BM25's term frequencies copied as they are (its statistics
    are the live passages', counted at query time), so every score is the same after the
    merge; the codes keep the centre of the largest source."""
    dim = sources[0][0].dim
    largest = max(sources, key=lambda s: s[0].passages)[0]
    writer = SegmentWriter(directory, dim, center=largest.center)
    try:
        keep_docs = []
        for seg, dead in sources:
            alive = np.ones(seg.articles, bool)
            alive[dead] = False
            rows = np.flatnonzero(alive)
            for start in range(0, len(rows), batch):
                writer.add(seg.rows(int(a)) for a in rows[start : start + batch])
            keep_docs.append(alive[seg.passage_article()] if seg.passages else np.zeros(0, bool))
        return writer.finish(lexicons=[(seg.lexicon, keep) for (seg, _), keep in zip(sources, keep_docs, strict=True)])
    except BaseException:
        writer.abandon()
        raise


def _flushed(directory: Path) -> dict[str, int]:
    """Every file of a written segment synced to the disk, by its path in the segment, with
    its size."""
    sizes = {}
    for path in sorted(directory.rglob("*")):
        if path.is_dir():
            fsync_dir(path)
        else:
            synced(path)
            sizes[path.relative_to(directory).as_posix()] = path.stat().st_size
    return sizes


def fsync_dir(path: Path) -> None:
    """A rename or a new file in ``path`` on the disk (a no-op where folders cannot be synced)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
