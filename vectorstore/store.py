"""Chroma, the one source of truth: articles, passages, sentences, and which embedder.

Layout. ``CHROMA_COLLECTION`` names a *pointer* collection that holds no records; its
metadata says which generation of the corpus is live (``live``), the corpus version,
the embedder and the last ingest. A generation ``<name>-<gen>`` is three collections:

- ``.passages``  paragraph passages (long paragraphs as overlapping windows),
- ``.sentences`` every sentence of every paragraph (joined in order: the paragraph),
- ``.articles``  one record per article: its metadata and the hash of the stored
  version. Writing this record is the commit point of an article.

Consistency. Passage and sentence ids carry the article hash, so a new version of an
article is written beside the old one and never overwrites it; readers keep only the
records whose hash is the committed one (:class:`Snapshot`), so a question sees the
old or the new version of an article, never a mix. Superseded records are pruned after
the run. ``--rebuild`` fills a new generation and switches the pointer when complete.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from chromadb.errors import ChromaError, InternalError, NotFoundError

from .errors import EmbedderMismatch, NoIndex, StoreError, StoreUnavailable, StoreWriteError, UnknownCitation
from .evidence import threshold_from
from .records import ARTICLE_FIELDS, ArticleSummary, ParagraphView, Unit, citation_id, parse_citation_id
from .settings import StoreSettings
from .vectors import Records

log = logging.getLogger(__name__)

WRITE_BATCH = 1000
RELATED_POOL = 30
SCAN_BATCH = 5000
IN_BATCH = 200  # ids per `$in` filter
COSINE = {"hnsw": {"space": "cosine"}}
KINDS = ("passages", "sentences", "articles")


_WRITES = ("upsert", "add", "delete", "modify", "create_collection", "get_or_create_collection")


@dataclass(frozen=True)
class Snapshot:
    """The committed article versions at one corpus version: what readers may see."""

    version: str
    hashes: Mapping[str, str]

    def valid(self, meta: Mapping) -> bool:
        return self.hashes.get(meta.get("article_id")) == meta.get("article_hash")


def new_version() -> str:
    return uuid.uuid4().hex


def make_client(settings: StoreSettings):
    import chromadb

    try:
        if settings.chroma_host:
            headers = {"X-Chroma-Token": settings.chroma_auth_token} if settings.chroma_auth_token else None
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl, headers=headers
            )
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path))
    except OSError as exc:
        raise StoreError(f"cannot open the store at {settings.chroma_path}: {exc.strerror}") from None
    except Exception as exc:
        if settings.chroma_host:
            raise StoreUnavailable(f"Chroma server {settings.location} is not reachable: {exc}") from None
        if isinstance(exc, ChromaError):  # e.g. a store on a read-only disk ("unable to open database file")
            raise StoreError(f"cannot open the store at {settings.chroma_path}: {exc}") from None
        raise


def _is_connection_error(exc: Exception) -> bool:
    """What the HTTP client raises when the server is gone (httpx errors, OS errors)."""
    import httpx

    return isinstance(exc, (httpx.TransportError, OSError))


class Store:
    def __init__(self, settings: StoreSettings, client=None, generation: str | None = None):
        self.settings = settings
        self._client = client
        self.name = settings.collection
        # A fixed generation (used while rebuilding) bypasses the pointer for writes.
        self._fixed = generation
        self._handles: dict[str, object] = {}
        self._handles_for = ""

    @property
    def client(self):
        if self._client is None:
            self._client = make_client(self.settings)
        return self._client

    def _call(self, fn, *args, **kwargs):
        """Run a Chroma call; a dead server or a full/read-only disk become clear errors."""
        try:
            return fn(*args, **kwargs)
        except (StoreError, NotFoundError):
            raise  # a missing collection is for the caller to judge
        except Exception as exc:
            if self.settings.chroma_host and _is_connection_error(exc):
                self._handles = {}
                raise StoreUnavailable(f"Chroma server {self.settings.location} is not reachable: {exc}") from None
            if isinstance(exc, (InternalError, OSError)) and getattr(fn, "__name__", "") in _WRITES:
                raise StoreWriteError(
                    f"cannot write to the store at {self.settings.location} ({exc}); is the disk full or read-only? "
                    "Nothing committed was lost: the previous index still serves."
                ) from None
            if isinstance(exc, ChromaError):
                raise StoreError(f"the store at {self.settings.location} failed: {exc}") from None
            raise

    # --- the pointer and the live generation --------------------------------------

    def _pointer(self):
        try:
            return self._call(self.client.get_collection, self.name)
        except NotFoundError:
            return None

    @property
    def meta(self) -> dict:
        """The pointer's metadata, read fresh: it is how readers notice an ingest."""
        pointer = self._pointer()
        return dict(pointer.metadata or {}) if pointer is not None else {}

    @property
    def exists(self) -> bool:
        return bool(self.meta.get("live"))

    @property
    def generation(self) -> str:
        return self._fixed or self.meta.get("live", "")

    def _collections(self, generation: str | None = None, create: bool = False) -> dict[str, object]:
        gen = generation or self.generation
        if not gen:
            raise NoIndex(f"no index at {self.settings.location} yet: ingest articles first",
                          location=self.settings.location)
        if self._handles_for != gen:
            self._handles, self._handles_for = {}, gen
        for kind in KINDS:
            if kind in self._handles:
                continue
            name = f"{gen}.{kind}"
            try:
                if create:
                    handle = self._call(self.client.get_or_create_collection, name, configuration=COSINE,
                                        embedding_function=None)
                else:
                    handle = self._call(self.client.get_collection, name)
            except NotFoundError:
                raise StoreError(f"the index {self.settings.location} is incomplete ({name} is missing): "
                                 "rebuild it") from None
            self._handles[kind] = handle
        return self._handles

    def require(self) -> None:
        self._collections()

    def new_generation(self) -> str:
        return f"{self.name}-{uuid.uuid4().hex[:8]}"

    def prepare(self, embedder: str, dim: int) -> None:
        """Make sure a live generation exists for writing (first ingest creates it)."""
        if self._fixed:
            self._collections(self._fixed, create=True)
            return
        meta = self.meta
        if meta.get("live"):
            self.check_embedder(embedder, dim)
            self._collections(create=True)
            return
        gen = self.new_generation()
        self._collections(gen, create=True)
        new_meta = {"live": gen, "embedder": embedder, "dim": dim, "corpus_version": new_version(),
                    "created": time.time()}
        self._call(self.client.get_or_create_collection, self.name, metadata=new_meta, embedding_function=None)
        self._write_meta(new_meta)

    def _write_meta(self, meta: dict) -> None:
        pointer = self._pointer()
        self._call(pointer.modify, metadata=meta)

    def update_meta(self, **changes) -> None:
        meta = self.meta
        meta.update(changes)
        self._write_meta(meta)

    def check_embedder(self, embedder: str, dim: int) -> None:
        """Vectors from two models are not comparable: refuse instead of returning noise."""
        built_with = self.meta.get("embedder", "")
        if built_with and built_with != embedder:
            raise EmbedderMismatch(
                f"the index {self.settings.location} was built with embedder {built_with!r}, "
                f"but EMBEDDING_MODEL is {embedder!r}. Set EMBEDDING_MODEL back to {built_with!r}, "
                f"or run `absatz ingest --rebuild` to re-embed the corpus with {embedder!r}."
            )

    def bump_version(self, summary: str, version: str | None = None, **extra) -> None:
        """Mark the corpus as changed: readers refresh their snapshot when they see it."""
        self.update_meta(corpus_version=version or new_version(), last_ingest=time.time(),
                         last_ingest_summary=summary, **extra)

    def switch_to(self, generation: str, embedder: str, dim: int, summary: str, version: str | None = None,
                  **extra) -> None:
        """Make a fully built generation live, then drop the one it replaces."""
        old = self.meta.get("live", "")
        meta = self.meta or {"created": time.time()}
        meta.update(live=generation, embedder=embedder, dim=dim, corpus_version=version or new_version(),
                    last_ingest=time.time(), last_ingest_summary=summary, **extra)
        if self._pointer() is None:
            self._call(self.client.get_or_create_collection, self.name, metadata=meta, embedding_function=None)
        self._write_meta(meta)
        self._handles, self._handles_for = {}, ""
        if old and old != generation:
            self.drop_generation(old)

    def drop_generation(self, generation: str) -> None:
        for kind in KINDS:
            try:
                self._call(self.client.delete_collection, f"{generation}.{kind}")
            except NotFoundError:
                pass

    def stale_generations(self) -> list[str]:
        """Generations left behind by an interrupted rebuild."""
        live = self.meta.get("live", "")
        names = {c.name if hasattr(c, "name") else str(c) for c in self._call(self.client.list_collections)}
        gens = {n.rsplit(".", 1)[0] for n in names if n.startswith(self.name + "-") and "." in n}
        return sorted(g for g in gens if g != live and g != self._fixed)

    # --- writing -----------------------------------------------------------------

    def committed(self) -> dict[str, str]:
        """Article id → hash of the stored version (the manifest)."""
        return {aid: h for aid, (h, _) in self.manifest().items()}

    def manifest(self) -> dict[str, tuple[str, float]]:
        """Article id → (hash of the stored version, when it was committed)."""
        return {aid: (m["article_hash"], float(m.get("committed", 0))) for aid, m in self.committed_articles().items()}

    def committed_articles(self) -> dict[str, dict]:
        """Article id → the metadata of its committed version."""
        return {m["article_id"]: m for m in self._scan("articles", ["metadatas"])["metadatas"]}

    def committed_records(self, articles: Mapping[str, Mapping], article_ids: Sequence[str] | None = None) -> Records:
        """Passages and sentences of the committed versions of ``article_ids`` (all when None),
        with their vectors; metadata is cut to what a reader needs, to keep a full read small."""
        hashes = {aid: m["article_hash"] for aid, m in articles.items()}
        wanted = list(hashes) if article_ids is None else list(article_ids)
        out = Records(articles=[dict(articles[aid]) for aid in wanted])
        chunks = [None] if article_ids is None else [wanted[i : i + IN_BATCH] for i in range(0, len(wanted), IN_BATCH)]
        for kind, rows in (("passages", out.passages), ("sentences", out.sentences)):
            for chunk in chunks:
                where = None if chunk is None else {"article_id": {"$in": chunk}}
                for page in self._pages(kind, ["documents", "metadatas", "embeddings"], where=where):
                    for doc, meta, emb in zip(page["documents"], page["metadatas"], page["embeddings"]):
                        if hashes.get(meta["article_id"]) == meta.get("article_hash"):
                            keep = {k: meta.get(k, "") for k in ("article_id", "paragraph", "index", "heading")}
                            rows.append((keep, doc, np.asarray(emb, dtype=np.float32)))
        return out

    def snapshot(self) -> Snapshot:
        version = self.meta.get("corpus_version", "")
        return Snapshot(version, self.committed())

    def stored_vectors(self, article_id: str) -> dict[str, np.ndarray]:
        """Vectors already stored for an article, keyed by the hash of their embedded text."""
        vectors: dict[str, np.ndarray] = {}
        for kind in ("passages", "sentences"):
            got = self._scan(kind, ["metadatas", "embeddings"], where={"article_id": article_id})
            embs = got["embeddings"] if got["embeddings"] is not None else []
            for meta, emb in zip(got["metadatas"], embs):
                vectors[meta["hash"]] = np.asarray(emb, dtype=np.float32)
        return vectors

    def write_article(self, article_id: str, article: Mapping[str, str], article_hash: str,
                      units: Sequence[Unit], vectors: np.ndarray) -> None:
        """Write one article version beside any older one, then commit it.

        The article record goes last: until it is written the new records are invisible
        to readers and to the manifest, so a crash in between is simply redone.
        """
        cols = self._collections()
        for kind, col in (("sentence", cols["sentences"]), ("passage", cols["passages"])):
            idx = [i for i, u in enumerate(units) if u.kind == kind]
            for start in range(0, len(idx), WRITE_BATCH):
                batch = idx[start : start + WRITE_BATCH]
                self._call(
                    col.upsert,
                    ids=[units[i].id for i in batch],
                    embeddings=vectors[batch],
                    documents=[units[i].text for i in batch],
                    metadatas=[units[i].metadata() for i in batch],
                )
        passage_idx = [i for i, u in enumerate(units) if u.kind == "passage"]
        centroid = vectors[passage_idx].mean(axis=0) if passage_idx else np.zeros(vectors.shape[1], np.float32)
        centroid = centroid / (np.linalg.norm(centroid) or 1.0)
        meta = {k: article.get(k, "") for k in ARTICLE_FIELDS}
        meta.update(article_id=article_id, article_hash=article_hash, date_num=units[0].metadata()["date_num"],
                    n_paragraphs=int(article.get("n_paragraphs", 0) or 0), headings=article.get("headings", "[]"),
                    committed=time.time())
        self._call(cols["articles"].upsert, ids=[article_id], embeddings=[centroid],
                   documents=[article.get("title", "")], metadatas=[meta])

    def delete_article(self, article_id: str) -> None:
        cols = self._collections()
        # Un-commit first: from then on readers ignore whatever is left.
        self._call(cols["articles"].delete, ids=[article_id])
        for kind in ("passages", "sentences"):
            self._call(cols[kind].delete, where={"article_id": article_id})

    def prune(self) -> int:
        """Delete records of superseded or uncommitted article versions."""
        hashes = self.committed()
        removed = 0
        for kind in ("passages", "sentences"):
            col = self._collections()[kind]
            got = self._scan(kind, ["metadatas"])
            stale = [i for i, m in zip(got["ids"], got["metadatas"]) if hashes.get(m["article_id"]) != m["article_hash"]]
            for start in range(0, len(stale), WRITE_BATCH):
                self._call(col.delete, ids=stale[start : start + WRITE_BATCH])
            removed += len(stale)
        return removed

    # --- reading -----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        if not self.exists:
            return {"articles": 0, "paragraphs": 0, "passages": 0, "sentences": 0}
        cols = self._collections()
        metas = self._scan("articles", ["metadatas"])["metadatas"]
        return {
            "articles": len(metas),
            "paragraphs": sum(int(m.get("n_paragraphs", 0) or 0) for m in metas),
            "passages": self._call(cols["passages"].count),
            "sentences": self._call(cols["sentences"].count),
        }

    def stored_ids(self, kind: str, article_id: str | None = None) -> list[str]:
        """Raw record ids of ``kind`` ("passages"/"sentences"/"articles"), every version."""
        where = {"article_id": article_id} if article_id else None
        return self._scan(kind, [], where=where)["ids"]

    def _scan(self, kind: str, include: list[str], where: dict | None = None, batch: int = SCAN_BATCH) -> dict:
        """``get`` of every matching record, in pages: one unpaged ``get`` over a large
        collection fails in Chroma's SQLite layer ("too many SQL variables")."""
        out: dict[str, list] = {"ids": []}
        out.update({key: [] for key in include})
        for page in self._pages(kind, include, where, batch):
            for key in out:
                out[key].extend(page[key] if page.get(key) is not None else [])
        return out

    def _pages(self, kind: str, include: list[str], where: dict | None = None, batch: int = SCAN_BATCH):
        col = self._collections()[kind]
        offset = 0
        while True:
            got = self._call(col.get, where=where, limit=batch, offset=offset, include=include)
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])

    def records(self, kind: str, batch: int):
        """Every record of ``kind`` with its vector, in batches (for export)."""
        for got in self._pages(kind, ["documents", "metadatas", "embeddings"], batch=batch):
            yield got["ids"], got["documents"], got["metadatas"], got["embeddings"]

    def add_records(self, kind: str, rows: list[dict]) -> None:
        """Write exported records as they are (for import): no embedding involved."""
        self._call(
            self._collections()[kind].upsert,
            ids=[r["id"] for r in rows],
            documents=[r["document"] for r in rows],
            metadatas=[r["metadata"] for r in rows],
            embeddings=[r["embedding"] for r in rows],
        )

    def all_passages(self, snapshot: Snapshot) -> tuple[list[str], list[str], list[dict]]:
        got = self._scan("passages", ["documents", "metadatas"])
        keep = [i for i, m in enumerate(got["metadatas"]) if snapshot.valid(m)]
        return [got["ids"][i] for i in keep], [got["documents"][i] for i in keep], [got["metadatas"][i] for i in keep]

    def query(self, kind: str, vector: np.ndarray, k: int, where: dict | None = None):
        """Nearest records of ``kind`` ("passage"/"sentence"/"article"): ids, documents, metadatas, similarities."""
        col = self._collections()[kind + "s"]
        n = self._call(col.count)
        if n == 0:
            return [], [], [], []
        got = self._call(
            col.query,
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, n),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        sims = [1.0 - d for d in got["distances"][0]]
        return got["ids"][0], got["documents"][0], got["metadatas"][0], sims

    def _sentences(self, para_id: str, snapshot: Snapshot) -> list[tuple[int, str, dict]]:
        """Sentences of one paragraph, in order: (index, text, meta)."""
        got = self._scan("sentences", ["documents", "metadatas"], where={"para_id": para_id})
        rows = [(m["index"], d, m) for d, m in zip(got["documents"], got["metadatas"]) if snapshot.valid(m)]
        return sorted(rows, key=lambda r: r[0])

    def paragraph(self, cid: str, snapshot: Snapshot | None = None) -> ParagraphView:
        article_id, n = parse_citation_id(cid)
        para_id = citation_id(article_id, n)
        rows = self._sentences(para_id, snapshot or self.snapshot())
        if not rows:
            raise UnknownCitation(cid)
        meta = rows[0][2]
        return ParagraphView(
            para_id=para_id,
            article_id=article_id,
            paragraph=n,
            text=" ".join(r[1] for r in rows),
            heading=meta.get("heading", ""),
            meta={k: meta.get(k, "") for k in ARTICLE_FIELDS + ("n_paragraphs",)},
            sentences=tuple(r[1] for r in rows),
        )

    def _article_meta(self, article_id: str) -> dict:
        got = self._call(self._collections()["articles"].get, ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            raise UnknownCitation(article_id)
        return got["metadatas"][0]

    def article(self, article_id: str) -> ArticleSummary:
        m = self._article_meta(article_id)
        return ArticleSummary(
            article_id=article_id,
            title=m.get("title", ""),
            date=m.get("date", ""),
            dateline=m.get("dateline", ""),
            agency=m.get("agency", ""),
            source=m.get("source", ""),
            url=m.get("url", ""),
            path=m.get("path", ""),
            paragraphs=int(m.get("n_paragraphs", 0) or 0),
            headings=tuple(json.loads(m.get("headings") or "[]")),
        )

    def related(self, article_id: str, k: int = 5) -> list[ArticleSummary]:
        """Articles on the same subject (nearest article vectors), newest first.

        The article vector is the mean of its passage vectors. Any two news articles look
        somewhat alike, so a neighbour counts only if it stands out from this article's
        background of neighbours (robustly, as the abstention threshold does), whatever
        the embedder's similarity scale.
        """
        col = self._collections()["articles"]
        got = self._call(col.get, ids=[article_id], include=["embeddings"])
        if not got["ids"]:
            raise UnknownCitation(article_id)
        _, _, metas, sims = self.query("article", np.asarray(got["embeddings"][0]), RELATED_POOL)
        others = [(m["article_id"], sim) for m, sim in zip(metas, sims) if m["article_id"] != article_id]
        if len(others) < 4:
            return []
        cut = threshold_from([sim for _, sim in others])
        found = [aid for aid, sim in others if sim >= cut]
        summaries = [self.article(aid) for aid in found[:k]]
        return sorted(summaries, key=lambda a: a.date, reverse=True)

    def article_paths(self) -> dict[str, str]:
        """Article id → the file it was ingested from."""
        got = self._scan("articles", ["metadatas"])
        return {m["article_id"]: m.get("path", "") for m in got["metadatas"]}

    def article_titles(self) -> dict[str, str]:
        """Article id → title, for autocomplete and listings."""
        if not self.exists:
            return {}
        got = self._scan("articles", ["metadatas"])
        return {m["article_id"]: m.get("title", "") for m in got["metadatas"]}
