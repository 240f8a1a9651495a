"""Chroma, the one source of truth, as absatz talks to it.

One :class:`Chroma` per store and process: the client (an embedded ``PersistentClient``,
or an ``HttpClient`` for a ``chroma run`` server when ``CHROMA_HOST`` is set), every call
through :meth:`Chroma.call`, so that a failure becomes one of the error tree's — judged
by the types ``chromadb`` and ``httpx`` raise, never by message text — and reads in pages,
because one unpaged ``get`` over a large collection fails in Chroma's SQLite layer (at
100,000 records: "too many SQL variables").

Chroma's HTTP client is built without a timeout, so a server that accepts connections and
never answers (a ``chroma run`` stopped with SIGSTOP, a wedged proxy) would hang every
reader for ever. Here each request gives up after ``CHROMA_TIMEOUT_S`` and the server
counts as unreachable (:class:`~vectorstore.errors.StoreUnavailable`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np
from chromadb.errors import AuthorizationError, ChromaAuthError, ChromaError, InternalError, NotFoundError

from .errors import StoreError, StoreUnavailable, StoreWriteError
from .records import Metadata
from .settings import StoreSettings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.collection_configuration import CreateCollectionConfiguration
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult, Include, Where

P = ParamSpec("P")
T = TypeVar("T")

SCAN_BATCH = 5000
# Every collection of ours: records come with their vectors, compared by cosine.
COSINE: CreateCollectionConfiguration = {"hnsw": {"space": "cosine"}}
# Calls that write: a failing one means a full or read-only disk, not a broken store.
_WRITES = ("upsert", "add", "delete", "modify", "create_collection", "get_or_create_collection")

_timeout: ContextVar[float | None] = ContextVar("absatz_chroma_timeout", default=None)
_bounded = False
_bounded_lock = threading.Lock()


def _bound_http_requests() -> None:
    """Make HTTP clients created under :data:`_timeout` time out their requests.

    Chroma builds its ``httpx`` session with ``timeout=None``, offers no setting for one,
    and sends its first requests from the client's constructor (who am I, does the
    database exist), so the timeout has to be in place before that: its constructor is
    wrapped, once per process. Clients created elsewhere, outside :func:`_open`, keep
    Chroma's own behaviour.
    """
    global _bounded
    with _bounded_lock:
        if _bounded:
            return
        import httpx
        from chromadb.api.fastapi import FastAPI
        from chromadb.config import System

        original = FastAPI.__init__

        def init(self: FastAPI, system: System) -> None:
            original(self, system)
            timeout = _timeout.get()
            if timeout is not None:
                self._session.timeout = httpx.Timeout(timeout)

        FastAPI.__init__ = init  # type: ignore[method-assign]
        _bounded = True


def _open(settings: StoreSettings) -> ClientAPI:
    import chromadb

    try:
        if settings.chroma_host:
            _bound_http_requests()
            headers = {"X-Chroma-Token": settings.chroma_auth_token} if settings.chroma_auth_token else None
            token = _timeout.set(settings.chroma_timeout_s)
            try:
                return chromadb.HttpClient(
                    host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl, headers=headers
                )
            finally:
                _timeout.reset(token)
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path))
    except OSError as exc:
        raise StoreError(f"cannot open the store at {settings.chroma_path}: {exc.strerror}") from None
    except Exception as exc:
        if settings.chroma_host:
            refusal = None if _is_connection_error(exc) else _refusal(settings, exc)
            if refusal is not None:
                raise refusal from None
            raise StoreUnavailable(f"Chroma server {settings.location} is not reachable: {exc}") from None
        if isinstance(exc, ChromaError):  # e.g. a store on a read-only disk ("unable to open database file")
            raise StoreError(f"cannot open the store at {settings.chroma_path}: {exc}") from None
        raise


def _refusal(settings: StoreSettings, exc: Exception) -> StoreError | None:
    """The server's answer as an error that says what to check, when it answered with a
    refusal: a wrong token (never shown), something that is no Chroma server of this
    client's version, or an error status of a server that is not serving now. None when
    it did not answer that way."""
    status = _http_status(settings)
    if isinstance(exc, (ChromaAuthError, AuthorizationError)) or status in (401, 403):
        return StoreError(
            f"Chroma server {settings.location} refused this client: check CHROMA_AUTH_TOKEN"
            + (" (none is set)" if not settings.chroma_auth_token else "")
        )
    if status is not None and 400 <= status < 500:
        return StoreError(
            f"{settings.location} answered HTTP {status}, not as a Chroma server of this client's version "
            "does: check CHROMA_HOST and the server's version"
        )
    if status is not None and status >= 500:  # a proxy whose server restarts: its error page is no message
        return StoreUnavailable(
            f"Chroma server {settings.location} answered HTTP {status}: it is not serving now "
            "(restarting, or a proxy in front of it cannot reach it)"
        )
    return None


def _http_status(settings: StoreSettings) -> int | None:
    """The status of a plain request for the server's heartbeat, ``None`` when none comes.

    chromadb keeps only the body of an error response that is not its own, so a proxy's
    401 in front of the server would otherwise read as a server that is down.
    """
    import httpx
    from chromadb.api.base_http_client import BaseHTTPClient
    from chromadb.config import Settings as ChromaSettings

    api = BaseHTTPClient.resolve_url(
        settings.chroma_host, settings.chroma_ssl, ChromaSettings().chroma_server_api_default_path, settings.chroma_port
    )
    headers = {"X-Chroma-Token": settings.chroma_auth_token} if settings.chroma_auth_token else None
    try:
        return httpx.get(f"{api}/heartbeat", headers=headers, timeout=settings.chroma_timeout_s).status_code
    except (httpx.HTTPError, ValueError):
        return None


def _is_connection_error(exc: Exception) -> bool:
    """What the HTTP client raises when the server is gone or hangs (httpx errors, timeouts
    included, and OS errors)."""
    import httpx

    return isinstance(exc, (httpx.TransportError, OSError))


class Chroma:
    """The client of one store (``settings``), opened on first use and shared."""

    def __init__(self, settings: StoreSettings, client: ClientAPI | None = None):
        self.settings = settings
        self._client = client
        self._lock = threading.Lock()

    def client(self) -> ClientAPI:
        """The client, opened on the first call (a server is contacted then)."""
        with self._lock:
            if self._client is None:
                self._client = _open(self.settings)
            return self._client

    def close(self) -> None:
        """Let go of the client. An embedded store's files are closed once no other client
        of this process holds them, and a later client of the same folder opens it afresh
        (chromadb keeps one per folder and process, even after the folder is gone)."""
        with self._lock:
            client, self._client = self._client, None
        close = getattr(client, "close", None)  # ClientAPI does not declare it; chromadb's Client has it
        if close is not None:
            with contextlib.suppress(Exception):
                close()

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a Chroma call; a dead or hung server, a full or read-only disk, a failing
        store become the error tree's. A missing collection (``NotFoundError``) is left
        for the caller to judge."""
        try:
            return fn(*args, **kwargs)
        except (StoreError, NotFoundError):
            raise
        except Exception as exc:
            if self.settings.chroma_host:
                if _is_connection_error(exc):
                    raise StoreUnavailable(f"Chroma server {self.settings.location} is not reachable: {exc}") from None
                if not isinstance(exc, ChromaError) or isinstance(exc, (ChromaAuthError, AuthorizationError)):
                    # A token revoked while the bot runs: the proxy's 401 comes as a bare
                    # exception holding its HTML page.
                    refusal = _refusal(self.settings, exc)
                    if refusal is not None:
                        raise refusal from None
            if isinstance(exc, (InternalError, OSError)) and getattr(fn, "__name__", "") in _WRITES:
                raise StoreWriteError(
                    f"cannot write to the store at {self.settings.location} ({exc}); is the disk full or read-only? "
                    "Nothing committed was lost: the previous index still serves."
                ) from None
            if isinstance(exc, ChromaError):
                raise StoreError(f"the store at {self.settings.location} failed: {exc}") from None
            raise

    # --- collections --------------------------------------------------------------

    def collection(self, name: str) -> Collection | None:
        """The collection ``name``, or None when there is none."""
        client = self.client()
        try:
            return self.call(client.get_collection, name)
        except NotFoundError:
            return None

    def create(self, name: str, metadata: Metadata | None = None) -> Collection:
        """The collection ``name``, created (with ``metadata``) when missing."""
        client = self.client()
        return self.call(
            client.get_or_create_collection, name, configuration=COSINE, metadata=metadata, embedding_function=None
        )

    def drop(self, name: str) -> None:
        """Delete the collection ``name``; one that is already gone is fine."""
        client = self.client()
        with contextlib.suppress(NotFoundError):
            self.call(client.delete_collection, name)

    def names(self) -> list[str]:
        client = self.client()
        return [c.name for c in self.call(client.list_collections)]

    # --- reading in pages ---------------------------------------------------------

    def pages(
        self, collection: Collection, include: Include, where: Where | None = None, batch: int = SCAN_BATCH
    ) -> Iterator[GetResult]:
        """``get`` of every matching record, ``batch`` at a time."""
        offset = 0
        while True:
            got = self.call(collection.get, where=where, limit=batch, offset=offset, include=include)
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])

    def scan(self, collection: Collection, include: Include, where: Where | None = None) -> Scan:
        """Every matching record, read in pages and joined."""
        out = Scan()
        for page in self.pages(collection, include, where):
            out.ids.extend(page["ids"])
            out.metadatas.extend(page.get("metadatas") or [])
            embeddings = page.get("embeddings")
            if embeddings is not None:
                out.embeddings.extend(np.asarray(e, dtype=np.float32) for e in embeddings)
        return out


@dataclass
class Scan:
    """The joined pages of :meth:`Chroma.scan` (only what was included is filled)."""

    ids: list[str] = field(default_factory=list)
    metadatas: list[Mapping[str, object]] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)
