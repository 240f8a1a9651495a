"""The pointer and the generations of a store: which records are live, and since when.

``CHROMA_COLLECTION`` names a *pointer* collection that holds no records; its metadata
(:class:`PointerMeta`) names the live generation, the embedder that built it, the
abstention threshold calibrated on it, the last ingest, and the **corpus version** —
a reader compares that one value to notice, at its next question, that any process
changed the corpus. A generation ``<name>-<id>`` is three collections:

- ``.passages``  paragraph passages (long paragraphs as overlapping windows),
- ``.sentences`` every sentence of every paragraph,
- ``.articles``  one record per article: its metadata and the hash of the committed
  version (:mod:`.writer` writes it last: it is the commit).

A rebuild or an import fills a new generation beside the live one and switches the
pointer when it is complete, so readers keep the old one until then; the replaced one is
dropped after the switch, and one left by a killed rebuild by the next rebuild.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from .chroma import Chroma
from .errors import EmbedderMismatch, NoIndex, StoreError
from .records import Metadata, number_of

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

Kind = Literal["passages", "sentences", "articles"]
KINDS: tuple[Kind, ...] = ("passages", "sentences", "articles")


def new_version() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class PointerMeta:
    """The pointer's metadata as one read found it (:meth:`Generations.read`)."""

    live: str = ""  # the live generation; "" before the first ingest
    embedder: str = ""
    dim: int = 0
    corpus_version: str = ""
    last_ingest: float | None = None  # time.time() of the last announced change
    last_ingest_summary: str = ""
    abstain_threshold: float | None = None  # None: stored before thresholds were
    created: float | None = None

    @property
    def exists(self) -> bool:
        return bool(self.live)

    def to_metadata(self) -> Metadata:
        values: dict[str, str | int | float | None] = {
            "live": self.live,
            "embedder": self.embedder,
            "dim": self.dim,
            "corpus_version": self.corpus_version,
            "last_ingest": self.last_ingest,
            "last_ingest_summary": self.last_ingest_summary,
            "abstain_threshold": self.abstain_threshold,
            "created": self.created,
        }
        return {k: v for k, v in values.items() if v is not None}

    @classmethod
    def from_metadata(cls, meta: Mapping[str, object]) -> PointerMeta:
        return cls(
            live=str(meta.get("live") or ""),
            embedder=str(meta.get("embedder") or ""),
            dim=int(number_of(meta, "dim") or 0),
            corpus_version=str(meta.get("corpus_version") or ""),
            last_ingest=number_of(meta, "last_ingest") or None,
            last_ingest_summary=str(meta.get("last_ingest_summary") or ""),
            abstain_threshold=number_of(meta, "abstain_threshold"),
            created=number_of(meta, "created"),
        )

    def check_embedder(self, embedder: str, location: str) -> None:
        """Vectors from two models are not comparable: refuse instead of returning noise."""
        if self.embedder and self.embedder != embedder:
            raise EmbedderMismatch(
                f"the index {location} was built with embedder {self.embedder!r}, "
                f"but EMBEDDING_MODEL is {embedder!r}. Set EMBEDDING_MODEL back to {self.embedder!r}, "
                f"or run `absatz ingest --rebuild` to re-embed the corpus with {embedder!r}."
            )


@dataclass(frozen=True)
class Collections:
    """The three collections of one generation."""

    generation: str
    passages: Collection
    sentences: Collection
    articles: Collection

    def of(self, kind: Kind) -> Collection:
        collection: Collection = getattr(self, kind)
        return collection


class Generations:
    """The pointer of one store, and its generations' collections."""

    def __init__(self, chroma: Chroma):
        self.chroma = chroma
        self.name = chroma.settings.collection
        self.location = chroma.settings.location

    def read(self) -> PointerMeta:
        """The pointer's metadata, one round trip; empty when nothing was ingested."""
        pointer = self.chroma.collection(self.name)
        return PointerMeta.from_metadata(pointer.metadata or {}) if pointer is not None else PointerMeta()

    def _write(self, pointer: PointerMeta) -> None:
        collection = self.chroma.create(self.name, pointer.to_metadata())
        self.chroma.call(collection.modify, metadata=pointer.to_metadata())

    def new_generation(self) -> str:
        return f"{self.name}-{uuid.uuid4().hex[:8]}"

    def open(self, generation: str) -> Collections:
        """The collections of ``generation`` (the live one: ``read().live``)."""
        if not generation:
            raise NoIndex.at(self.location)
        found = {}
        for kind in KINDS:
            collection = self.chroma.collection(f"{generation}.{kind}")
            if collection is None:
                raise StoreError(
                    f"the index {self.location} is incomplete ({generation}.{kind} is missing): rebuild it"
                )
            found[kind] = collection
        return Collections(generation, **found)

    def create(self, generation: str) -> Collections:
        """The collections of ``generation``, created where missing."""
        return Collections(generation, **{kind: self.chroma.create(f"{generation}.{kind}") for kind in KINDS})

    def prepare(self, embedder: str, dim: int) -> tuple[PointerMeta, Collections]:
        """The live generation, ready for writing with ``embedder`` (the first ingest creates
        it and the pointer), and the pointer as it is then."""
        pointer = self.read()
        if pointer.live:
            pointer.check_embedder(embedder, self.location)
            return pointer, self.create(pointer.live)
        pointer = PointerMeta(
            live=self.new_generation(), embedder=embedder, dim=dim, corpus_version=new_version(), created=time.time()
        )
        collections = self.create(pointer.live)
        self._write(pointer)
        return pointer, collections

    def bump_version(self, summary: str, version: str, threshold: float) -> None:
        """Announce a new corpus version: readers move to it at their next question."""
        self._write(
            replace(
                self.read(),
                corpus_version=version,
                last_ingest=time.time(),
                last_ingest_summary=summary,
                abstain_threshold=threshold,
            )
        )

    def switch_to(self, generation: str, embedder: str, dim: int, summary: str, version: str, threshold: float) -> None:
        """Make a fully written generation live, then drop the one it replaces."""
        old = self.read()
        self._write(
            replace(
                old,
                live=generation,
                embedder=embedder,
                dim=dim,
                corpus_version=version,
                last_ingest=time.time(),
                last_ingest_summary=summary,
                abstain_threshold=threshold,
                created=old.created if old.created is not None else time.time(),
            )
        )
        if old.live and old.live != generation:
            self.drop(old.live)

    def drop(self, generation: str) -> None:
        self.chroma.drop(*(f"{generation}.{kind}" for kind in KINDS))

    def stale(self) -> list[str]:
        """Generations that are not live: left behind by an interrupted rebuild or import.
        Only this collection's, named as :meth:`new_generation` names them: a rebuild of
        ``absatz`` had dropped the live index of the collection ``absatz-news``."""
        live = self.read().live
        ours = re.compile(rf"({re.escape(self.name)}-[0-9a-f]{{8}})\.(?:{'|'.join(KINDS)})")
        generations = {m[1] for n in self.chroma.names() if (m := ours.fullmatch(n))}
        return sorted(g for g in generations if g != live)
