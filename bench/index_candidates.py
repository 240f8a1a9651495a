"""Which vector index should the read index use at a million passages? Measured, not guessed.

    python bench/index_candidates.py --from-store NEWS_STORE [NEWS_STORE ...] --xquad-store XQ [XQ ...]
                                     [--sizes 1000000] [--workdir DIR] [--only NAME ...]
                                     [--chroma-size 100000] [--bm25]

The corpus is real e5 vectors (:mod:`corpus_replica`): the news stores' passages copied
with distinct ids and tiny noise up to the size, the 290 XQuAD-de passages (240
paragraphs) mixed in once. Each candidate is built in a fresh process (build time, its
peak resident memory, size on disk), then opened by a fresh reader process that runs
every question one at a time on one thread (numpy's BLAS, faiss's OpenMP and usearch
held to one, as the bundled embedder holds BLAS): load time, query p50 / p95 (the 40
nearest passages, what the search asks for), resident memory after the queries; then a
second reader process opens the same files while the first still runs and answers the
same questions: what it adds to the host is its private memory (``Private_Clean +
Private_Dirty`` of ``/proc/PID/smaps_rollup``: pages no other process shares) and the
drop of ``MemAvailable`` while it runs (noisier: the machine is shared).

Quality: the 1,190 XQuAD-de questions (German, and the same questions in English) ask
for one gold paragraph among all; MRR@10 over paragraphs (each paragraph's best passage
counts) from the candidate's 40 passages, beside the exact float32 scan's, and the
overlap of the candidate's 40 passages with the exact 40 over all 2,580 questions (200
news queries included). Dense passages only: this compares the indexes, not absatz's
hybrid ranking (``bench/latency.py`` measures that).

``--bm25`` adds bm25s over the same passages' texts: ``BM25.index`` of the whole corpus
at once (what ``vectorstore/lexical.py`` does today), saved, loaded memory-mapped.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Protocol

import numpy as np
from common import machine, missing_modules, percentile, proc_status_mb, spawn, table
from corpus_replica import Replica, extract, load

DIM = 384
K = 40  # PASSAGE_POOL: what the search asks the passage index for
THREADS_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# --- memory -------------------------------------------------------------------------------


def smaps_rollup(pid: int | str = "self") -> dict[str, float]:
    """Rss, Pss and private memory (MB) of a process from the kernel's summary."""
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1].isdigit():
                out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    out["Private"] = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)
    return out


def mem_available_mb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def disk_mb(paths: list[Path]) -> float:
    return sum(p.stat().st_size for p in paths if p.exists()) / 2**20


# --- the corpus as files --------------------------------------------------------------------


def corpus_files(src_path: Path, size: int, folder: Path) -> dict:
    """``passages.f32`` (float32 rows), ``para.npy`` (each row's paragraph), ``gold.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    info_path = folder / "corpus.json"
    if info_path.exists():
        return json.loads(info_path.read_text())
    src = load(src_path)
    replica = Replica(src, size)
    para_rows, rows, paras = [], 0, 0
    gold_ids: dict[str, int] = {}
    with open(folder / "passages.f32", "wb") as f:
        for art in replica.articles():
            f.write(np.ascontiguousarray(art.p_vec, np.float32).tobytes())
            para_rows.append(art.p_para.astype(np.int32) + paras)
            if art.xquad:
                for p in art.p_para.tolist():
                    gold_ids.setdefault(f"{art.article_id}#{int(art.para_number[p])}", int(paras + p))
            rows += len(art.p_text)
            paras += len(art.para_number)
    np.save(folder / "para.npy", np.concatenate(para_rows))
    info = {"rows": rows, "paragraphs": paras, "gold_para": gold_ids, "copies": replica.copies}
    info_path.write_text(json.dumps(info))
    return info


def matrix(folder: Path, rows: int) -> np.ndarray:
    return np.memmap(folder / "passages.f32", dtype=np.float32, mode="r", shape=(rows, DIM))


def chunks(folder: Path, rows: int, size: int = 100_000):
    """The float32 rows ``size`` at a time, read (not mapped): a build's memory is its own."""
    with open(folder / "passages.f32", "rb") as f:
        for start in range(0, rows, size):
            n = min(size, rows - start)
            yield start, np.frombuffer(f.read(n * DIM * 4), dtype=np.float32).reshape(n, DIM)


def exact_top(folder: Path, rows: int, queries: np.ndarray, k: int = K) -> np.ndarray:
    """The exact float32 top ``k`` rows of every query (the reference), by blocks."""
    best_s = np.full((len(queries), k), -np.inf, np.float32)
    best_i = np.zeros((len(queries), k), np.int64)
    for start, block in chunks(folder, rows, 20_000):
        s = queries @ block.T
        i = np.argpartition(-s, min(k, s.shape[1]) - 1, axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, i, 1)], axis=1)
        cand_i = np.concatenate([best_i, i + start], axis=1)
        keep = np.argpartition(-cand_s, k - 1, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(cand_s, keep, 1), np.take_along_axis(cand_i, keep, 1)
    order = np.argsort(-best_s, axis=1)
    return np.take_along_axis(best_i, order, 1)


# --- int8 rescoring (shared by the candidates that only shortlist) ------------------------------


def write_int8(folder: Path, rows: int, out: Path) -> None:
    """Symmetric int8 per row with one float32 scale (as the read index stores sentences)."""
    with open(out / "p_i8.bin", "wb") as fv, open(out / "p_scale.bin", "wb") as fs:
        for _, block in chunks(folder, rows):
            scale = np.abs(block).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            fv.write(np.round(block / scale[:, None]).astype(np.int8).tobytes())
            fs.write(scale.astype(np.float32).tobytes())


class Int8Rescorer:
    def __init__(self, out: Path, rows: int):
        self.vec = np.memmap(out / "p_i8.bin", dtype=np.int8, mode="r", shape=(rows, DIM))
        self.scale = np.memmap(out / "p_scale.bin", dtype=np.float32, mode="r", shape=(rows,))

    def top(self, q: np.ndarray, shortlist: np.ndarray, k: int) -> np.ndarray:
        shortlist = np.sort(shortlist[shortlist >= 0])  # in file order: fewer page faults
        s = (self.vec[shortlist].astype(np.float32) @ q) * self.scale[shortlist]
        k = min(k, len(s))
        i = np.argpartition(-s, k - 1)[:k]
        return shortlist[i[np.argsort(-s[i])]]


# --- the candidates -------------------------------------------------------------------------


class Search(Protocol):
    """An opened candidate: the ``k`` nearest rows of ``q``, best first (among ``allowed``)."""

    def __call__(self, q: np.ndarray, k: int = ..., allowed: np.ndarray | None = ...) -> np.ndarray: ...


class Candidate(Protocol):
    """Built once from the corpus folder into ``out``, then opened by each reader."""

    @property
    def files(self) -> tuple[str, ...]:
        """What it writes into ``out`` (its size on disk)."""
        ...

    def build(self, folder: Path, rows: int, out: Path) -> None: ...

    def open(self, out: Path, rows: int) -> Search: ...


class F32Scan:
    """Today's read index: every passage in one float32 matrix, scanned exactly (memory-mapped)."""

    files = ("passages.f32",)

    def build(self, folder: Path, rows: int, out: Path) -> None:
        (out / "passages.f32").unlink(missing_ok=True)
        os.link(folder / "passages.f32", out / "passages.f32")

    def open(self, out: Path, rows: int) -> Search:
        m = matrix(out, rows)

        def search(q, k=K, allowed=None):
            s = m @ q
            if allowed is not None:
                s = np.where(allowed, s, -np.inf)
            i = np.argpartition(-s, k - 1)[:k]
            return i[np.argsort(-s[i])]

        return search


class NumpyBinary:
    """Sign bits of the centred vectors (48 bytes a passage), Hamming distance by numpy's
    popcount over 64-bit words, the ``shortlist`` nearest rescored with int8 vectors."""

    def __init__(self, shortlist: int):
        self.shortlist = shortlist
        self.files = ("codes.u64", "mean.npy", "p_i8.bin", "p_scale.bin")

    def build(self, folder: Path, rows: int, out: Path) -> None:
        mean = next(chunks(folder, rows))[1].mean(axis=0)
        np.save(out / "mean.npy", mean)
        with open(out / "codes.u64", "wb") as f:
            for _, block in chunks(folder, rows):
                f.write(np.packbits(block > mean, axis=1).tobytes())
        write_int8(folder, rows, out)

    def open(self, out: Path, rows: int) -> Search:
        codes = np.memmap(out / "codes.u64", dtype=np.uint64, mode="r", shape=(rows, DIM // 64))
        mean = np.load(out / "mean.npy")
        rescore = Int8Rescorer(out, rows)
        r = self.shortlist

        def search(q, k=K, allowed=None):
            qc = np.packbits(q > mean).view(np.uint64)
            d = np.bitwise_count(codes ^ qc).sum(axis=1, dtype=np.uint16)
            if allowed is not None:
                d = np.where(allowed, d, np.uint16(DIM + 1))
            short = np.argpartition(d, r - 1)[:r]
            return rescore.top(q, short, k)

        return search


class FaissBinaryFlat(NumpyBinary):
    """The same codes searched by faiss's ``IndexBinaryFlat`` (memory-mapped), int8 rescoring."""

    def __init__(self, shortlist: int):
        super().__init__(shortlist)
        self.files = ("binary.faiss", "mean.npy", "p_i8.bin", "p_scale.bin")

    def build(self, folder: Path, rows: int, out: Path) -> None:
        import faiss

        mean = next(chunks(folder, rows))[1].mean(axis=0)
        np.save(out / "mean.npy", mean)
        index = faiss.IndexBinaryFlat(DIM)
        for _, block in chunks(folder, rows):
            index.add(np.packbits(block > mean, axis=1))
        faiss.write_index_binary(index, str(out / "binary.faiss"))
        write_int8(folder, rows, out)

    def open(self, out: Path, rows: int) -> Search:
        import faiss

        index = faiss.read_index_binary(str(out / "binary.faiss"), faiss.IO_FLAG_MMAP_IFC)
        mean = np.load(out / "mean.npy")
        rescore = Int8Rescorer(out, rows)
        r = self.shortlist

        def search(q, k=K, allowed=None):
            params = None
            if allowed is not None:
                bitmap = np.packbits(allowed, bitorder="little")
                params = faiss.SearchParameters(sel=faiss.IDSelectorBitmap(rows, faiss.swig_ptr(bitmap)))
            _, i = index.search(np.packbits(q > mean)[None, :], r, params=params)
            return rescore.top(q, i[0], k)

        return search


class FaissIVF:
    """An inverted file (k-means cells over a 200k sample, ``nprobe`` cells searched), codes
    memory-mapped; PQ codes shortlist and int8 vectors rescore."""

    def __init__(self, factory: str, nprobe: int, shortlist: int = 0):
        self.factory, self.nprobe, self.shortlist = factory, nprobe, shortlist
        self.files = ("ivf.faiss",) + (("p_i8.bin", "p_scale.bin") if shortlist else ())

    def build(self, folder: Path, rows: int, out: Path) -> None:
        import faiss

        faiss.omp_set_num_threads(os.cpu_count() or 1)
        cells = 4096 if rows >= 400_000 else max(16, int(4 * np.sqrt(rows)))
        index = faiss.index_factory(DIM, self.factory.replace("IVFn", f"IVF{cells}"), faiss.METRIC_INNER_PRODUCT)
        sample = 65_536 if "PQ" in self.factory else 200_000
        sample_rows = np.sort(np.random.default_rng(1).choice(rows, min(rows, sample), replace=False))
        index.train(np.ascontiguousarray(matrix(folder, rows)[sample_rows]))
        for _start, block in chunks(folder, rows):
            index.add(np.ascontiguousarray(block))
        faiss.write_index(index, str(out / "ivf.faiss"))
        if self.shortlist:
            write_int8(folder, rows, out)

    def open(self, out: Path, rows: int) -> Search:
        import faiss

        index = faiss.read_index(str(out / "ivf.faiss"), faiss.IO_FLAG_MMAP)
        rescore = Int8Rescorer(out, rows) if self.shortlist else None
        n = self.shortlist or K

        def search(q, k=K, allowed=None):
            bitmap = np.packbits(allowed, bitorder="little") if allowed is not None else None
            sel = faiss.IDSelectorBitmap(rows, faiss.swig_ptr(bitmap)) if bitmap is not None else None
            params = faiss.SearchParametersIVF(nprobe=self.nprobe, sel=sel)
            _, i = index.search(q[None, :], n, params=params)
            return rescore.top(q, i[0], k) if rescore else i[0][i[0] >= 0]

        return search


class USearchHNSW:
    """usearch's HNSW graph over int8 (or binary) vectors, opened as a memory-mapped view;
    binary graphs rescore their shortlist with int8 vectors."""

    def __init__(self, dtype: str, connectivity: int, ef: int, shortlist: int = 0):
        self.dtype, self.connectivity, self.ef, self.shortlist = dtype, connectivity, ef, shortlist
        self.files = ("hnsw.usearch", "mean.npy") + (("p_i8.bin", "p_scale.bin") if shortlist else ())

    def _prep(self, block: np.ndarray, mean: np.ndarray) -> np.ndarray:
        if self.dtype == "b1":
            return np.packbits(block > mean, axis=-1)
        # usearch casts float to int8 as round(127 x), which leaves e5's small components
        # (|x| ~ 0.05) a few levels; scaled per row first (cosine does not change), they keep 127.
        return np.round(block * (127.0 / np.abs(block).max(axis=-1, keepdims=True))).astype(np.int8)

    def build(self, folder: Path, rows: int, out: Path) -> None:
        from usearch.index import Index

        mean = next(chunks(folder, rows))[1].mean(axis=0)
        np.save(out / "mean.npy", mean)
        metric = "hamming" if self.dtype == "b1" else "cos"
        index = Index(
            ndim=DIM,
            metric=metric,
            dtype=self.dtype,
            connectivity=self.connectivity,
            expansion_add=128,
            expansion_search=self.ef,
        )
        for start, block in chunks(folder, rows):
            index.add(np.arange(start, start + len(block)), self._prep(block, mean), threads=os.cpu_count() or 1)
        index.save(str(out / "hnsw.usearch"))
        if self.shortlist:
            write_int8(folder, rows, out)

    def open(self, out: Path, rows: int) -> Search:
        from usearch.index import Index

        index = Index.restore(str(out / "hnsw.usearch"), view=True, expansion_search=self.ef)
        if index is None:
            sys.exit(f"{out / 'hnsw.usearch'}: no usearch index there")
        mean = np.load(out / "mean.npy")
        rescore = Int8Rescorer(out, rows) if self.shortlist else None
        n = self.shortlist or K

        def search(q, k=K, allowed=None):
            got = index.search(self._prep(q, mean), n, threads=1).keys.astype(np.int64)
            if allowed is not None:  # no filter inside the graph walk from Python: filter after
                got = got[allowed[got]]
            return rescore.top(q, got, k) if rescore else got[:k]

        return search


class ChromaHNSW:
    """Chroma's own HNSW (hnswlib in its Rust core, cosine, its defaults): a collection of
    the passage vectors alone (ids, no documents or metadata), queried through the client."""

    files = ("chroma",)

    def build(self, folder: Path, rows: int, out: Path) -> None:
        import chromadb

        client = chromadb.PersistentClient(path=str(out / "chroma"))
        col = client.get_or_create_collection(
            "passages", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )
        for start, block in chunks(folder, rows, 5000):
            col.add(ids=[str(i) for i in range(start, start + len(block))], embeddings=block)
        del col, client
        gc.collect()

    def open(self, out: Path, rows: int) -> Search:
        import chromadb

        col = chromadb.PersistentClient(path=str(out / "chroma")).get_collection("passages", embedding_function=None)
        col.query(query_embeddings=np.full(DIM, 0.05, np.float32), n_results=K, include=[])  # loads the graph

        def search(q, k=K, allowed=None):
            got = col.query(query_embeddings=[q], n_results=k, include=[])["ids"][0]
            rows_ = np.asarray([int(x) for x in got], np.int64)
            return rows_[allowed[rows_]] if allowed is not None else rows_

        return search


def candidates() -> dict[str, tuple[str, Candidate]]:
    """name → (the build it searches: variants that differ only at search time share one, candidate)."""
    return {
        "f32-scan": ("f32", F32Scan()),
        "numpy-binary-r1000": ("numpy-binary", NumpyBinary(1000)),
        "numpy-binary-r4000": ("numpy-binary", NumpyBinary(4000)),
        "faiss-binary-r1000": ("faiss-binary", FaissBinaryFlat(1000)),
        "faiss-binary-r4000": ("faiss-binary", FaissBinaryFlat(4000)),
        "faiss-ivf-sq8-p32": ("faiss-ivf-sq8", FaissIVF("IVFn,SQ8", 32)),
        "faiss-ivf-sq8-p64": ("faiss-ivf-sq8", FaissIVF("IVFn,SQ8", 64)),
        "faiss-ivf-pq48-p64-r400": ("faiss-ivf-pq48", FaissIVF("IVFn,PQ48", 64, 400)),
        "usearch-i8-m16-ef64": ("usearch-i8-m16", USearchHNSW("i8", 16, 64)),
        "usearch-i8-m16-ef128": ("usearch-i8-m16", USearchHNSW("i8", 16, 128)),
        "usearch-b1-m16-ef128-r400": ("usearch-b1-m16", USearchHNSW("b1", 16, 128, 400)),
        "chroma-hnsw": ("chroma", ChromaHNSW()),
    }


def index_dir(workdir: Path, size: int, name: str) -> Path:
    return workdir / str(size) / "idx" / candidates()[name][0]


# --- the measuring processes -------------------------------------------------------------------


def run_build(name: str, folder: str, rows: str, out: str) -> dict:
    cand = candidates()[name][1]
    out_p = Path(out)
    out_p.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    cand.build(Path(folder), int(rows), out_p)
    seconds = time.perf_counter() - t
    return {"build_s": seconds, "build_peak_mb": proc_status_mb("VmHWM")}


def run_query(name: str, folder: str, rows: str, out: str, queries: str, results: str) -> None:
    """A reader: open, answer every query on one thread, report, then wait to be told to exit
    (so a second reader can be measured beside it)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        pass
    rows_n = int(rows)
    q = np.load(queries)
    base_rss = proc_status_mb("VmRSS")
    t = time.perf_counter()
    search = candidates()[name][1].open(Path(out), rows_n)
    load_s = time.perf_counter() - t
    for v in q[:5]:
        search(v)
    ms, top = [], np.full((len(q), K), -1, np.int64)
    for j, v in enumerate(q):
        t = time.perf_counter()
        got = search(v)
        ms.append((time.perf_counter() - t) * 1000)
        top[j, : len(got)] = got[:K]
    allowed = np.random.default_rng(3).random(rows_n) < 0.1  # a filter that keeps 10 % of the rows
    fms = []
    try:
        for v in q[:300]:
            t = time.perf_counter()
            search(v, allowed=allowed)
            fms.append((time.perf_counter() - t) * 1000)
    except (RuntimeError, TypeError, ValueError):  # the index cannot filter
        fms = []
    del allowed
    gc.collect()
    np.save(results, top)
    mem = smaps_rollup()
    print(
        json.dumps(
            {
                "load_s": load_s,
                "p50": percentile(ms, 50),
                "p95": percentile(ms, 95),
                "filtered_p95": percentile(fms, 95),
                "rss_mb": mem["Rss"],
                "hwm_mb": proc_status_mb("VmHWM"),
                "private_mb": mem["Private"],
                "pss_mb": mem["Pss"],
                "base_rss_mb": base_rss,
            }
        ),
        flush=True,
    )
    sys.stdin.read()  # until the parent closes our stdin


def child(args: list[str], wait: bool = False) -> tuple[subprocess.Popen[str], dict]:
    proc = spawn(__file__, args, THREADS_ENV if "--query" in args else None)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None  # spawn opens all three
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        sys.exit(f"{args[:2]} failed:\n{proc.stderr.read()[-3000:]}")
    if not wait:
        proc.stdin.close()
        proc.wait()
    return proc, json.loads(line)


# --- quality ----------------------------------------------------------------------------------


def mrr10(top: np.ndarray, para: np.ndarray, gold: list[int]) -> float:
    total = 0.0
    for rows, g in zip(top, gold, strict=True):
        seen: list[int] = []
        for r in rows:
            if r < 0:
                break
            p = int(para[r])
            if p not in seen:
                seen.append(p)
            if len(seen) == 10:
                break
        total += 1 / (seen.index(g) + 1) if g in seen else 0.0
    return total / len(gold)


def overlap(top: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(a[a >= 0]) & set(b)) / len(b) for a, b in zip(top, exact, strict=True)]))


# --- BM25 -------------------------------------------------------------------------------------


def run_bm25(src_path: str, size: str, out: str, queries: str) -> dict:
    """Build bm25s over the corpus texts at once (as lexical.py does), save; measured here."""
    import bm25s

    from vectorstore.lexical import index_text  # the same text the index sees
    from vectorstore.text import tokenize

    src = load(Path(src_path))
    t = time.perf_counter()
    texts = []
    for art in Replica(src, int(size)).articles():
        title = art.meta.get("title", "")
        texts += [
            tokenize(index_text(text, {"title": title, "heading": art.para_heading[p]}))
            for text, p in zip(art.p_text, art.p_para.tolist(), strict=True)
        ]
    tokenize_s = time.perf_counter() - t
    retriever = bm25s.BM25()
    retriever.index(texts, show_progress=False)
    del texts
    retriever.save(out, show_progress=False)
    return {"tokenize_s": tokenize_s, "build_s": time.perf_counter() - t, "build_peak_mb": proc_status_mb("VmHWM")}


def run_bm25_query(out: str, queries: str) -> None:
    import bm25s

    from vectorstore.text import tokenize

    texts = json.loads(Path(queries).read_text())
    t = time.perf_counter()
    retriever = bm25s.BM25.load(out, mmap=True, show_progress=False)
    load_s = time.perf_counter() - t
    ms = []
    for q in texts:
        t = time.perf_counter()
        tokens = [x for x in tokenize(q) if x in retriever.vocab_dict]
        if tokens:
            s = retriever.get_scores(tokens)
            np.argpartition(-s, K - 1)[:K]
        ms.append((time.perf_counter() - t) * 1000)
    mem = smaps_rollup()
    print(
        json.dumps(
            {
                "load_s": load_s,
                "p50": percentile(ms, 50),
                "p95": percentile(ms, 95),
                "rss_mb": mem["Rss"],
                "hwm_mb": proc_status_mb("VmHWM"),
                "private_mb": mem["Private"],
            }
        ),
        flush=True,
    )
    sys.stdin.read()


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from-store", type=Path, nargs="+", help="CHROMA_PATH of embedded news stores")
    ap.add_argument("--xquad-store", type=Path, nargs="+", help="stores holding the XQuAD-de articles")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/absatz-index-candidates"))
    ap.add_argument("--only", nargs="+", help="candidate names (default: all)")
    ap.add_argument(
        "--chroma-size",
        type=int,
        default=100_000,
        help="largest size at which Chroma's HNSW is built (writing through Chroma is slow)",
    )
    ap.add_argument(
        "--bm25",
        type=int,
        nargs="*",
        metavar="SIZE",
        help="also measure bm25s over the passage texts (at these sizes; default: --sizes)",
    )
    ap.add_argument("--build", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--query", nargs=6, help=argparse.SUPPRESS)
    ap.add_argument("--bm25-build", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--bm25-query", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build:
        print(json.dumps(run_build(*args.build)), flush=True)
        return
    if args.query:
        run_query(*args.query)
        return
    if args.bm25_build:
        print(json.dumps(run_bm25(*args.bm25_build)), flush=True)
        return
    if args.bm25_query:
        run_bm25_query(*args.bm25_query)
        return

    src_path = args.workdir / "source.npz"
    if not src_path.exists():
        if not args.from_store or not args.xquad_store:
            sys.exit("--from-store and --xquad-store are needed once (the extracted vectors are kept in --workdir)")
        extract(args.from_store, args.xquad_store, src_path)
    src = load(src_path)
    names = args.only or list(candidates())
    if not args.only and missing_modules("usearch"):  # the default set: the rest is measured
        print("usearch is not installed (pip install '.[bench]'): its candidates are left out", flush=True)
        names = [n for n in names if not n.startswith("usearch")]
    gold_mask = np.asarray([g != "" for g in src.q_gold])
    qfile = args.workdir / "queries.npy"
    np.save(qfile, src.q_vec.astype(np.float32))
    print(
        f"{len(src.q_text)} queries ({gold_mask.sum()} XQuAD-de with a gold paragraph, German and English; "
        f"{(~gold_mask).sum()} news); {machine()}; 1 thread per query; top {K} passages\n",
        flush=True,
    )

    for size in args.sizes:
        folder = args.workdir / str(size)
        info = corpus_files(src_path, size, folder)
        rows = info["rows"]
        para = np.load(folder / "para.npy")
        gold = [info["gold_para"][g] for g in np.asarray(src.q_gold)[gold_mask]]
        langs = np.asarray(src.q_lang)[gold_mask]
        exact_path = folder / "exact.npy"
        if not exact_path.exists():
            np.save(exact_path, exact_top(folder, rows, src.q_vec))
        exact = np.load(exact_path)
        ref = {
            lang: mrr10(
                exact[gold_mask][langs == lang],
                para,
                [g for g, q_lang in zip(gold, langs, strict=True) if q_lang == lang],
            )
            for lang in ("de", "en")
        }
        table_rows = []
        for name in names:
            if name == "chroma-hnsw" and size > args.chroma_size:
                continue
            out = index_dir(args.workdir, size, name)
            cand = candidates()[name][1]
            built_file = out / "build.json"
            if built_file.exists():
                built = json.loads(built_file.read_text())
            else:
                _, built = child(["--build", name, str(folder), str(rows), str(out)])
                built_file.write_text(json.dumps(built))
            size_mb = sum(
                f.stat().st_size
                for p in cand.files
                for f in ([out / p] if (out / p).is_file() else (out / p).rglob("*"))
                if f.is_file()
            )
            res = out / f"top-{name}.npy"
            avail0 = mem_available_mb()
            first, r1 = child(["--query", name, str(folder), str(rows), str(out), str(qfile), str(res)], wait=True)
            avail1 = mem_available_mb()
            second, r2 = child(
                ["--query", name, str(folder), str(rows), str(out), str(qfile), str(res.with_suffix(".2.npy"))],
                wait=True,
            )
            avail2 = mem_available_mb()
            for proc in (first, second):
                assert proc.stdin is not None  # spawn opens it
                proc.stdin.close()
                proc.wait()
            top = np.load(res)
            got = {
                lang: mrr10(
                    top[gold_mask][langs == lang],
                    para,
                    [g for g, q_lang in zip(gold, langs, strict=True) if q_lang == lang],
                )
                for lang in ("de", "en")
            }
            row = {
                "name": name,
                "size": size,
                **built,
                "disk_mb": size_mb / 2**20,
                **{f"r1_{k}": v for k, v in r1.items()},
                **{f"r2_{k}": v for k, v in r2.items()},
                "avail_drop_1": avail0 - avail1,
                "avail_drop_2": avail1 - avail2,
                "mrr_de": got["de"],
                "mrr_en": got["en"],
                "exact_de": ref["de"],
                "exact_en": ref["en"],
                "overlap": overlap(top, exact),
            }
            with open(args.workdir / "results.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), file=sys.stderr, flush=True)
            table_rows.append(
                [
                    name,
                    f"{built['build_s']:.0f} s",
                    f"{built['build_peak_mb']:,.0f} MB",
                    f"{size_mb / 2**20:,.0f} MB",
                    f"{r1['load_s'] * 1000:,.0f} ms",
                    f"{r1['p50']:.1f} / {r1['p95']:.1f}",
                    f"{r1['filtered_p95']:.1f}",
                    f"{r1['rss_mb']:,.0f} MB",
                    f"{r2['private_mb']:,.0f} MB ({avail1 - avail2:+,.0f})",
                    f"{got['de']:.4f} / {got['en']:.4f}",
                    f"{ref['de']:.4f} / {ref['en']:.4f}",
                    f"{overlap(top, exact):.3f}",
                ]
            )
        print(
            f"### {rows:,} passages ({info['copies']} copies of {src.news_passages:,} news passages + "
            f"{src.xquad_passages} XQuAD-de passages)\n"
        )
        print(
            table(
                [
                    "candidate",
                    "build",
                    "build peak RSS",
                    "on disk",
                    "load",
                    "query p50 / p95 ms",
                    "10 % filter p95 ms",
                    "RSS after queries",
                    "2nd reader: private (MemAvailable drop)",
                    "MRR@10 de / en",
                    "exact f32 MRR@10 de / en",
                    f"overlap with exact top {K}",
                ],
                table_rows,
            )
        )
        print(flush=True)
    if args.bm25 is not None:
        bm25_rows = []
        for size in args.bm25 or args.sizes:
            out = args.workdir / str(size) / "bm25"
            built_file = out.with_suffix(".json")
            if built_file.exists():
                built = json.loads(built_file.read_text())
            else:
                _, built = child(["--bm25-build", str(src_path), str(size), str(out), str(qfile)])
                built_file.write_text(json.dumps(built))
            qtexts = args.workdir / "queries.json"
            qtexts.write_text(json.dumps(src.q_text))
            first, r1 = child(["--bm25-query", str(out), str(qtexts)], wait=True)
            second, r2 = child(["--bm25-query", str(out), str(qtexts)], wait=True)
            for proc in (first, second):
                assert proc.stdin is not None  # spawn opens it
                proc.stdin.close()
                proc.wait()
            bm25_rows.append(
                [
                    f"{size:,}",
                    f"{built['tokenize_s']:.0f} s",
                    f"{built['build_s']:.0f} s",
                    f"{built['build_peak_mb']:,.0f} MB",
                    f"{disk_mb(list(out.glob('*'))):,.0f} MB",
                    f"{r1['load_s'] * 1000:,.0f} ms",
                    f"{r1['p50']:.1f} / {r1['p95']:.1f}",
                    f"{r1['rss_mb']:,.0f} MB",
                    f"{r2['private_mb']:,.0f} MB",
                ]
            )
        print(
            table(
                [
                    "passages",
                    "tokenize",
                    "tokenize + BM25.index + save",
                    "build peak RSS",
                    "on disk",
                    "load (mmap)",
                    "query p50 / p95 ms",
                    "RSS after queries",
                    "2nd reader private",
                ],
                bm25_rows,
            )
        )


if __name__ == "__main__":
    main()
