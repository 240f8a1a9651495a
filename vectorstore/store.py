"""Chroma, the one source of truth: passages, sentences and which embedder built them.

Two collections per corpus: ``<name>`` holds paragraph passages (windows of long
paragraphs), ``<name>.sentences`` the sentences of every paragraph. Sentence vectors let
search score a paragraph by its best sentence and pick the quoted sentence; joined in
order they give back the whole paragraph, so no third copy of the text is kept.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .records import ARTICLE_FIELDS, ArticleSummary, ParagraphView, Unit, citation_id, parse_citation_id
from .settings import StoreSettings

log = logging.getLogger(__name__)

WRITE_BATCH = 1000


class StoreError(RuntimeError):
    """The store cannot be used as asked; the message says what to do."""


class EmbedderMismatch(StoreError):
    pass


class StoreUnavailable(StoreError):
    """The Chroma server cannot be reached (server mode)."""


class UnknownCitation(KeyError):
    def __str__(self) -> str:
        return f"no paragraph {self.args[0]!r} in the corpus"


@dataclass(frozen=True)
class ArticleState:
    """What the store holds of one article: enough to decide whether to re-embed."""

    article_hash: str
    passages: int
    complete: bool


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
        raise


class Store:
    def __init__(self, settings: StoreSettings, client=None):
        self.settings = settings
        self.client = client or make_client(settings)
        self.name = settings.collection
        self._passages = None
        self._sentences = None

    # --- collections -------------------------------------------------------------

    def _get(self, name: str):
        try:
            return self.client.get_collection(name)
        except Exception as exc:  # chroma raises NotFoundError/ValueError by version
            if "does not exist" in str(exc) or "not found" in str(exc).lower():
                return None
            raise

    @property
    def exists(self) -> bool:
        return self._collections(create=False) is not None

    def _collections(self, create: bool, embedder: str = "", dim: int = 0):
        if self._passages is not None:
            return self._passages, self._sentences
        passages = self._get(self.name)
        if passages is None:
            if not create:
                return None
            meta = {"embedder": embedder, "dim": dim, "corpus_version": uuid.uuid4().hex, "created": time.time()}
            cfg = {"hnsw": {"space": "cosine"}}
            passages = self.client.get_or_create_collection(
                self.name, metadata=meta, configuration=cfg, embedding_function=None
            )
            sentences = self.client.get_or_create_collection(
                self.name + ".sentences", metadata={"embedder": embedder}, configuration=cfg, embedding_function=None
            )
        else:
            sentences = self.client.get_or_create_collection(
                self.name + ".sentences",
                metadata={"embedder": (passages.metadata or {}).get("embedder", embedder)},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        self._passages, self._sentences = passages, sentences
        return passages, sentences

    def require(self):
        cols = self._collections(create=False)
        if cols is None:
            raise StoreError(
                f"no index at {self.settings.location} yet; run `absatz ingest` first"
            )
        return cols

    def check_embedder(self, embedder_name: str, dim: int, create: bool = False) -> None:
        """Vectors from two models are not comparable: refuse instead of returning noise."""
        cols = self._collections(create=create, embedder=embedder_name, dim=dim)
        if cols is None:
            return
        built_with = (cols[0].metadata or {}).get("embedder", "")
        if built_with and built_with != embedder_name:
            raise EmbedderMismatch(
                f"the index {self.settings.location} was built with embedder {built_with!r}, "
                f"but EMBEDDING_MODEL is {embedder_name!r}. Set EMBEDDING_MODEL back to {built_with!r}, "
                f"or run `absatz ingest --rebuild` to re-embed the corpus with {embedder_name!r}."
            )

    @property
    def meta(self) -> dict:
        cols = self._collections(create=False)
        return dict(cols[0].metadata or {}) if cols else {}

    def update_meta(self, **changes) -> None:
        passages, _ = self.require()
        meta = dict(passages.metadata or {})
        meta.update(changes)
        passages.modify(metadata=meta)
        # Reload so readers in this process see the new metadata too.
        self._passages = self.client.get_collection(self.name)

    def bump_version(self, summary: str, **extra) -> None:
        """Mark the corpus as changed: derived indexes (BM25) rebuild when they see it."""
        self.update_meta(corpus_version=uuid.uuid4().hex, last_ingest=time.time(), last_ingest_summary=summary, **extra)

    def refresh(self) -> None:
        """Forget cached collection handles (another process may have changed them)."""
        self._passages = self._sentences = None

    def drop(self) -> None:
        for name in (self.name, self.name + ".sentences"):
            if self._get(name) is not None:
                self.client.delete_collection(name)
        self.refresh()

    # --- writing -----------------------------------------------------------------

    def manifest(self) -> dict[str, ArticleState]:
        """Per article: its content hash and whether every passage carries it.

        Derived from the stored records themselves, so it can never claim something the
        store does not hold (an interrupted write shows up as incomplete).
        """
        cols = self._collections(create=False)
        if cols is None:
            return {}
        got = cols[0].get(include=["metadatas"])
        hashes: dict[str, set[str]] = defaultdict(set)
        counts: dict[str, int] = defaultdict(int)
        expected: dict[str, int] = {}
        for meta in got["metadatas"]:
            aid = meta["article_id"]
            hashes[aid].add(meta["article_hash"])
            counts[aid] += 1
            expected[aid] = int(meta.get("n_passages", 0) or 0)
        return {
            aid: ArticleState(
                article_hash=next(iter(h)) if len(h) == 1 else "",
                passages=counts[aid],
                complete=len(h) == 1 and counts[aid] == expected[aid],
            )
            for aid, h in hashes.items()
        }

    def sentence_article_ids(self) -> set[str]:
        cols = self._collections(create=False)
        if cols is None:
            return set()
        return {m["article_id"] for m in cols[1].get(include=["metadatas"])["metadatas"]}

    def stored_vectors(self, article_id: str) -> dict[str, np.ndarray]:
        """Vectors already stored for an article, keyed by the hash of their embedded text."""
        cols = self._collections(create=False)
        if cols is None:
            return {}
        vectors: dict[str, np.ndarray] = {}
        for col in cols:
            got = col.get(where={"article_id": article_id}, include=["metadatas", "embeddings"])
            for meta, emb in zip(got["metadatas"], got["embeddings"] if got["embeddings"] is not None else []):
                vectors[meta["hash"]] = np.asarray(emb, dtype=np.float32)
        return vectors

    def write_article(self, article_id: str, units: Sequence[Unit], vectors: np.ndarray) -> None:
        """Replace everything stored for one article with ``units``.

        Sentences go in before passages, and the passages carry the article hash that
        marks the article as stored: a crash in between leaves the article incomplete in
        the manifest, so the next run redoes it. Stale records are deleted last.
        """
        passages, sentences = self.require()
        n_passages = sum(1 for u in units if u.kind == "passage")
        keep: dict[str, set[str]] = {"passage": set(), "sentence": set()}
        for kind, col in (("sentence", sentences), ("passage", passages)):
            idx = [i for i, u in enumerate(units) if u.kind == kind]
            for start in range(0, len(idx), WRITE_BATCH):
                batch = idx[start : start + WRITE_BATCH]
                metas = []
                for i in batch:
                    meta = units[i].metadata()
                    if kind == "passage":
                        meta["n_passages"] = n_passages
                    metas.append(meta)
                col.upsert(
                    ids=[units[i].id for i in batch],
                    embeddings=vectors[batch],
                    documents=[units[i].text for i in batch],
                    metadatas=metas,
                )
            keep[kind] = {units[i].id for i in idx}
        for kind, col in (("passage", passages), ("sentence", sentences)):
            old = set(col.get(where={"article_id": article_id}, include=[])["ids"])
            stale = sorted(old - keep[kind])
            if stale:
                col.delete(ids=stale)

    def delete_article(self, article_id: str) -> None:
        # Passages first: once they are gone the manifest no longer lists the article.
        passages, sentences = self.require()
        passages.delete(where={"article_id": article_id})
        sentences.delete(where={"article_id": article_id})

    # --- reading -----------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        cols = self._collections(create=False)
        if cols is None:
            return {"articles": 0, "paragraphs": 0, "passages": 0, "sentences": 0}
        metas = cols[0].get(include=["metadatas"])["metadatas"]
        return {
            "articles": len({m["article_id"] for m in metas}),
            "paragraphs": len({m["para_id"] for m in metas}),
            "passages": len(metas),
            "sentences": cols[1].count(),
        }

    def all_passages(self) -> tuple[list[str], list[str], list[dict]]:
        passages, _ = self.require()
        got = passages.get(include=["documents", "metadatas"])
        return got["ids"], got["documents"], got["metadatas"]

    def query(self, kind: str, vector: np.ndarray, k: int, where: dict | None = None):
        passages, sentences = self.require()
        col = passages if kind == "passage" else sentences
        n = col.count()
        if n == 0:
            return [], [], [], []
        got = col.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, n),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        sims = [1.0 - d for d in got["distances"][0]]
        return got["ids"][0], got["documents"][0], got["metadatas"][0], sims

    def sentences_of(self, para_ids: Iterable[str], with_vectors: bool = False) -> dict[str, list[tuple]]:
        """Sentences of the given paragraphs in order: (index, text, meta[, vector])."""
        _, sentences = self.require()
        ids = sorted(set(para_ids))
        if not ids:
            return {}
        where = {"para_id": ids[0]} if len(ids) == 1 else {"para_id": {"$in": ids}}
        include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
        got = sentences.get(where=where, include=include)
        out: dict[str, list[tuple]] = defaultdict(list)
        embs = got.get("embeddings")
        for i, (doc, meta) in enumerate(zip(got["documents"], got["metadatas"])):
            row = (meta["index"], doc, meta) + ((np.asarray(embs[i], dtype=np.float32),) if with_vectors else ())
            out[meta["para_id"]].append(row)
        for rows in out.values():
            rows.sort(key=lambda r: r[0])
        return dict(out)

    def paragraph(self, cid: str) -> ParagraphView:
        article_id, n = parse_citation_id(cid)
        rows = self.sentences_of([citation_id(article_id, n)]).get(citation_id(article_id, n))
        if not rows:
            raise UnknownCitation(cid)
        meta = rows[0][2]
        return ParagraphView(
            para_id=citation_id(article_id, n),
            article_id=article_id,
            paragraph=n,
            text=" ".join(r[1] for r in rows),
            heading=meta.get("heading", ""),
            meta={k: meta.get(k, "") for k in ARTICLE_FIELDS + ("n_paragraphs",)},
            sentences=tuple(r[1] for r in rows),
        )

    def article(self, article_id: str) -> ArticleSummary:
        passages, _ = self.require()
        got = passages.get(where={"article_id": article_id}, include=["metadatas"])
        if not got["ids"]:
            raise UnknownCitation(article_id)
        metas = sorted(got["metadatas"], key=lambda m: (m["paragraph"], m["index"]))
        headings: list[str] = []
        for m in metas:
            if m.get("heading") and m["heading"] not in headings:
                headings.append(m["heading"])
        first = metas[0]
        return ArticleSummary(
            article_id=article_id,
            title=first.get("title", ""),
            date=first.get("date", ""),
            dateline=first.get("dateline", ""),
            agency=first.get("agency", ""),
            source=first.get("source", ""),
            url=first.get("url", ""),
            path=first.get("path", ""),
            paragraphs=int(first.get("n_paragraphs", 0) or 0),
            headings=tuple(headings),
        )

    def article_titles(self) -> dict[str, str]:
        """Article id → title, for autocomplete and listings."""
        cols = self._collections(create=False)
        if cols is None:
            return {}
        got = cols[0].get(where={"index": 0}, include=["metadatas"])
        return {m["article_id"]: m.get("title", "") for m in got["metadatas"]}
