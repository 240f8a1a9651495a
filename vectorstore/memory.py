"""Giving freed heap back to the operating system.

An ingest, and a reader moving to a new corpus version, allocate and free hundreds of
megabytes in small pieces (Chroma's writes, the read index). glibc keeps freed pages
for reuse, so a bot that ingests all day grew by ~0.13 MB per ingest in `bench/soak.py`
although nothing stayed referenced; trimming after each such step kept it flat.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


def release_freed_memory() -> None:
    """``malloc_trim(0)`` where the C library has it (glibc); nothing elsewhere."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
