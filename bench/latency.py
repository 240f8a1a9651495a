"""Search and ask latency, reader memory, retrieval quality and freshness at 10k → 1M passages.

    python bench/latency.py --from-store NEWS_STORE [...] [--xquad-store XQ_STORE ...]
                            [--sizes 10000 100000 1000000] [--chroma-max 100000] [--workdir DIR]
                            [--questions 300] [--langchain-questions 60 | --no-langchain] [--freshness]

The corpus is real e5 vectors (``corpus_replica.py``): the news stores' articles (what
``bench/ingest.py`` or ``absatz eval --build`` embedded) copied with distinct ids
(``<id>~r<n>``) and tiny vector noise up to the passage count, the 48 XQuAD-de articles
(240 paragraphs) mixed in once, so their questions measure quality at every size.

Two ways to build a size, printed in the tables:

- **through Chroma** (sizes up to ``--chroma-max``): every record written into a real store
  (the write rate is measured), then the read index built from scratch from Chroma in a
  fresh process, as a first ingest or ``--rebuild`` does (time, peak memory);
- **direct** (larger sizes: writing ~8M records through Chroma would take hours and its
  writer would hold the sentences' HNSW graph in memory): the article records are written
  into Chroma (the manifest an ingest reads), the read index is written straight from the
  replicated records by the same streamed segment writer, in a fresh process.

Each size is then measured by fresh reader processes that open the store as the bot does:
questions (shortened corpus sentences and XQuAD-de questions, one at a time) → embed,
search and ask p50 / p95, the reader's peak resident memory, and what a second reader
adds beside it (its private memory — pages no other process shares — and the drop of
``MemAvailable``); retrieval quality: MRR@10 of the hybrid ranking on the XQuAD-de
questions (German and English), once as absatz searches and once with the passage search
replaced by an exact float32 scan over the same store. The LangChain columns run over the
same passages and e5 vectors (``BM25Retriever``, and it with a Chroma retriever in an
``EnsembleRetriever``) where the passages are in Chroma.

``--freshness`` then adds one article (from the fictional sample corpus) to the largest
store through the real ingest (``ingest_paths``, in its own process) while a reader that
loaded the index keeps asking a question about it: seconds until it is answered with that
article cited, bytes the ingest wrote, and how the reader moved (segments it opened, the
base reused). With ``--workdir`` built stores are kept and reused.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import DATA, ROOT, machine, percentile, proc_status_mb, require, require_modules, spawn, table
from corpus_replica import Article, Replica, check_stores, extract, load

from vectorstore.chroma import Chroma
from vectorstore.generations import Generations
from vectorstore.readindex import index_dir
from vectorstore.records import ArticleMeta, ArticleRecord
from vectorstore.settings import StoreSettings

WRITE_BATCH = 2000
DAY = 86_400.0


# --- memory -----------------------------------------------------------------------------------


def smaps_private_mb(pid: int | str = "self") -> float:
    private = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                private += int(line.split()[1])
    return private / 1024


def mem_available_mb() -> float:
    with open("/proc/meminfo") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:")) / 1024


# --- building a size --------------------------------------------------------------------------


def unit_rows(art: Article, committed: float) -> dict[str, list[dict]]:
    """The Chroma records an ingest would have written for ``art`` (vectors included)."""
    meta = ArticleMeta.from_metadata(art.meta)
    record = ArticleRecord(art.article_id, art.article_hash, meta, committed)
    mean = art.p_vec.mean(axis=0) if len(art.p_vec) else np.zeros(art.s_vec.shape[1], np.float32)
    out: dict[str, list[dict]] = {
        "articles": [
            {
                "id": art.article_id,
                "document": meta.title,
                "metadata": record.to_metadata(),
                "embedding": (mean / (np.linalg.norm(mean) or 1.0)).tolist(),
            }
        ]
    }
    for kind, sep, paras, index, texts, vecs in (
        ("passages", "~", art.p_para, art.p_index, art.p_text, art.p_vec),
        ("sentences", ".", art.s_para, art.s_index, art.s_text, art.s_vec),
    ):
        rows = []
        for p, i, text, vec in zip(paras.tolist(), index.tolist(), texts, vecs, strict=True):
            number = int(art.para_number[p])
            rows.append(
                {
                    "id": f"{art.article_id}#{number}{sep}{i}@{art.article_hash[:10]}",
                    "document": text,
                    "metadata": {
                        "article_id": art.article_id,
                        "paragraph": number,
                        "index": int(i),
                        "heading": art.para_heading[p],
                        "article_hash": art.article_hash,
                        "hash": f"{art.article_hash[:10]}-{kind[0]}{number}.{i}",
                    },
                    "embedding": vec.tolist(),
                }
            )
        out[kind] = rows
    return out


def write_store(src_path: Path, size: int, store: Path, units: bool) -> dict:
    """The replicated corpus written into a new Chroma store: every record (``units``), or
    only the article records (the direct path). Returns what was written and how fast."""
    from vectorstore.writer import Writer

    chroma = Chroma(StoreSettings(chroma_path=store))
    src = load(src_path)
    embedder = "bundled:multilingual-e5-small"
    writer = Writer(chroma, Generations(chroma).prepare(embedder, src.p_vec.shape[1])[1])
    committed = time.time() - DAY  # a day ago: the first ingest after this is recent by comparison
    pending: dict[str, list[dict]] = {"articles": [], "passages": [], "sentences": []}
    counts = dict.fromkeys(pending, 0)
    t = time.perf_counter()

    def flush(kind: str) -> None:
        rows = pending[kind]
        for start in range(0, len(rows), WRITE_BATCH):
            writer.add_records(kind, rows[start : start + WRITE_BATCH])  # type: ignore[arg-type]
        counts[kind] += len(rows)
        pending[kind] = []

    for art in Replica(src, size).articles():
        rows = unit_rows(art, committed)
        for kind in pending:
            if kind == "articles" or units:
                pending[kind] += rows[kind]
                if len(pending[kind]) >= WRITE_BATCH:
                    flush(kind)
    for kind in pending:
        flush(kind)
    seconds = time.perf_counter() - t
    return {"records": sum(counts.values()), "write_s": seconds, "committed": committed, **counts}


def build_through_chroma(store: str) -> dict:
    """In a fresh process: the read index of a written store, from scratch (what a first
    ingest or --rebuild publishes), and the version announced."""
    from vectorstore.embeddings import load_embedder
    from vectorstore.publish import publish
    from vectorstore.writer import Writer

    chroma = Chroma(StoreSettings(chroma_path=Path(store)))
    embedder = load_embedder(StoreSettings().embedding_model)
    base = proc_status_mb("VmHWM")
    t = time.perf_counter()
    version, calibrated = publish(Writer.live(chroma), embedder)
    seconds = time.perf_counter() - t
    Generations(chroma).bump_version("replicated corpus", version, calibrated.threshold)
    return {"build_s": seconds, "build_peak_mb": proc_status_mb("VmHWM"), "embedder_mb": base}


def build_direct(src_path: str, size: str, store: str, committed: str) -> dict:
    """In a fresh process: the read index written straight from the replicated records by
    the streamed segment writer (no Chroma read), then calibrated and announced."""
    from vectorstore.embeddings import load_embedder
    from vectorstore.readindex import Entry, Manifest, ReadIndex, index_lock
    from vectorstore.search import calibrate
    from vectorstore.segment import ArticleRows, SegmentWriter, new_segment_name

    chroma = Chroma(StoreSettings(chroma_path=Path(store)))
    pointer = Generations(chroma).read()
    directory = index_dir(chroma.settings)
    src = load(Path(src_path))
    t = time.perf_counter()
    name = new_segment_name()
    with index_lock(directory):
        writer = SegmentWriter(directory / name, pointer.dim)
        batch: list[ArticleRows] = []
        for art in Replica(src, int(size)).articles():
            batch.append(
                ArticleRows(
                    article_id=art.article_id,
                    article_hash=art.article_hash,
                    meta=ArticleMeta.from_metadata(art.meta),
                    committed=float(committed),
                    para_number=art.para_number,
                    para_heading=art.para_heading,
                    p_para=art.p_para,
                    p_text=art.p_text,
                    p_vec=art.p_vec,
                    s_para=art.s_para,
                    s_index=art.s_index,
                    s_text=art.s_text,
                    s_vec=art.s_vec,
                )
            )
            if len(batch) >= 500:
                writer.add(batch)
                batch = []
        writer.add(batch)
        del src, batch
        meta = writer.finish()
        manifest = Manifest(
            pointer.corpus_version,
            pointer.live,
            pointer.embedder,
            pointer.dim,
            (Entry(name, meta["passages"]),),
            1,
            meta["max_committed"],
        )
        manifest.save(directory)
    seconds = time.perf_counter() - t
    peak = proc_status_mb("VmHWM")
    embedder = load_embedder(StoreSettings().embedding_model)
    threshold = calibrate(ReadIndex.open(directory, manifest), embedder)
    Generations(chroma).bump_version("replicated corpus (direct)", pointer.corpus_version, threshold)
    return {"build_s": seconds, "build_peak_mb": peak}


def exact_scan(vec, questions: np.ndarray, k: int) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
    """Each question vector's ``k`` nearest live passages by float32 cosine over every row
    (one pass over the files for all questions), best first, ties by row."""
    questions = np.asarray(questions, np.float32)
    best_rows = np.zeros((len(questions), 0), np.int64)
    best_sims = np.zeros((len(questions), 0), np.float32)
    for i, seg in enumerate(vec.segments):
        dead = vec._dead_passages[i]
        for start in range(0, seg.passages, 100_000):
            sims = questions @ np.asarray(seg.p_f32[start : start + 100_000]).T
            if dead is not None:
                local = dead[(dead >= start) & (dead < start + 100_000)] - start
                sims[:, local] = -np.inf
            rows = np.broadcast_to(np.arange(start, start + sims.shape[1]) + vec.p_off[i], sims.shape)
            best_rows = np.concatenate([best_rows, rows], axis=1)
            best_sims = np.concatenate([best_sims, sims], axis=1)
            keep = np.argpartition(-best_sims, min(k, best_sims.shape[1]) - 1, axis=1)[:, :k]
            best_rows = np.take_along_axis(best_rows, keep, axis=1)
            best_sims = np.take_along_axis(best_sims, keep, axis=1)
            order = np.lexsort((best_rows, -best_sims), axis=-1)  # best first, ties by row
            best_rows = np.take_along_axis(best_rows, order, axis=1)
            best_sims = np.take_along_axis(best_sims, order, axis=1)
    return {q.tobytes(): (r, s) for q, r, s in zip(questions, best_rows, best_sims, strict=True)}


def disk_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.exists() else 0.0


# --- readers ----------------------------------------------------------------------------------


def measure(store: str, questions_file: str) -> None:
    """A fresh reader: open like the bot, time search and ask, report, then stay up until the
    parent closes stdin (so a second reader can be measured beside it)."""
    from absatz.answer import answer
    from vectorstore.search import Searcher

    questions = json.loads(Path(questions_file).read_text())
    t = time.perf_counter()
    searcher = Searcher.open(StoreSettings(chroma_path=Path(store)))
    searcher.view()
    open_s = time.perf_counter() - t
    for q in questions[:5]:  # warm up, as the bot does before its first question
        answer(searcher, q)
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
    counts = searcher.view().index.counts()
    print(
        json.dumps(
            {
                "passages": counts.passages,
                "sentences": counts.sentences,
                "open_s": open_s,
                "embed_p50": percentile(embed_ms, 50),
                "search_p50": percentile(search_ms, 50),
                "search_p95": percentile(search_ms, 95),
                "ask_p50": percentile(ask_ms, 50),
                "ask_p95": percentile(ask_ms, 95),
                "rss_mb": proc_status_mb("VmRSS"),
                "hwm_mb": proc_status_mb("VmHWM"),
                # RSS = anonymous memory + mapped file pages (the index, shared with other readers)
                "anon_mb": proc_status_mb("RssAnon"),
                "private_mb": smaps_private_mb(),
            }
        ),
        flush=True,
    )
    sys.stdin.read()


def quality(store: str, src_path: str) -> dict:
    """MRR@10 of the hybrid ranking on the XQuAD-de questions, as absatz searches and with an
    exact float32 scan of every passage in its place (same store, same question vectors)."""
    from vectorstore.evidence import PASSAGE_POOL
    from vectorstore.readindex import Reader
    from vectorstore.search import CROWDED_DEPTH, rank

    src = load(Path(src_path))
    index = Reader(Chroma(StoreSettings(chroma_path=Path(store)))).view().index
    vec = index.vectors
    deepest = PASSAGE_POOL * CROWDED_DEPTH  # a pool crowded by copies is searched this deep
    exact = exact_scan(vec, src.q_vec, k=deepest)

    def exact_top(qvec: np.ndarray, k: int, allowed: np.ndarray | None = None, shortlist: int = 0):
        assert allowed is None and k <= deepest, "the quality questions search the whole store"
        rows, sims = exact[qvec.tobytes()]
        return rows[:k], sims[:k]

    out = {}
    searched = vec.passage_top
    for label, fn in (("index", searched), ("exact", exact_top)):
        vec.passage_top = fn  # type: ignore[method-assign]
        for lang in ("de", "en"):
            rr = []
            for text, q_lang, gold, qvec in zip(src.q_text, src.q_lang, src.q_gold, src.q_vec, strict=True):
                if q_lang != lang:
                    continue
                hits = rank(index, text, qvec, k=10).hits
                ids = [h.para_id for h in hits]
                rr.append(1 / (ids.index(gold) + 1) if gold in ids else 0.0)
            out[f"{label}_{lang}"] = float(np.mean(rr))
    return out


def langchain_stack(store_path: Path, questions: list[str]) -> tuple[tuple[float, float], tuple[float, float]]:
    """What a LangChain user assembles by default, over the same passages and vectors:
    ``BM25Retriever`` alone, and it with a Chroma retriever in an ``EnsembleRetriever``
    (the Chroma side reuses this store's e5 vectors, so nothing is re-embedded)."""
    from langchain_chroma import Chroma as LangChainChroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever

    from vectorstore.embeddings import load_embedder
    from vectorstore.readindex import Reader

    store = Chroma(StoreSettings(chroma_path=store_path))
    index = Reader(store).view().index
    bm25 = BM25Retriever.from_texts(list(index.vectors.p_text), k=10)
    dense = LangChainChroma(
        client=store.client(),
        collection_name=f"{index.generation}.passages",
        embedding_function=load_embedder(StoreSettings().embedding_model),
    )
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


# --- freshness --------------------------------------------------------------------------------


def fresh_reader(store: str, question: str, article_id: str) -> None:
    """A reader that loaded the index answers the question until the new article is cited."""
    from absatz.answer import answer
    from vectorstore.search import Searcher

    searcher = Searcher.open(StoreSettings(chroma_path=Path(store)))
    before = searcher.view().index
    base = before.vectors.segments[0]
    answer(searcher, question)
    print(json.dumps({"ready": True}), flush=True)
    while True:
        t = time.perf_counter()
        view = searcher.view()
        switched_ms = (time.perf_counter() - t) * 1000
        got = answer(searcher, question)
        if not got.abstained and got.citations and got.citations[0].article_id == article_id:
            index = view.index
            print(
                json.dumps(
                    {
                        "at": time.time(),
                        "switch_ms": switched_ms,
                        "segments": len(index.vectors.segments),
                        "opened": len(index.vectors.segments) - len(before.vectors.segments),
                        "base_reused": index.vectors.segments[0] is base,
                        "hwm_mb": proc_status_mb("VmHWM"),
                    }
                ),
                flush=True,
            )
            return
        time.sleep(0.1)


def fresh_ingest(store: str, path: str) -> dict:
    """The real ingest of one article file, in its own process; its disk writes from the kernel."""
    from ingest.pipeline import ingest_paths
    from vectorstore.embeddings import load_embedder

    chroma = Chroma(StoreSettings(chroma_path=Path(store)))
    embedder = load_embedder(StoreSettings().embedding_model)

    def io() -> dict[str, int]:
        with open("/proc/self/io") as f:
            return {k: int(v) for k, v in (line.split(": ") for line in f)}

    before = io()
    t = time.perf_counter()
    report = ingest_paths(chroma, embedder, [path])
    seconds = time.perf_counter() - t
    after = io()
    return {
        "ingest_s": seconds,
        "write_bytes": after["write_bytes"] - before["write_bytes"],
        "wchar": after["wchar"] - before["wchar"],
        "units": report.units_embedded,
        "added": report.added,
    }


def freshness(store: Path, workdir: Path) -> dict:
    corpus = sorted((ROOT / "corpus").glob("*.txt"))
    directory = index_dir(StoreSettings(chroma_path=store))
    done = json.loads((workdir / "fresh-used.json").read_text()) if (workdir / "fresh-used.json").exists() else []
    path = next(p for p in corpus if p.stem not in done)
    (workdir / "fresh-used.json").write_text(json.dumps([*done, path.stem]))
    sentences = [s for s in path.read_text(encoding="utf-8").split(". ") if len(s.split()) >= 8]
    question = " ".join(sentences[len(sentences) // 2].split()[:14])
    index_before = disk_mb(directory)
    reader, _ready = started(["--fresh-reader", str(store), question, path.stem])
    t0 = time.time()
    ingest = child(["--fresh-ingest", str(store), str(path)])
    assert reader.stdout is not None and reader.stderr is not None  # spawn opens them
    line = reader.stdout.readline()
    reader.wait()
    if not line:
        sys.exit(f"the fresh reader failed:\n{reader.stderr.read()[-3000:]}")
    seen = json.loads(line)
    return {
        "article": path.stem,
        "question": question,
        "answerable_s": seen["at"] - t0,
        **ingest,
        **{k: seen[k] for k in ("switch_ms", "segments", "opened", "base_reused", "hwm_mb")},
        "index_growth_mb": disk_mb(directory) - index_before,
    }


# --- processes --------------------------------------------------------------------------------


def child(args: list[str]) -> dict:
    """Run this script with ``args`` in a fresh process to the end; its last line of output is JSON."""
    proc = spawn(__file__, args)
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"{args[0]} failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def started(args: list[str]) -> tuple[subprocess.Popen[str], dict]:
    """Start this script with ``args`` in a fresh process; return it after its first line
    of output (JSON, returned too), still running."""
    proc = spawn(__file__, args)
    assert proc.stdout is not None and proc.stderr is not None  # spawn opens them
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        sys.exit(f"{args[0]} failed:\n{proc.stderr.read()[-3000:]}")
    return proc, json.loads(line)


def two_readers(store: Path, qfile: Path) -> tuple[dict, dict, float]:
    first, first_report = started(["--measure", str(store), str(qfile)])
    avail = mem_available_mb()
    second, second_report = started(["--measure", str(store), str(qfile)])
    drop = avail - mem_available_mb()
    for proc in (first, second):
        assert proc.stdin is not None  # spawn opens it
        proc.stdin.close()
        proc.wait()
    return first_report, second_report, drop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from-store", type=Path, nargs="+", help="CHROMA_PATH of embedded news stores")
    ap.add_argument("--xquad-store", type=Path, nargs="+", help="stores holding the XQuAD-de articles")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--chroma-max", type=int, default=100_000, help="largest size written through Chroma")
    ap.add_argument("--questions", type=int, default=300)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "absatz-latency")
    ap.add_argument("--langchain-questions", type=int, default=60)
    ap.add_argument("--no-langchain", action="store_true")
    ap.add_argument("--freshness", action="store_true", help="add one article to the largest store, timed")
    for flag, n in (
        ("--measure", 2),
        ("--quality", 2),
        ("--build-chroma", 1),
        ("--build-direct", 4),
        ("--write-store", 4),
        ("--fresh-reader", 3),
        ("--fresh-ingest", 2),
    ):
        ap.add_argument(flag, nargs=n, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.no_langchain:
        require_modules(ap, ["langchain_chroma", "langchain_community", "langchain_classic"], "--no-langchain")
    if args.measure:
        measure(*args.measure)
        return
    for flag, fn in (
        ("quality", quality),
        ("build_chroma", build_through_chroma),
        ("build_direct", build_direct),
        ("fresh_ingest", fresh_ingest),
    ):
        if getattr(args, flag):
            print(json.dumps(fn(*getattr(args, flag))), flush=True)
            return
    if args.write_store:
        src, size, store, units = args.write_store
        print(json.dumps(write_store(Path(src), int(size), Path(store), units == "units")), flush=True)
        return
    if args.fresh_reader:
        fresh_reader(*args.fresh_reader)
        return

    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    src_path = workdir / "source.npz"
    if not src_path.exists():
        if not args.from_store:
            sys.exit("--from-store is needed once (the extracted vectors are kept in --workdir)")
        check_stores(args.from_store)  # before the XQuAD-de store is built (minutes)
        xquad = args.xquad_store or [ingest_xquad(workdir)]
        extract(args.from_store, xquad, src_path)
    src = load(src_path)
    news = [
        t
        for t, p in zip(src.p_text, src.p_para, strict=True)
        if not src.xquad[src.para_article[p]] and len(t.split()) > 8
    ]
    questions = [" ".join(s.split()[:10]) for s in random.Random(7).sample(news, args.questions * 2 // 3)]
    shortened = len(questions)
    questions += [q for q, lang in zip(src.q_text, src.q_lang, strict=True) if lang == "de"][
        : args.questions - shortened
    ]
    qfile = workdir / "questions.json"
    qfile.write_text(json.dumps(questions))
    lc_questions = [] if args.no_langchain else questions[: args.langchain_questions]

    results = json.loads((workdir / "results.json").read_text()) if (workdir / "results.json").exists() else {}
    for size in args.sizes:
        store = workdir / str(size) / "chroma"
        key = str(size)
        r = results.setdefault(key, {})
        path = "Chroma" if size <= args.chroma_max else "direct"
        if "build" not in r:
            if store.exists():
                sys.exit(f"{store} is half-built (no result recorded): remove it")
            r["write"] = child(
                ["--write-store", str(src_path), key, str(store), "units" if path == "Chroma" else "articles"]
            )
            if path == "Chroma":
                r["build"] = child(["--build-chroma", str(store)])
            else:
                r["build"] = child(["--build-direct", str(src_path), key, str(store), str(r["write"]["committed"])])
            r["path"] = path
            r["index_mb"] = disk_mb(index_dir(StoreSettings(chroma_path=store)))
            r["store_mb"] = disk_mb(store) - r["index_mb"]
            save(workdir, results)
        first, second, drop = two_readers(store, qfile)
        r.update(reader=first, second=second, avail_drop=drop)
        r["quality"] = child(["--quality", str(store), str(src_path)])
        if lc_questions and path == "Chroma":
            (b50, b95), (e50, e95) = langchain_stack(store, lc_questions)
            r["langchain"] = [b50, b95, e50, e95]
        save(workdir, results)
        print(json.dumps({key: r}), file=sys.stderr, flush=True)
    if args.freshness:
        largest = str(max(args.sizes))
        results[largest]["freshness"] = freshness(workdir / largest / "chroma", workdir)
        save(workdir, results)
    report(results, args, len(questions), shortened, len(lc_questions))


def save(workdir: Path, results: dict) -> None:
    (workdir / "results.json").write_text(json.dumps(results, indent=1))


def ingest_xquad(workdir: Path) -> Path:
    """A store of the XQuAD-de articles, embedded here once (a few minutes on two cores)."""
    from ingest.pipeline import ingest_paths
    from vectorstore.embeddings import load_embedder

    articles = require(DATA / "xquad-de" / "articles.jsonl")
    store = workdir / "xquad" / "chroma"
    if not Generations(Chroma(StoreSettings(chroma_path=store))).read().exists:
        ingest_paths(
            Chroma(StoreSettings(chroma_path=store)),
            load_embedder(StoreSettings().embedding_model),
            [articles],
        )
    return store


def report(results: dict, args: argparse.Namespace, n_q: int, shortened: int, n_lc: int) -> None:
    sizes = [str(s) for s in args.sizes if str(s) in results and "reader" in results[str(s)]]
    print(
        f"{n_q} questions ({shortened} shortened corpus sentences, {n_q - shortened} XQuAD-de questions), one at a "
        f"time; LangChain columns: the first {n_lc}; {machine()}\n"
    )
    rows = []
    for s in sizes:
        r = results[s]
        m, m2, q = r["reader"], r["second"], r["quality"]
        lc = r.get("langchain")
        lc_cells = (
            [f"{lc[0]:.0f} / {lc[1]:.0f}", f"{lc[2]:.0f} / {lc[3]:.0f}"]
            if lc
            else ["not run (passages not in Chroma)"] * 2
            if r["path"] == "direct"
            else ["not run"] * 2
        )
        rows.append(
            [
                f"{m['passages']:,} passages, {m['sentences']:,} sentences ({r['path']})",
                f"{m['embed_p50']:.0f}",
                f"{m['search_p50']:.0f} / {m['search_p95']:.0f}",
                f"{m['ask_p50']:.0f} / {m['ask_p95']:.0f}",
                *lc_cells,
                f"{m['hwm_mb']:,.0f} MB" + (f" ({m['anon_mb']:,.0f} MB anonymous)" if "anon_mb" in m else ""),
                f"{m2['private_mb']:,.0f} MB ({r['avail_drop']:+,.0f})",
                f"{m['open_s']:.1f} s",
                f"{q['index_de']:.4f} / {q['index_en']:.4f}",
                f"{q['exact_de']:.4f} / {q['exact_en']:.4f}",
            ]
        )
    print(
        table(
            [
                "store",
                "embed question p50 ms",
                "search p50 / p95 ms",
                "ask p50 / p95 ms",
                "LangChain BM25Retriever p50 / p95 ms",
                "LangChain BM25Retriever + Chroma (Ensemble) p50 / p95 ms",
                "reader peak RSS (of it anonymous)",
                "2nd reader adds: private (MemAvailable drop)",
                "open + index load",
                "MRR@10 de / en",
                "exact float32 scan: MRR@10 de / en",
            ],
            rows,
        )
    )
    print(f"\nBuilding each store; {machine()}\n")
    rows = []
    for s in sizes:
        r = results[s]
        w, b = r["write"], r["build"]
        written = (
            f"{w['records']:,} records in {w['write_s']:,.0f} s ({w['records'] / w['write_s']:,.0f}/s)"
            if r["path"] == "Chroma"
            else f"{w['articles']:,} article records in {w['write_s']:,.0f} s "
            f"({w['articles'] / w['write_s']:,.0f}/s); passages and sentences not written"
        )
        source = (
            "from Chroma, from scratch (publish)" if r["path"] == "Chroma" else "straight from the replicated records"
        )
        rows.append(
            [
                s,
                written,
                source,
                f"{b['build_s']:,.0f} s",
                f"{b['build_peak_mb']:,.0f} MB",
                f"{r['index_mb']:,.0f} MB",
                f"{r['store_mb']:,.0f} MB",
            ]
        )
    print(
        table(
            [
                "passages",
                "Chroma writes",
                "read index built",
                "build time",
                "build peak RSS",
                "read index on disk",
                "Chroma store on disk",
            ],
            rows,
        )
    )
    fresh = [(s, results[s]["freshness"]) for s in sizes if "freshness" in results[s]]
    if fresh:
        print(
            f"\nAdding one article to the largest store (real ingest in its own process; a reader that had "
            f"loaded the index asks until it is cited); {machine()}\n"
        )
        print(
            table(
                [
                    "store",
                    "article",
                    "answerable after",
                    "ingest (embed, write, publish, prune)",
                    "units embedded",
                    "bytes written by the ingest",
                    "read index grew",
                    "reader: segments opened",
                    "reader: base reused",
                    "reader: switch",
                ],
                [
                    [
                        f"{int(s):,} passages",
                        f["article"],
                        f"{f['answerable_s']:.1f} s",
                        f"{f['ingest_s']:.1f} s",
                        f["units"],
                        f"{f['write_bytes'] / 2**20:.1f} MB",
                        f"{f['index_growth_mb']:.2f} MB",
                        f["opened"],
                        "yes" if f["base_reused"] else "no",
                        f"{f['switch_ms']:.0f} ms",
                    ]
                    for s, f in fresh
                ],
            )
        )


if __name__ == "__main__":
    main()
