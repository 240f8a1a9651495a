"""Moving an index between stores without re-embedding: export to JSONL, import from it.

The export holds the live generation's records with their vectors and the pointer's
metadata (embedder, calibration), so an embedded store can move to a Chroma server (or
back) and answer exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from .embeddings import VectorEmbeddings
from .errors import StoreError
from .publish import switch
from .store import KINDS, WRITE_BATCH, Store

FORMAT = 1
POINTER_KEYS = ("embedder", "dim", "last_ingest_summary")


def export(store: Store, out: TextIO) -> dict[str, int]:
    store.require()
    meta = store.meta
    out.write(json.dumps({"absatz_export": FORMAT, "meta": {k: meta[k] for k in POINTER_KEYS if k in meta}}) + "\n")
    counts: dict[str, int] = {}
    for kind in KINDS:
        counts[kind] = 0
        for ids, docs, metas, embs in store.records(kind, WRITE_BATCH):
            for i, d, m, e in zip(ids, docs, metas, embs):
                out.write(json.dumps({"kind": kind, "id": i, "document": d, "metadata": m,
                                      "embedding": [round(float(x), 7) for x in e]}, ensure_ascii=False) + "\n")
                counts[kind] += 1
    return counts


def _batches(lines: Iterator[str], path: Path) -> Iterator[tuple[str, list[dict]]]:
    kind, batch = None, []
    for n, line in enumerate(lines, start=2):
        try:
            row = json.loads(line)
            row_kind = row["kind"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise StoreError(f"{path}:{n}: not an absatz export record") from None
        if row_kind != kind or len(batch) >= WRITE_BATCH:
            if batch:
                yield kind, batch
            kind, batch = row_kind, []
        batch.append(row)
    if batch:
        yield kind, batch


def import_into(store: Store, path: Path, embedder_named: Callable[[str], VectorEmbeddings]) -> dict[str, int]:
    """Load an export into a new generation of ``store`` and switch to it when complete.

    The new generation is published like any write (the export's embedder, loaded by
    ``embedder_named``, calibrates it), so readers find its read index ready."""
    with path.open(encoding="utf-8") as f:
        try:
            head = json.loads(f.readline())
            meta = head["meta"]
            if head.get("absatz_export") != FORMAT:
                raise KeyError
        except (json.JSONDecodeError, KeyError, TypeError):
            raise StoreError(f"{path}:1: not an absatz export (first line must be the export header)") from None
        generation = store.new_generation()
        writer = Store(store.settings, client=store.client, generation=generation)
        writer.prepare(meta["embedder"], int(meta["dim"]))
        counts = dict.fromkeys(KINDS, 0)
        try:
            for kind, rows in _batches(f, path):
                writer.add_records(kind, rows)
                counts[kind] += len(rows)
            switch(store, writer, embedder_named(meta["embedder"]), f"imported from {path.name}")
        except BaseException:
            store.drop_generation(generation)
            raise
    return counts
