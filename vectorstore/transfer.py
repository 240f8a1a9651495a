"""Moving an index between stores without re-embedding: export to JSONL, import from it.

The export holds the live generation's records with their vectors and the pointer's
metadata (embedder, calibration), so an embedded store can move to a Chroma server (or
back) and answer exactly as before. Its last line counts the records, so an import
refuses an export that was cut off (a full disk, ``| head``) instead of replacing the
index with part of it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

import numpy as np

from .chroma import Chroma
from .embeddings import VectorEmbeddings
from .errors import StoreError
from .generations import KINDS, Generations, Kind
from .publish import IMPORTED, switch
from .writer import WRITE_BATCH, RawRecord, Writer

FORMAT = 2
FORMATS = (1, 2)  # 1: before the closing counts; read without that check
END = "absatz_export_end"


def export(chroma: Chroma, out: TextIO) -> dict[str, int]:
    pointer = Generations(chroma).read()
    writer = Writer.live(chroma)
    meta = {"embedder": pointer.embedder, "dim": pointer.dim, "last_ingest_summary": pointer.last_ingest_summary}
    out.write(json.dumps({"absatz_export": FORMAT, "meta": meta}) + "\n")
    counts: dict[str, int] = {}
    versions: dict[str, set[tuple[object, object]]] = {}  # (article id, hash) each kind holds
    held, committed = writer.unit_counts(), _committed(writer)
    for kind in KINDS:
        counts[kind], versions[kind] = 0, set()
        for batch in writer.records(kind, WRITE_BATCH):
            for record in batch:
                row = {"kind": kind, **record, "embedding": [round(x, 7) for x in record["embedding"]]}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts[kind] += 1
                versions[kind].add((record["metadata"].get("article_id"), record["metadata"].get("article_hash")))
    # Kinds are read one after another, and each page by its place: an ingest meanwhile
    # (the watcher, a feed) left a commit record whose passages were read before they
    # existed (such a backup exported fine and failed to import), or deleted records and
    # so moved others past a page already read (an untouched article lost passages).
    if (
        writer.unit_counts() != held
        or _committed(writer) != committed
        or committed != versions["articles"]
        or _without_units(committed, versions)
    ):
        raise StoreError("the corpus changed while it was exported (an ingest ran meanwhile); export again")
    out.write(json.dumps({END: counts}) + "\n")
    return counts


def _without_units(articles: set[tuple[object, object]], versions: dict[str, set[tuple[object, object]]]) -> list[str]:
    """The ids of the article versions whose passages or sentences ``versions`` lacks."""
    return sorted(str(aid) for aid, _ in articles - (versions["passages"] & versions["sentences"]))


def _committed(writer: Writer) -> set[tuple[object, object]]:
    """Every committed article version, as (id, hash)."""
    return {(aid, record.article_hash) for aid, record in writer.committed_articles().items()}


def _is_record(row: dict[str, object], kind: Kind, dim: int) -> bool:
    """Whether ``row`` is a record Chroma takes as it is (a vector of the export's
    dimension, a flat metadata mapping) that the index can read: the article and version
    it belongs to, and where it sits. One that is not would fail deep in Chroma or numpy,
    naming no line, or be imported and never found (an index that finds nothing, its
    predecessor dropped)."""
    metadata, embedding = row["metadata"], row["embedding"]
    vector = np.asarray(embedding) if isinstance(embedding, list) else None  # numbers: a numeric dtype
    return (
        isinstance(row["id"], str)
        and bool(row["id"])
        and isinstance(row["document"], str)
        and isinstance(metadata, dict)
        and all(isinstance(v, str | int | float | bool) or v is None for v in metadata.values())
        and all(isinstance(metadata.get(key), str) and metadata[key] for key in ("article_id", "article_hash"))
        and all(_count(metadata.get(key)) for key in _COUNTS[kind])
        and all(_count(metadata[key]) for key in _OPTIONAL_COUNTS if key in metadata)
        and vector is not None
        and vector.shape == (dim,)
        and vector.dtype.kind in "fi"
        and bool(np.isfinite(vector).all())  # JSON's NaN: Chroma's validation error named no line
    )


# The numbers each kind's records carry, whole and of a sane size (2**70 paragraphs had
# been imported, and every `absatz stats` after it was an OverflowError).
_COUNTS: dict[Kind, tuple[str, ...]] = {"passages": ("paragraph",), "sentences": ("paragraph",), "articles": ()}
_OPTIONAL_COUNTS = ("index", "n_paragraphs")  # records of older versions may lack them
_MOST = 10_000_000


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MOST


def _batches(lines: Iterable[str], path: Path, end: dict[str, int], dim: int) -> Iterator[tuple[Kind, list[RawRecord]]]:
    """The records in batches of one kind; the closing counts, when read, go into
    ``end``. Every vector has ``dim`` numbers."""
    kind: Kind | None = None
    batch: list[RawRecord] = []
    ids: set[str] = set()  # the batch's
    for n, line in enumerate(lines, start=2):
        if end:
            raise StoreError(f"{path}:{n}: a line after the export's closing counts")
        try:
            row = json.loads(line)
            if isinstance(row, dict) and END in row:
                end.update({k: int(v) for k, v in row[END].items()})
                end.setdefault("", 0)  # closing counts read, even if empty
                continue
            row_kind = row["kind"]
            if row_kind not in KINDS:
                raise KeyError(row_kind)
            if not _is_record(row, row_kind, dim):
                raise ValueError(row_kind)
            record = RawRecord(
                id=row["id"], document=row["document"], metadata=row["metadata"], embedding=row["embedding"]
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError, OverflowError):
            raise StoreError(f"{path}:{n}: not an absatz export record") from None
        if row_kind != kind or len(batch) >= WRITE_BATCH:
            if kind is not None and batch:
                yield kind, batch
            kind, batch, ids = row_kind, [], set()
        if record["id"] in ids:  # Chroma refuses the batch ("Expected IDs to be unique"), naming no line
            raise StoreError(f"{path}:{n}: a second record {record['id']!r}")
        ids.add(record["id"])
        batch.append(record)
    if kind is not None and batch:
        yield kind, batch


def import_into(chroma: Chroma, path: Path, embedder_named: Callable[[str], VectorEmbeddings]) -> dict[str, int]:
    """Load an export into a new generation of the store and switch to it when complete.

    The new generation is published like any write (the export's embedder, loaded by
    ``embedder_named``, calibrates it), so readers find its read index ready."""
    with path.open(encoding="utf-8") as f:
        try:
            head = json.loads(f.readline())
            meta = head["meta"]
            if head.get("absatz_export") not in FORMATS or not isinstance(meta.get("embedder"), str):
                raise KeyError
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            raise StoreError(f"{path}:1: not an absatz export (first line must be the export header)") from None
        generations = Generations(chroma)
        generation = generations.new_generation()
        writer = Writer(chroma, generations.create(generation))
        counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        versions: dict[str, set[tuple[object, object]]] = {kind: set() for kind in KINDS}
        try:
            embedder = embedder_named(meta["embedder"])
            dim = meta.get("dim")
            if isinstance(dim, int) and dim > 0 and dim != embedder.dim:
                raise StoreError(
                    f"{path}:1: the export's vectors have {dim} numbers, its embedder {meta['embedder']} gives "
                    f"{embedder.dim}; nothing was imported"
                )
            try:
                end: dict[str, int] = {}
                for kind, rows in _batches(f, path, end, embedder.dim):
                    writer.add_records(kind, rows)
                    counts[kind] += len(rows)
                    versions[kind].update((r["metadata"]["article_id"], r["metadata"]["article_hash"]) for r in rows)
            except UnicodeDecodeError:
                raise StoreError(f"{path}: not UTF-8 text") from None
            _check_complete(path, head["absatz_export"], counts, end)
            bare = _without_units(versions["articles"], versions)
            if bare:
                raise StoreError(
                    f"{path}: article {bare[0]} has no passages or sentences in the export; nothing was imported"
                )
            switch(writer, embedder, f"{IMPORTED}{path.name}")
        except BaseException:
            generations.drop(generation)
            raise
    return counts


def _check_complete(path: Path, form: int, counts: dict[str, int], end: dict[str, int]) -> None:
    """Refuse an export that lacks records it had: the index it would replace stays."""
    if form >= 2 and not end:
        raise StoreError(f"{path}: the export is cut off (its closing counts are missing); nothing was imported")
    expected = {k: v for k, v in end.items() if k}
    if expected and expected != counts:
        found = ", ".join(f"{counts[k]} of {expected.get(k, 0)} {k}" for k in KINDS)
        raise StoreError(f"{path}: the export is incomplete ({found}); nothing was imported")
    if counts["passages"] and not counts["articles"]:
        raise StoreError(f"{path}: the export holds passages but no articles; nothing was imported")
