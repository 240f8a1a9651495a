"""An ingest in a child process, for callers that must stay up: the bot's /reingest and /upload.

Writing to embedded Chroma leaves native memory behind in the writing process (the
bot grew ~0.08 MB per ingest in `bench/soak.py`; with this, not at all), a full rebuild of 100,000
passages holds ~4 GB while it reads the vectors back, and a crash in native code
would take the process with it. In a child, all of that ends with the child; the bot
only loads the read index the ingest saved. The child takes the store's lock and runs
the write steps; progress and the result (or the error) come back over a pipe, and the
parent (:class:`absatz.corpus.Corpus`) audits the outcome.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

from ingest.lock import IngestLock, lock_path
from ingest.pipeline import IngestReport, Progress
from vectorstore.errors import IngestCrashed
from vectorstore.settings import StoreSettings


def _child(
    settings: StoreSettings, paths: list[Path], max_bytes: int, holder: str, rebuild: bool, conn: Connection
) -> None:
    from ingest.pipeline import ingest_paths
    from vectorstore.chroma import Chroma
    from vectorstore.embeddings import load_embedder

    try:
        with IngestLock(lock_path(settings), holder):
            embedder = load_embedder(settings.embedding_model, settings.embedding_device)
            report = ingest_paths(
                Chroma(settings),
                embedder,
                paths,
                max_bytes,
                lambda *state: conn.send(("progress", state)),
                full_rebuild=rebuild,
            )
        conn.send(("done", report))
    except Exception as exc:  # handed to the parent, which raises it
        conn.send(("error", exc))
    finally:
        conn.close()


def _unguarded_script() -> str:
    """What to change when the script that started the ingest runs its work when it is
    imported: the ingest process imports it again (multiprocessing's spawn), runs that
    work a second time and dies, and "run it again" would only fail again."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    try:
        unguarded = path is not None and "__main__" not in Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return f' ({path} runs its work when imported: start it under `if __name__ == "__main__":`)' if unguarded else ""


def ingest_in_child(
    settings: StoreSettings,
    paths: Sequence[Path],
    max_bytes: int,
    holder: str,
    progress: Progress | None = None,
    rebuild: bool = False,
) -> IngestReport:
    """``ingest_paths`` under the ingest lock, in a fresh process; raises what it raised."""
    context = multiprocessing.get_context("spawn")  # no fork of the bot's threads and event loop
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(settings, list(paths), max_bytes, holder, rebuild, sender),
        name="absatz-ingest",
        daemon=True,
    )
    process.start()
    sender.close()
    try:
        while True:
            try:
                kind, value = receiver.recv()
            except EOFError:
                process.join()
                raise IngestCrashed(
                    f"the ingest process ended unexpectedly (exit code {process.exitcode}); "
                    f"nothing committed was lost, run it again{_unguarded_script()}"
                ) from None
            if kind == "progress":
                if progress is not None:
                    progress(*value)
            elif kind == "done":
                return cast(IngestReport, value)
            else:
                raise value
    finally:
        receiver.close()
        process.join()
