"""Search and ask latency at 10k and 100k passages, and the reader's memory.

    python bench/latency.py --from-store PATH [--sizes 10000 100000] [--questions 300] [--workdir DIR]
                            [--langchain-questions 60 | --no-langchain] [--components]

Building 100,000 passages of real German text by embedding them would take hours on two
cores, so the corpus is made from a store that `bench/ingest.py` (10kGNAD) or an
ordinary ingest already embedded: its real articles are copied with distinct article
ids (``<id>~r<n>``) and their vectors, nudged by tiny noise so no two are identical,
until the passage count is reached. Questions are real sentences of the corpus,
shortened, plus XQuAD-de questions (which mostly abstain). The read index is built
as an ingest builds it; each measurement then runs in a fresh process that opens the
store as the bot does, so its memory is the reader's. With ``--workdir`` the built
stores are kept and reused by the next run (building 100k takes ~25 min on two cores).

The LangChain columns time the first ``--langchain-questions`` questions (60 by
default: its ensemble is slow at 100k); every header says how many questions it timed.

``--components`` adds, per size and again in a fresh reader process, the parts the
README quotes: the exact passage scan of the read index, a Chroma query for 40
passages, fetching the sentences of ten paragraphs from Chroma, what the first Chroma
query of the sentence collection loads (its HNSW graph: size on disk and resident
memory added), and question embedding followed by a search, with numpy's BLAS held to
one thread (as the bundled embedder sets it) and with BLAS free to use every core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import DATA, ROOT, machine, percentile, proc_status_mb, read_jsonl, table

from vectorstore.chroma import Chroma
from vectorstore.embeddings import load_embedder
from vectorstore.generations import KINDS, Collections, Generations
from vectorstore.publish import publish
from vectorstore.readindex import Reader
from vectorstore.records import parse_citation_id
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings
from vectorstore.writer import Writer

import numpy as np


def replicate(source: Chroma, target: Chroma, passages: int, rng: np.random.Generator) -> tuple[int, Writer]:
    """Copy ``source``'s live records into ``target`` (again and again) up to ``passages``."""
    records = {kind: [] for kind in KINDS}
    for kind in KINDS:
        for batch in Writer.live(source).records(kind, 2000):
            records[kind].extend(batch)
    per_copy = len(records["passages"])
    copies = max(1, -(-passages // per_copy))
    pointer = Generations(source).read()
    writer = Writer(target, Generations(target).prepare(pointer.embedder, pointer.dim)[1])
    for n in range(copies):
        suffix = "" if n == 0 else f"~r{n}"
        for kind in KINDS:
            rows = []
            for record in records[kind]:
                rid, doc, emb, m = record["id"], record["document"], record["embedding"], dict(record["metadata"])
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
                writer.add_records(kind, rows[start : start + 2000])
    return copies * per_copy, writer


def measure(store_path: str, questions_file: str) -> dict:
    """Runs in a fresh process: open like the bot, time search and ask, read memory."""
    from absatz.answer import answer
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
    rss = proc_status_mb("VmHWM")
    counts = searcher.view().index.counts()
    return {"passages": counts.passages, "sentences": counts.sentences, "open_s": open_s,
            "embed_p50": percentile(embed_ms, 50),
            "search_p50": percentile(search_ms, 50), "search_p95": percentile(search_ms, 95),
            "ask_p50": percentile(ask_ms, 50), "ask_p95": percentile(ask_ms, 95), "rss_mb": rss}


def chroma_query(collections: Collections, kind: str, vector: np.ndarray, k: int):
    """Chroma's own nearest-neighbour query: what the read index's scan replaced."""
    collection = collections.of(kind)
    n = collection.count()
    return collection.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=min(k, n),
                            include=["documents", "metadatas", "distances"])


def chroma_paragraph(collections: Collections, para_id: str):
    """The sentences of one paragraph read from Chroma: what the read index's lookup replaced."""
    article_id, n = parse_citation_id(para_id)
    return collections.sentences.get(where={"$and": [{"article_id": article_id}, {"paragraph": n}]},
                                     include=["documents", "metadatas"])


def timed_ms(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


def vector_segment_mb(store_path: Path, collection: str) -> float:
    """Size on disk of a collection's HNSW segment (Chroma keeps it in a folder named
    after the segment id; the sqlite catalogue says which)."""
    db = sqlite3.connect(f"file:{store_path / 'chroma.sqlite3'}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
                         "WHERE c.name = ? AND s.scope = 'VECTOR'", (collection,)).fetchone()
    finally:
        db.close()
    folder = store_path / row[0] if row else None
    if folder is None or not folder.is_dir():
        return float("nan")
    return sum(f.stat().st_size for f in folder.iterdir() if f.is_file()) / 2**20


def measure_components(store_path: str, questions_file: str) -> dict:
    """Runs in a fresh process: the parts of a question's cost that the README quotes."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    questions = json.loads(Path(questions_file).read_text())
    searcher = Searcher.open(StoreSettings(chroma_path=Path(store_path)))
    view = searcher.view()
    vec = view.index.vectors
    collections = Generations(searcher.chroma).open(view.index.generation)
    qvecs = [searcher.embedder.embed_question(q) for q in questions]
    out: dict = {"passages": len(vec.p_text), "questions": len(questions)}

    # The sentence collection's graph: what returning sentence vectors from Chroma costs.
    out["sentence_hnsw_disk_mb"] = vector_segment_mb(Path(store_path), f"{view.index.generation}.sentences")
    before = proc_status_mb("VmRSS")
    out["sentence_first_query_ms"] = timed_ms(chroma_query, collections, "sentences", qvecs[0], 10)
    out["sentence_hnsw_rss_mb"] = proc_status_mb("VmRSS") - before

    scan = [timed_ms(vec.passage_scores, q) for q in qvecs]
    chroma_query(collections, "passages", qvecs[0], 40)  # the first query loads the passage graph
    chroma = [timed_ms(chroma_query, collections, "passages", q, 40) for q in qvecs]

    def ten_paragraphs(q: np.ndarray) -> None:
        scores = vec.passage_scores(q)
        paras: list[str] = []
        for row in np.argsort(-scores):
            pid = vec.para_id(int(vec.p_para[row]))
            if pid not in paras:
                paras.append(pid)
            if len(paras) == 10:
                break
        for pid in paras:
            chroma_paragraph(collections, pid)

    fetch = [timed_ms(ten_paragraphs, q) for q in qvecs]
    embed = {}
    for label, threads in (("blas_1", 1), ("blas_all", os.cpu_count() or 1)):
        with threadpool_limits(threads, user_api="blas"):
            ms = []
            for q in questions:  # as the bot runs: embed the question, then search
                ms.append(timed_ms(searcher.embedder.embed_question, q))
                searcher.search(q)
            embed[label] = ms
    for name, ms in (("scan", scan), ("chroma40", chroma), ("fetch10", fetch),
                     ("embed_blas_1", embed["blas_1"]), ("embed_blas_all", embed["blas_all"])):
        out[f"{name}_p50"], out[f"{name}_p95"] = percentile(ms, 50), percentile(ms, 95)
    return out


def langchain_stack(store_path: Path, embedder, questions: list[str]) -> tuple[tuple[float, float], tuple[float, float]]:
    """What a LangChain user assembles by default, over the same passages and vectors:
    ``BM25Retriever`` alone, and it with a Chroma retriever in an ``EnsembleRetriever``
    (the Chroma side reuses this store's e5 vectors, so nothing is re-embedded). Times
    every question it is given."""
    from langchain_chroma import Chroma as LangChainChroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever

    store = Chroma(StoreSettings(chroma_path=store_path))
    index = Reader(store).view().index
    bm25 = BM25Retriever.from_texts(index.vectors.p_text, k=10)
    dense = LangChainChroma(client=store.client(), collection_name=f"{index.generation}.passages",
                            embedding_function=embedder)
    ensemble = EnsembleRetriever(retrievers=[bm25, dense.as_retriever(search_kwargs={"k": 10})], weights=[0.5, 0.5])
    timings = []
    for retriever in (bm25, ensemble):
        ms = []
        for q in questions:
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
    ap.add_argument("--langchain-questions", type=int, default=60,
                    help="questions timed for the LangChain columns (default 60)")
    ap.add_argument("--no-langchain", action="store_true", help="skip the LangChain columns")
    ap.add_argument("--components", action="store_true",
                    help="also time scan, Chroma query, sentence fetch, HNSW load and BLAS-capped embedding")
    ap.add_argument("--measure", nargs=2, metavar=("STORE", "QUESTIONS"), help=argparse.SUPPRESS)
    ap.add_argument("--measure-components", nargs=2, metavar=("STORE", "QUESTIONS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    if args.measure_components:
        print(json.dumps(measure_components(*args.measure_components)))
        return
    if not args.from_store:
        sys.exit("--from-store is required (e.g. the store bench/ingest.py built)")
    rng = np.random.default_rng(7)
    source = Chroma(StoreSettings(chroma_path=args.from_store))
    docs = Reader(source).view().index.vectors.p_text
    sentences = [d for d in docs if len(d.split()) > 8]
    questions = [" ".join(s.split()[:10]) for s in random.Random(7).sample(sentences, min(len(sentences), args.questions * 2 // 3))]
    shortened = len(questions)
    xquad = DATA / "xquad-de" / "questions.jsonl"
    if xquad.exists():
        questions += [q["question"] for q in read_jsonl(xquad)[: args.questions - len(questions)]]
    qfile = Path(tempfile.mkstemp(suffix=".json")[1])
    qfile.write_text(json.dumps(questions))
    lc_questions = [] if args.no_langchain else questions[: args.langchain_questions]

    rows, components = [], []
    embedder = load_embedder(StoreSettings().embedding_model)
    for size in args.sizes:
        parent = args.workdir / str(size) if args.workdir else Path(tempfile.mkdtemp(prefix=f"absatz-latency-{size}-"))
        path = parent / "chroma"
        target = Chroma(StoreSettings(chroma_path=path))
        if not Generations(target).read().exists:
            built, writer = replicate(source, target, size, rng)
            version, threshold = publish(writer, embedder)  # what an ingest does after writing
            Generations(target).bump_version(f"{built} passages copied", version, threshold)
        Searcher(target, embedder).view()  # a reused store gets its read index here, not in the reader
        r = fresh_process("--measure", path, qfile)
        store_label = f"{r['passages']:,} passages ({r['passages'] // len(docs)}× the source), {r['sentences']:,} sentences"
        if lc_questions:
            (lc50, lc95), (en50, en95) = langchain_stack(path, embedder, lc_questions)
            lc_cells = [f"{lc50:.0f} / {lc95:.0f}", f"{en50:.0f} / {en95:.0f}"]
        else:
            lc_cells = ["not run", "not run"]
        rows.append([store_label, f"{r['embed_p50']:.0f}", f"{r['search_p50']:.0f} / {r['search_p95']:.0f}",
                     f"{r['ask_p50']:.0f} / {r['ask_p95']:.0f}", *lc_cells, f"{r['rss_mb']:.0f} MB", f"{r['open_s']:.1f} s"])
        if args.components:
            c = fresh_process("--measure-components", path, qfile)
            components.append([f"{c['passages']:,} passages",
                               f"{c['scan_p50']:.1f} / {c['scan_p95']:.1f}",
                               f"{c['chroma40_p50']:.1f} / {c['chroma40_p95']:.1f}",
                               f"{c['fetch10_p50']:.0f} / {c['fetch10_p95']:.0f}",
                               f"{c['sentence_hnsw_disk_mb']:,.1f} MB on disk, +{c['sentence_hnsw_rss_mb']:,.0f} MB resident "
                               f"({c['sentence_first_query_ms']:,.0f} ms)",
                               f"{c['embed_blas_1_p50']:.0f} / {c['embed_blas_1_p95']:.0f}",
                               f"{c['embed_blas_all_p50']:.0f} / {c['embed_blas_all_p95']:.0f}"])
    xquad_used = len(questions) - shortened
    print(f"{len(questions)} questions ({shortened} shortened corpus sentences, {xquad_used} XQuAD-de questions); "
          f"LangChain columns: {'the first ' + str(len(lc_questions)) if lc_questions else 'not run'}; {machine()}\n")
    n_lc = f"{len(lc_questions)} q" if lc_questions else "not run"
    print(table(["store", f"embed question p50 ms ({len(questions)} q)", f"search p50 / p95 ms ({len(questions)} q)",
                 f"ask p50 / p95 ms ({len(questions)} q)", f"LangChain BM25Retriever p50 / p95 ms ({n_lc})",
                 f"LangChain BM25Retriever + Chroma in EnsembleRetriever p50 / p95 ms ({n_lc})",
                 "reader peak RSS", "open + index load"], rows))
    if components:
        print(f"\nComponents, {len(questions)} questions each, in a fresh reader process; {machine()}\n")
        print(table(["store", "passage scan (read index) p50 / p95 ms", "Chroma query, 40 passages p50 / p95 ms",
                     "Chroma: sentences of ten paragraphs p50 / p95 ms",
                     "sentence HNSW graph loaded by the first Chroma sentence query",
                     "embed question, BLAS 1 thread, p50 / p95 ms",
                     f"embed question, BLAS {os.cpu_count()} threads, p50 / p95 ms"], components))


def fresh_process(flag: str, path: Path, qfile: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, flag, str(path), str(qfile)], capture_output=True,
                         text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode != 0:
        sys.exit(f"{flag} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
