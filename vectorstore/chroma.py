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
import json
import logging
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
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

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

SCAN_BATCH = 5000
# Every collection of ours: records come with their vectors, compared by cosine.
COSINE: CreateCollectionConfiguration = {"hnsw": {"space": "cosine"}}
# Calls that write: a failing one means a full or read-only disk, not a broken store.
_WRITES = ("upsert", "add", "delete", "modify", "create_collection", "get_or_create_collection")

# Which segments the collections (ids in argv) have in an embedded store's SQLite file:
# each vector segment keeps its HNSW files in a folder named by its id.
_SEGMENTS_OF = """
import json, sqlite3, sys
ids = sys.argv[2:]
db = sqlite3.connect(sys.argv[1], uri=True, timeout=10)
sql = "SELECT collection, id FROM segments WHERE collection IN (%s)" % ",".join("?" * len(ids))
print(json.dumps(db.execute(sql, ids).fetchall()))
"""

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
        try:
            return chromadb.PersistentClient(path=str(settings.chroma_path))
        except BaseException:
            _forget_failed_open(str(settings.chroma_path))
            raise
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


def _forget_failed_open(path: str) -> None:
    """chromadb keeps a folder's system for the process before starting it, and keeps it
    when starting fails (a damaged ``chroma.sqlite3``): every later client of the folder
    got that half-made system, an ``AttributeError`` from inside chromadb, even after the
    store was put back. Forgotten, the next open starts afresh."""
    from chromadb.api.shared_system_client import SharedSystemClient

    with SharedSystemClient._refcount_lock:
        SharedSystemClient._identifier_to_system.pop(path, None)
        SharedSystemClient._identifier_to_refcount.pop(path, None)


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

    def drop(self, *names: str) -> None:
        """Delete the collections ``names``; one that is already gone is fine.

        Chroma deletes an embedded collection's rows but leaves its segment folders on
        disk (chroma-core/chroma#5259), so every rebuild had left a full copy of the
        vectors behind. The folders of each collection's own segments, read before it is
        deleted, go with it; nothing else in the folder is touched.
        """
        client = self.client()
        folders = self._segment_folders(names)
        for name in names:
            with contextlib.suppress(NotFoundError):
                self.call(client.delete_collection, name)
            _remove(folders.get(name, []))

    def _segment_folders(self, names: Sequence[str]) -> dict[str, list[Path]]:
        """The segment folders of each of the collections ``names`` of an embedded store
        (a server's disk is not ours). Chroma's API does not name segments, so its SQLite
        file is read, in a child process: two copies of SQLite in one process (Python's
        and the one inside chromadb's Rust bindings) drop each other's POSIX locks when
        either closes the file (https://www.sqlite.org/howtocorrupt.html, 2.2). A read
        that fails leaves the folders, with a warning: it must not fail the drop."""
        if self.settings.chroma_host:
            return {}
        named = {str(c.id): name for name in names if (c := self.collection(name)) is not None}
        if not named:
            return {}
        database = self.settings.chroma_path.absolute() / "chroma.sqlite3"
        try:
            done = subprocess.run(
                [sys.executable, "-I", "-c", _SEGMENTS_OF, database.as_uri() + "?mode=ro", *named],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            rows = json.loads(done.stdout)
        except (OSError, subprocess.SubprocessError, ValueError) as exc:
            said = (getattr(exc, "stderr", None) or "").strip().rsplit("\n", 1)[-1]  # the child's error line
            log.warning("cannot tell the folders of %s, they stay on disk: %s", ", ".join(names), said or exc)
            return {}
        folders: dict[str, list[Path]] = {}
        for collection, segment in rows:
            if collection in named and _is_uuid(segment):  # a folder name, never a path
                folders.setdefault(named[collection], []).append(self.settings.chroma_path / segment)
        return folders

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


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _remove(folders: Sequence[Path]) -> None:
    """Remove the folders of a deleted collection. Its files may still be open in this
    process (Chroma keeps the HNSW files of the indexes it cached open): their space is
    freed when the client is closed. One that cannot be removed only costs disk space,
    so it is a warning, not a failed drop."""
    for folder in folders:
        if not folder.is_dir():  # a segment that never held a vector has no folder
            continue
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            log.warning("cannot remove %s of a deleted collection (%s); it may be deleted by hand", folder, exc)


@dataclass
class Scan:
    """The joined pages of :meth:`Chroma.scan` (only what was included is filled)."""

    ids: list[str] = field(default_factory=list)
    metadatas: list[Mapping[str, object]] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)
