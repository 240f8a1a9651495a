"""A model's request read against an overall deadline, and cancelled when it passes.

HTTP clients time out per read: a server that trickles its body a byte at a time, or
keeps a stream open with keep-alive comments and never a chunk, is never timed out, and
the question waited as long as the server liked. So requests run as coroutines on one
event loop in a daemon thread; the caller reads what they yield until the deadline and
then cancels the coroutine, which closes the connection. One loop for the process:
LangChain's providers share their async HTTP clients between models, and a client must
stay with the loop it was first used on.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TypeVar, cast

T = TypeVar("T")

_END = object()
_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _forget_loop() -> None:
    """A forked child has the loop but not its thread: it starts its own when it asks."""
    global _loop, _loop_lock
    _loop, _loop_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_loop)


def _requests_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="absatz-requests", daemon=True).start()
        return _loop


def before(deadline: float, produce: Callable[[], AsyncIterator[T]], what: str = "reply") -> Iterator[T]:
    """What ``produce()`` yields, as it comes, until ``deadline`` (``time.perf_counter``);
    past it, TimeoutError and the request is cancelled. The producer's exceptions are
    raised here; leaving the loop early cancels it too."""
    items: queue.Queue[object] = queue.Queue()

    async def pump() -> None:
        try:
            async for item in produce():
                items.put(item)
            items.put(_END)
        except Exception as exc:  # handed to the reader, whatever the provider raised
            items.put(_Failed(exc))

    # Started in a context of its own: the request outlives nothing of the caller's, and
    # clocks or state a caller's context variables select (a test's virtual clock) stay
    # with the caller.
    running = contextvars.Context().run(asyncio.run_coroutine_threadsafe, pump(), _requests_loop())
    try:
        while True:
            try:
                item = items.get(timeout=max(deadline - time.perf_counter(), 0.0))
            except queue.Empty:
                raise TimeoutError(f"{what} not complete by the deadline") from None
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.exc
            if time.perf_counter() >= deadline:  # a reader slower than the stream lags behind it
                raise TimeoutError(f"{what} not complete by the deadline")
            yield cast(T, item)
    finally:
        running.cancel()
