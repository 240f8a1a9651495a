"""Writing one generation's records, and reading back what is committed.

An article version is written beside any older one (passage and sentence ids carry the
article hash) and committed by its article record, written last
(:class:`~vectorstore.records.ArticleRecord`): until then readers and the manifest ignore
the new records, so a crash in between is simply redone by the next run, and what it
left half-written is pruned. The manifest is the ``.articles`` collection itself, so
no file beside the store can disagree with it.

Reading back is the writer's too, because only the commit records say which version of
an article counts: the committed records a read index is built from (:mod:`.readindex`),
the vectors an edited article can reuse, and the raw records an export moves.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict, cast

import numpy as np

from .chroma import Chroma, Scan
from .errors import UnknownCitation
from .generations import Collections, Generations, Kind
from .records import ArticleMeta, ArticleRecord, Records, StoredUnit, Unit, number_of, text_of

if TYPE_CHECKING:
    from chromadb.api.types import Metadata as ChromaMetadata
    from chromadb.api.types import Where

WRITE_BATCH = 1000
IN_BATCH = 200  # ids per `$in` filter


class RawRecord(TypedDict):
    """A record as Chroma holds it, vector included: what export and import move."""

    id: str
    document: str
    metadata: ChromaMetadata
    embedding: list[float]


class Writer:
    """The records of one generation (``collections``)."""

    def __init__(self, chroma: Chroma, collections: Collections):
        self.chroma = chroma
        self.collections = collections

    @classmethod
    def live(cls, chroma: Chroma) -> Writer:
        """The live generation's (:class:`~vectorstore.errors.NoIndex` before the first ingest)."""
        generations = Generations(chroma)
        return cls(chroma, generations.open(generations.read().live))

    @property
    def generation(self) -> str:
        return self.collections.generation

    def _scan(self, kind: Kind, include: bool, article_id: str | None = None) -> Scan:
        """Ids and metadata (and vectors, with ``include``) of ``kind``, every version."""
        where: Where | None = {"article_id": article_id} if article_id else None
        return self.chroma.scan(
            self.collections.of(kind), ["metadatas", "embeddings"] if include else ["metadatas"], where
        )

    # --- the manifest ------------------------------------------------------------------

    def committed_articles(self, article_ids: Iterable[str] | None = None) -> dict[str, ArticleRecord]:
        """Article id → its commit record: the manifest, or the part of it for
        ``article_ids`` (read by id, so it costs what they cost, not what the store holds)."""
        if article_ids is None:
            metadatas = self._scan("articles", False).metadatas
        else:
            wanted = sorted(set(article_ids))
            metadatas = []
            for start in range(0, len(wanted), IN_BATCH):
                got = self.chroma.call(
                    self.collections.articles.get, ids=wanted[start : start + IN_BATCH], include=["metadatas"]
                )
                metadatas.extend(got["metadatas"] or [])
        records = (ArticleRecord.from_metadata(m) for m in metadatas)
        return {r.article_id: r for r in records}

    def article_count(self) -> int:
        """How many articles are committed (one count, no records read)."""
        return int(self.chroma.call(self.collections.articles.count))

    def committed_since(self, since: float) -> bool:
        """Whether an article was committed after ``since`` (one record read at most)."""
        where = cast("Where", {"committed": {"$gt": since}})
        got = self.chroma.call(self.collections.articles.get, where=where, limit=1, include=[])
        return bool(got["ids"])

    def committed_article(self, article_id: str) -> ArticleRecord:
        got = self.chroma.call(self.collections.articles.get, ids=[article_id], include=["metadatas"])
        if not got["ids"] or not got["metadatas"]:
            raise UnknownCitation(article_id)
        return ArticleRecord.from_metadata(got["metadatas"][0])

    def stored_ids(self, kind: Kind, article_id: str | None = None) -> list[str]:
        """Raw record ids of ``kind``, every version (committed or not)."""
        return self._scan(kind, False, article_id).ids

    def stored_vectors(self, article_id: str) -> dict[str, np.ndarray]:
        """Vectors already stored for an article, keyed by the hash of their embedded text."""
        vectors: dict[str, np.ndarray] = {}
        for kind in ("passages", "sentences"):
            got = self._scan(kind, True, article_id)
            for meta, vector in zip(got.metadatas, got.embeddings, strict=True):
                vectors[text_of(meta, "hash")] = vector
        return vectors

    # --- writing -------------------------------------------------------------------------

    def write_article(
        self, article_id: str, meta: ArticleMeta, article_hash: str, units: Sequence[Unit], vectors: np.ndarray
    ) -> None:
        """Write one article version beside any older one, then commit it.

        The article record goes last: until it is written the new records are invisible
        to readers and to the manifest, so a crash in between is simply redone.
        """
        for kind, collection in (("sentence", self.collections.sentences), ("passage", self.collections.passages)):
            idx = [i for i, u in enumerate(units) if u.kind == kind]
            for start in range(0, len(idx), WRITE_BATCH):
                batch = idx[start : start + WRITE_BATCH]
                self.chroma.call(
                    collection.upsert,
                    ids=[units[i].id for i in batch],
                    embeddings=vectors[batch],
                    documents=[units[i].text for i in batch],
                    metadatas=[units[i].metadata() for i in batch],
                )
        # Chroma wants a vector for every record: the article's is the mean of its passages'.
        passage_idx = [i for i, u in enumerate(units) if u.kind == "passage"]
        centroid = vectors[passage_idx].mean(axis=0) if passage_idx else np.zeros(vectors.shape[1], np.float32)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0)
        record = ArticleRecord(article_id, article_hash, meta, committed=time.time())
        self.chroma.call(
            self.collections.articles.upsert,
            ids=[article_id],
            embeddings=[centroid],
            documents=[meta.title],
            metadatas=[record.to_metadata()],
        )

    def delete_article(self, article_id: str) -> None:
        # Un-commit first: from then on readers ignore whatever is left.
        self.chroma.call(self.collections.articles.delete, ids=[article_id])
        for kind in ("passages", "sentences"):
            self.chroma.call(self.collections.of(kind).delete, where={"article_id": article_id})

    def prune(self, article_ids: Iterable[str] | None = None) -> int:
        """Delete records of superseded or uncommitted article versions: of ``article_ids``
        (what an ingest touched), or of every article when None — a scan of every record,
        for leftovers of an interrupted run (:meth:`unit_counts` tells whether there are any)."""
        if article_ids is None:
            return self._prune(self.committed_articles(), None)
        wanted = sorted(set(article_ids))
        removed = 0
        for start in range(0, len(wanted), IN_BATCH):
            chunk = wanted[start : start + IN_BATCH]
            removed += self._prune(self.committed_articles(chunk), cast("Where", {"article_id": {"$in": chunk}}))
        return removed

    def _prune(self, committed: Mapping[str, ArticleRecord], where: Where | None) -> int:
        hashes = {aid: r.article_hash for aid, r in committed.items()}
        removed = 0
        for kind in ("passages", "sentences"):
            got = self.chroma.scan(self.collections.of(kind), ["metadatas"], where)
            stale = [
                i
                for i, m in zip(got.ids, got.metadatas, strict=True)
                if hashes.get(text_of(m, "article_id")) != m.get("article_hash")
            ]
            for start in range(0, len(stale), WRITE_BATCH):
                self.chroma.call(self.collections.of(kind).delete, ids=stale[start : start + WRITE_BATCH])
            removed += len(stale)
        return removed

    def unit_counts(self) -> tuple[int, int]:
        """Passage and sentence records held, every version (committed or not)."""
        return (
            self.chroma.call(self.collections.passages.count),
            self.chroma.call(self.collections.sentences.count),
        )

    # --- reading back --------------------------------------------------------------------

    def committed_records(
        self, articles: Mapping[str, ArticleRecord], article_ids: Sequence[str] | None = None
    ) -> Records:
        """Passages and sentences of the committed versions of ``article_ids`` (all of
        ``articles`` when None), with their vectors."""
        hashes = {aid: r.article_hash for aid, r in articles.items()}
        wanted = list(hashes) if article_ids is None else list(article_ids)
        out = Records(articles=[articles[aid] for aid in wanted])
        chunks: list[list[str] | None] = (
            [None] if article_ids is None else [wanted[i : i + IN_BATCH] for i in range(0, len(wanted), IN_BATCH)]
        )
        parts: tuple[tuple[Kind, list[StoredUnit]], ...] = (("passages", out.passages), ("sentences", out.sentences))
        for kind, rows in parts:
            for chunk in chunks:
                where = None if chunk is None else cast("Where", {"article_id": {"$in": chunk}})
                for page in self.chroma.pages(
                    self.collections.of(kind), ["documents", "metadatas", "embeddings"], where
                ):
                    rows.extend(
                        _stored_units(page["documents"] or [], page["metadatas"] or [], page["embeddings"], hashes)
                    )
        return out

    def records(self, kind: Kind, batch: int) -> Iterator[list[RawRecord]]:
        """Every record of ``kind`` with its vector, ``batch`` at a time (for export)."""
        for page in self.chroma.pages(self.collections.of(kind), ["documents", "metadatas", "embeddings"], None, batch):
            embeddings = page["embeddings"] if page["embeddings"] is not None else []
            yield [
                RawRecord(id=i, document=d or "", metadata=m, embedding=np.asarray(e, np.float32).tolist())
                for i, d, m, e in zip(
                    page["ids"], page["documents"] or [], page["metadatas"] or [], embeddings, strict=True
                )
            ]

    def add_records(self, kind: Kind, rows: Sequence[RawRecord]) -> None:
        """Write exported records as they are (for import): no embedding involved."""
        self.chroma.call(
            self.collections.of(kind).upsert,
            ids=[r["id"] for r in rows],
            documents=[r["document"] for r in rows],
            metadatas=[r["metadata"] for r in rows],
            embeddings=np.asarray([r["embedding"] for r in rows], dtype=np.float32),
        )


def _stored_units(
    documents: Sequence[str | None],
    metadatas: Sequence[Mapping[str, object]],
    embeddings: Sequence[object] | np.ndarray | None,
    hashes: Mapping[str, str],
) -> Iterator[StoredUnit]:
    """The records of a page that belong to a committed version."""
    for doc, meta, vector in zip(documents, metadatas, embeddings if embeddings is not None else [], strict=True):
        if hashes.get(text_of(meta, "article_id")) == meta.get("article_hash"):
            yield StoredUnit(
                text_of(meta, "article_id"),
                int(number_of(meta, "paragraph") or 0),
                int(number_of(meta, "index") or 0),
                text_of(meta, "heading"),
                doc or "",
                np.asarray(vector, dtype=np.float32),
            )
