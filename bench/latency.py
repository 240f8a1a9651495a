"""Search and ask latency at 10k and 100k passages, and the reader's memory.

    python bench/latency.py --from-store PATH [--sizes 10000 100000] [--questions 300] [--workdir DIR]

Building 100,000 passages of real German text by embedding them would take hours on two
cores, so the corpus is made from a store that `bench/ingest.py` (10kGNAD) or an
ordinary ingest already embedded: its real articles are copied with distinct article
ids (``<id>~r<n>``) and their vectors, nudged by tiny noise so no two are identical,
until the passage count is reached. Questions are real sentences of the corpus,
shortened, plus XQuAD-de questions (which mostly abstain). The read index is built
as an ingest builds it; each measurement then runs in a fresh process that opens the
store as the bot does, so its memory is the reader's. With ``--workdir`` the built
stores are kept and reused by the next run (building 100k takes ~25 min on two cores).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA, ROOT, machine, percentile, read_jsonl, table

from vectorstore.embeddings import load_embedder
from vectorstore.search import Searcher, publish
from vectorstore.settings import StoreSettings
from vectorstore.store import KINDS, Store

import numpy as np


def replicate(source: Store, target: Store, passages: int, rng: np.random.Generator) -> int:
    """Copy ``source``'s live records into ``target`` (again and again) up to ``passages``."""
    records = {kind: [] for kind in KINDS}
    for kind in KINDS:
        for ids, docs, metas, embs in source.records(kind, 2000):
            records[kind].extend(zip(ids, docs, metas, embs))
    per_copy = len(records["passages"])
    copies = max(1, -(-passages // per_copy))
    meta = source.meta
    target.prepare(meta["embedder"], int(meta["dim"]))
    for n in range(copies):
        suffix = "" if n == 0 else f"~r{n}"
        for kind in KINDS:
            rows = []
            for rid, doc, m, emb in records[kind]:
                m = dict(m)
                aid = m["article_id"] + suffix
                old_cid = f"{m['article_id']}#{m.get('paragraph', 0)}"
                m["article_id"] = aid
                if "para_id" in m:
                    m["para_id"] = f"{aid}#{m['paragraph']}"
                vec = np.asarray(emb, dtype=np.float32)
                if n:
                    vec = vec + rng.normal(0, 0.01, vec.shape).astype(np.float32)
                    vec /= np.linalg.norm(vec)
                new_id = aid if kind == "articles" else rid.replace(old_cid, f"{aid}#{m['paragraph']}", 1)
                rows.append({"id": new_id, "document": doc, "metadata": m, "embedding": vec.tolist()})
            for start in range(0, len(rows), 2000):
                target.add_records(kind, rows[start : start + 2000])
    return copies * per_copy


def measure(store_path: str, questions_file: str) -> dict:
    """Runs in a fresh process: open like the bot, time search and ask, read memory."""
    from bot.answer import answer
    from vectorstore.search import Searcher

    questions = json.loads(Path(questions_file).read_text())
    t = time.perf_counter()
    searcher = Searcher.open(StoreSettings(chroma_path=Path(store_path)))
    searcher.view()
    open_s = time.perf_counter() - t
    for q in questions[:5]:  # warm up
        searcher.search(q)
    embed_ms, search_ms, ask_ms = [], [], []
    for q in questions:
        t = time.perf_counter()
        searcher.embedder.embed_question(q)
        embed_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        searcher.search(q, k=5)
        search_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        answer(searcher, q)
        ask_ms.append((time.perf_counter() - t) * 1000)
    rss = int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1]) / 1024
    counts = searcher.store.counts()
    return {"passages": counts["passages"], "sentences": counts["sentences"], "open_s": open_s,
            "embed_p50": percentile(embed_ms, 50),
            "search_p50": percentile(search_ms, 50), "search_p95": percentile(search_ms, 95),
            "ask_p50": percentile(ask_ms, 50), "ask_p95": percentile(ask_ms, 95), "rss_mb": rss}


def langchain_stack(store_path: Path, embedder, questions: list[str]) -> tuple[tuple[float, float], tuple[float, float]]:
    """What a LangChain user assembles by default, over the same passages and vectors:
    ``BM25Retriever`` alone, and it with a Chroma retriever in an ``EnsembleRetriever``
    (the Chroma side reuses this store's e5 vectors, so nothing is re-embedded)."""
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever

    store = Store(StoreSettings(chroma_path=store_path))
    _, texts, _ = store.all_passages(store.snapshot())
    bm25 = BM25Retriever.from_texts(texts, k=10)
    dense = Chroma(client=store.client, collection_name=f"{store.generation}.passages", embedding_function=embedder)
    ensemble = EnsembleRetriever(retrievers=[bm25, dense.as_retriever(search_kwargs={"k": 10})], weights=[0.5, 0.5])
    timings = []
    for retriever in (bm25, ensemble):
        ms = []
        for q in questions[:60]:
            t = time.perf_counter()
            retriever.invoke(q)
            ms.append((time.perf_counter() - t) * 1000)
        timings.append((percentile(ms, 50), percentile(ms, 95)))
    return timings[0], timings[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--from-store", type=Path, required=False, help="CHROMA_PATH of an embedded store to copy")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--workdir", type=Path, help="keep the built stores here and reuse them")
    ap.add_argument("--measure", nargs=2, metavar=("STORE", "QUESTIONS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    if not args.from_store:
        sys.exit("--from-store is required (e.g. the store bench/ingest.py built)")
    rng = np.random.default_rng(7)
    source = Store(StoreSettings(chroma_path=args.from_store))
    _, docs, metas = source.all_passages(source.snapshot())
    sentences = [d for d in docs if len(d.split()) > 8]
    questions = [" ".join(s.split()[:10]) for s in random.Random(7).sample(sentences, min(len(sentences), args.questions * 2 // 3))]
    xquad = DATA / "xquad-de" / "questions.jsonl"
    if xquad.exists():
        questions += [q["question"] for q in read_jsonl(xquad)[: args.questions - len(questions)]]
    qfile = Path(tempfile.mkstemp(suffix=".json")[1])
    qfile.write_text(json.dumps(questions))

    rows = []
    embedder = load_embedder(StoreSettings().embedding_model)
    for size in args.sizes:
        parent = args.workdir / str(size) if args.workdir else Path(tempfile.mkdtemp(prefix=f"absatz-latency-{size}-"))
        path = parent / "chroma"
        target = Store(StoreSettings(chroma_path=path))
        if not target.exists:
            built = replicate(source, target, size, rng)
            version, threshold = publish(target, embedder)  # what an ingest does after writing
            target.bump_version(f"{built} passages copied", version, abstain_threshold=threshold)
        Searcher(target, embedder).view()  # a reused store gets its read index here, not in the reader
        out = subprocess.run([sys.executable, __file__, "--measure", str(path), str(qfile)], capture_output=True,
                             text=True, cwd=ROOT, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        r = json.loads(out.stdout.strip().splitlines()[-1])
        (lc50, lc95), (en50, en95) = langchain_stack(path, embedder, questions)
        rows.append([f"{r['passages']:,} passages ({r['passages'] // len(docs)}× the source), {r['sentences']:,} sentences",
                     f"{r['embed_p50']:.0f}", f"{r['search_p50']:.0f} / {r['search_p95']:.0f}", f"{r['ask_p50']:.0f} / {r['ask_p95']:.0f}",
                     f"{lc50:.0f} / {lc95:.0f}", f"{en50:.0f} / {en95:.0f}", f"{r['rss_mb']:.0f} MB", f"{r['open_s']:.1f} s"])
    print(f"{len(questions)} questions; {machine()}\n")
    print(table(["store", "embed question p50 ms", "search p50 / p95 ms", "ask p50 / p95 ms", "LangChain BM25Retriever p50 / p95 ms",
                 "LangChain BM25Retriever + Chroma in EnsembleRetriever p50 / p95 ms",
                 "reader peak RSS", "open + index load"], rows))


if __name__ == "__main__":
    main()
