"""absatz.deadline: a model's request read against an overall deadline."""

import asyncio
import multiprocessing
import time

import pytest

from absatz.deadline import before


async def _words(*words: str, pause: float = 0.0, log: list[str] | None = None):
    try:
        for w in words:
            await asyncio.sleep(pause)
            yield w
    finally:
        if log is not None:
            log.append("closed")


def test_what_the_request_yields_arrives_in_order():
    assert list(before(time.perf_counter() + 30, lambda: _words("Ein", " Satz", "."))) == ["Ein", " Satz", "."]


def test_the_requests_error_is_raised_to_the_reader():
    async def failing():
        yield "Ein"
        raise ConnectionError("provider gone")

    with pytest.raises(ConnectionError, match="provider gone"):
        list(before(time.perf_counter() + 30, failing))


def test_past_the_deadline_the_reader_stops_and_the_request_is_cancelled():
    log: list[str] = []
    started = time.perf_counter()
    got = []
    with pytest.raises(TimeoutError):
        for word in before(started + 0.5, lambda: _words(*"abcdefghij", pause=1.0, log=log)):
            got.append(word)
    assert time.perf_counter() - started < 8 and got == []  # the whole request: 10 s
    deadline = time.monotonic() + 10
    while not log and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log == ["closed"], "the request went on after the deadline"


def test_a_reader_slower_than_the_stream_stops_at_the_deadline():
    """Chunks queued in time had still been read, each checked, long past the deadline."""
    started = time.perf_counter()
    read = 0
    with pytest.raises(TimeoutError):
        for _ in before(started + 1.0, lambda: _words(*["w"] * 400)):
            read += 1
            time.sleep(0.05)
    assert read < 400 and time.perf_counter() - started < 10  # reading it all: 20 s


def _in_child(queue) -> None:
    queue.put(list(before(time.perf_counter() + 10, lambda: _words("im", " Kind"))))


def test_a_forked_child_runs_its_own_requests():
    """The loop's thread is not forked with the process: the child's requests had waited
    on a loop nobody ran, until the deadline."""
    list(before(time.perf_counter() + 30, lambda: _words("x")))  # the parent's loop runs
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue,))
    child.start()
    assert queue.get(timeout=60) == ["im", " Kind"]
    child.join(60)
