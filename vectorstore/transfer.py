"""Moving an index between stores without re-embedding: export to JSONL, import from it.

The export holds the live generation's records with their vectors and the pointer's
metadata (embedder, calibration), so an embedded store can move to a Chroma server (or
back) and answer exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from .chroma import Chroma
from .embeddings import VectorEmbeddings
from .errors import StoreError
from .generations import KINDS, Generations, Kind
from .publish import switch
from .writer import WRITE_BATCH, RawRecord, Writer

FORMAT = 1


def export(chroma: Chroma, out: TextIO) -> dict[str, int]:
    pointer = Generations(chroma).read()
    writer = Writer.live(chroma)
    meta = {"embedder": pointer.embedder, "dim": pointer.dim, "last_ingest_summary": pointer.last_ingest_summary}
    out.write(json.dumps({"absatz_export": FORMAT, "meta": meta}) + "\n")
    counts: dict[str, int] = {}
    for kind in KINDS:
        counts[kind] = 0
        for batch in writer.records(kind, WRITE_BATCH):
            for record in batch:
                row = {"kind": kind, **record, "embedding": [round(x, 7) for x in record["embedding"]]}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                counts[kind] += 1
    return counts


def _batches(lines: Iterable[str], path: Path) -> Iterator[tuple[Kind, list[RawRecord]]]:
    kind: Kind | None = None
    batch: list[RawRecord] = []
    for n, line in enumerate(lines, start=2):
        try:
            row = json.loads(line)
            row_kind = row["kind"]
            if row_kind not in KINDS:
                raise KeyError(row_kind)
            record = RawRecord(
                id=row["id"], document=row["document"], metadata=row["metadata"], embedding=row["embedding"]
            )
        except (json.JSONDecodeError, KeyError, TypeError):
            raise StoreError(f"{path}:{n}: not an absatz export record") from None
        if row_kind != kind or len(batch) >= WRITE_BATCH:
            if kind is not None and batch:
                yield kind, batch
            kind, batch = row_kind, []
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
            if head.get("absatz_export") != FORMAT or not isinstance(meta.get("embedder"), str):
                raise KeyError
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
            raise StoreError(f"{path}:1: not an absatz export (first line must be the export header)") from None
        generations = Generations(chroma)
        generation = generations.new_generation()
        writer = Writer(chroma, generations.create(generation))
        counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        try:
            try:
                for kind, rows in _batches(f, path):
                    writer.add_records(kind, rows)
                    counts[kind] += len(rows)
            except UnicodeDecodeError:
                raise StoreError(f"{path}: not UTF-8 text") from None
            switch(writer, embedder_named(meta["embedder"]), f"imported from {path.name}")
        except BaseException:
            generations.drop(generation)
            raise
    return counts
