"""One ingest at a time per store, across processes (the bot and the CLI alike).

An advisory ``flock`` on a file beside the store: released by the kernel when the
holder dies, so a killed ingest never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from vectorstore.errors import AbsatzError, StoreWriteError
from vectorstore.settings import StoreSettings


class IngestBusy(AbsatzError):
    """Another ingest holds the lock; ``holder`` says who started it."""

    key = "ingest_busy"

    def __init__(self, holder: str):
        super().__init__(f"an ingest is already running ({holder or 'unknown'})", holder=holder or "?")
        self.holder = holder


def lock_path(settings: StoreSettings) -> Path:
    """One file per store, however its server is written: "127.0.0.1", "localhost" and
    "http://127.0.0.1:8000" had been three locks, so two ingests ran at once and one's
    work was lost, and a URL had made a folder of "/tmp/absatz-http:"."""
    if settings.chroma_host:
        parts = urlsplit(settings.server_url)
        host = (parts.hostname or "").lower().rstrip(".")
        host = "localhost" if host in _LOOPBACK else host
        name = re.sub(r"[^A-Za-z0-9.-]", "_", f"{host}-{parts.port}-{settings.collection}")
        return Path(tempfile.gettempdir()) / f"absatz-{name}.lock"
    return settings.chroma_path / f"{settings.collection}.ingest.lock"


_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class IngestLock:
    def __init__(self, path: Path, holder: str):
        self.path = path
        self.holder = holder
        self._fd: int | None = None

    def __enter__(self) -> IngestLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreWriteError(
                f"cannot write the ingest lock {self.path} ({exc.strerror}); is the store read-only? "
                "Nothing was changed."
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 500, 0).decode("utf-8", "replace").strip()
            os.close(fd)
            raise IngestBusy(holder) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, self.holder.encode("utf-8"), 0)
        except OSError as exc:
            # Held but unwritable (disk full): a lock kept here would refuse every later
            # ingest, in this process and in others, until a restart.
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
            raise StoreWriteError(
                f"cannot write the ingest lock {self.path} ({exc.strerror}); is the disk full? Nothing was changed."
            ) from None
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
