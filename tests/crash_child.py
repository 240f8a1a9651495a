"""A real `absatz ingest` that stops at a chosen point and waits there to be killed.

Not a test module: ``tests/test_consistency.py`` starts it as a child process,

    python -m tests.crash_child POINT COUNT -- ingest CORPUS --chroma-path STORE --json

It runs the real CLI ingest (``absatz.cli.main``) with a few store methods wrapped *in
this process only* (production code has no hooks): every Chroma call
(``vectorstore.chroma.Chroma.call``), ``vectorstore.publish.publish``,
``Generations.bump_version`` and ``Writer.prune``. When the ingest reaches the kill
point, the child prints one line ``KILLPOINT <point> <details>`` to stdout and blocks
reading stdin; the parent waits for that line and sends SIGKILL. If the parent closes
stdin instead, the child exits with status 3 without finishing the ingest.

Points (COUNT counts within this run):

- ``records N``  right after the write that brings the passage and sentence records
  written by this run to at least N (an article's sentences are written before its
  passages, so N can fall between the two);
- ``commit N``   after all records of the N-th article of this run were written, just
  before its commit record (the ``.articles`` upsert);
- ``publish``    after every article was committed, before the read index is built;
- ``announce``   after the read index was built and saved, before the corpus version
  is bumped (readers have not been told);
- ``prune N``    inside the prune of superseded records, after its N-th delete.

Articles are embedded and written one at a time (``EMBED_BATCH = 1``), so an article
killed half-way is the only one whose embedding is lost.

    python -m tests.crash_child inspect STORE

prints, as one JSON object, what a freshly started process finds in an embedded store:
the manifest, every stored record id, and the read index it would build (and the one
saved beside the store). It runs in its own process because an embedded Chroma client
that was opened before another process wrote cannot read the new vectors (Chroma
1.5: "Error finding id"); a fresh process is what the next run and a restarted bot are.
"""

from __future__ import annotations

import sys


def stop_here(point: str, details: str) -> None:
    print(f"KILLPOINT {point} {details}", flush=True)
    sys.stdin.read()  # blocks until the parent kills us (or closes stdin)
    print("KILLPOINT released without a kill", file=sys.stderr, flush=True)
    import os

    os._exit(3)


def install(point: str, count: int) -> None:
    import ingest.pipeline as pipeline
    from vectorstore.chroma import Chroma
    from vectorstore.generations import Generations
    from vectorstore.writer import Writer

    pipeline.EMBED_BATCH = 1
    state = {"records": 0, "commits": 0, "deletes": 0, "pruning": False}
    call = Chroma.call

    def kind_of(fn) -> tuple[str, str]:
        collection = getattr(getattr(fn, "__self__", None), "name", "") or ""
        return getattr(fn, "__name__", ""), collection.rsplit(".", 1)[-1]

    def wrapped_call(self, fn, *args, **kwargs):
        name, kind = kind_of(fn)
        if point == "commit" and name == "upsert" and kind == "articles":
            state["commits"] += 1
            if state["commits"] == count:
                stop_here("commit", f"article={kwargs['ids'][0]} commits={state['commits'] - 1}")
        result = call(self, fn, *args, **kwargs)
        if point == "records" and name == "upsert" and kind in ("passages", "sentences"):
            ids = kwargs["ids"]
            state["records"] += len(ids)
            if state["records"] >= count:
                stop_here("records", f"written={state['records']} last={kind} id={ids[-1]}")
        if point == "prune" and state["pruning"] and name == "delete":
            state["deletes"] += 1
            if state["deletes"] == count:
                stop_here("prune", f"deletes={state['deletes']} last={kind}")
        return result

    Chroma.call = wrapped_call

    if point == "publish":
        from vectorstore import publish as publishing

        publish = publishing.publish

        def wrapped_publish(writer, embedder):
            stop_here("publish", "")
            return publish(writer, embedder)

        publishing.publish = wrapped_publish

    if point == "announce":
        bump = Generations.bump_version

        def wrapped_bump(self, summary, version, threshold):
            stop_here("announce", f"version={version}")
            return bump(self, summary, version, threshold)

        Generations.bump_version = wrapped_bump

    if point == "prune":
        prune = Writer.prune

        def wrapped_prune(self, article_ids=None):
            state["pruning"] = True
            try:
                return prune(self, article_ids)
            finally:
                state["pruning"] = False

        Writer.prune = wrapped_prune


def inspect(chroma: str) -> dict:
    from pathlib import Path

    from vectorstore.chroma import Chroma
    from vectorstore.generations import Generations
    from vectorstore.readindex import ReadIndex
    from vectorstore.settings import StoreSettings
    from vectorstore.writer import Writer

    store = Chroma(StoreSettings(chroma_path=Path(chroma)))
    pointer = Generations(store).read()
    writer = Writer.live(store)
    committed = {aid: r.article_hash for aid, r in writer.committed_articles().items()}
    index = ReadIndex.build(writer, "inspect", (pointer.embedder, pointer.dim))
    vectors = index.vectors
    # BM25 must hold every passage row the vectors hold: its own text finds it.
    bm25_missing = [
        row for row, text in enumerate(vectors.p_text) if row not in [r for r, _ in index.lexical.search(text, 3)]
    ]
    saved = ReadIndex.load(store.settings.read_index_dir)
    return {
        "meta": pointer.to_metadata(),
        "committed": committed,
        "passages": writer.stored_ids("passages"),
        "sentences": writer.stored_ids("sentences"),
        "index": {
            "hashes": index.hashes,
            "para_ids": vectors.para_ids(),
            "passages": list(vectors.p_text),
            "bm25_missing": bm25_missing,
        },
        "saved": None
        if saved is None
        else {"version": saved.version, "hashes": saved.hashes, "para_ids": saved.vectors.para_ids()},
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["inspect"] and len(argv) == 2:
        import json

        print(json.dumps(inspect(argv[1]), ensure_ascii=False))
        return 0
    if "--" not in argv or argv.index("--") not in (1, 2):
        print("usage: python -m tests.crash_child POINT [COUNT] -- CLI ARGS...", file=sys.stderr)
        return 2
    split = argv.index("--")
    point, count = argv[0], int(argv[1]) if split == 2 else 1
    if point not in ("records", "commit", "publish", "announce", "prune"):
        print(f"unknown kill point {point!r}", file=sys.stderr)
        return 2
    install(point, count)
    from absatz.cli import main as cli_main

    return cli_main(argv[split + 1 :])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
