"""Ingest speed on 10kGNAD: does cost grow with what changed, not with the corpus?

    python bench/ingest.py [--model MODEL] [--device cpu|cuda[:N]|auto] [--sample N] [--limit N] [--store PATH]

Prints, from one run: the raw embedder's units/s and absatz ingest's units/s on the same
texts (the first --sample articles; target: ingest >= 0.9 of raw), then the rest of the
corpus is ingested, and a no-change re-ingest and a one-new-article re-ingest of the
whole corpus are timed. "Units" are what gets embedded: passage windows and sentences.
The store is a temporary one, removed at the end, unless ``--store`` names where to keep
it (``bench/latency.py --from-store`` reads such a store). ``--device`` applies to
sentence-transformers models; the bundled embedder runs on the CPU only.
"""

from __future__ import annotations

import argparse
import re
import resource
import time
from pathlib import Path

from common import DATA, machine, require, scratch, table

from ingest.passages import units_for
from ingest.pipeline import apply
from ingest.sources import load_articles
from vectorstore.chroma import Chroma
from vectorstore.embeddings import BUNDLED_PREFIX, load_embedder
from vectorstore.settings import StoreSettings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="bundled:multilingual-e5-small")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (sentence-transformers models)")
    ap.add_argument("--sample", type=int, default=150, help="articles for the raw-vs-ingest comparison")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N articles of the corpus")
    ap.add_argument("--store", type=Path, help="build the store here (a new folder) and keep it")
    args = ap.parse_args()
    if args.device not in ("cpu", "cuda", "auto") and not re.fullmatch(r"cuda:\d+", args.device):
        ap.error(f"--device {args.device!r} must be cpu, cuda, cuda:N or auto, as EMBEDDING_DEVICE")
    if args.model.startswith(BUNDLED_PREFIX) and args.device != "cpu":
        ap.error(f"{args.model} runs on the CPU only: --device {args.device} needs a sentence-transformers --model")
    if args.sample < 1 or args.limit == 1:  # one article is held out: the sample needs another
        ap.error("--sample needs at least 1 article and --limit at least 2 (one is held out)")
    if args.store and args.store.exists():
        ap.error(f"--store {args.store} exists: the ingest is measured into a new store")

    articles, failures = load_articles([require(DATA / "gnad10k" / "articles.jsonl")])
    if args.limit:
        articles = articles[: args.limit]
    held_out, corpus = articles[-1], articles[:-1]
    sample = corpus[: args.sample]
    embedder = load_embedder(args.model, args.device)
    store = Chroma(
        StoreSettings(
            chroma_path=args.store or scratch("absatz-bench-") / "chroma",
            embedding_model=args.model,
            embedding_device=args.device,
        )
    )

    texts = list(dict.fromkeys(u.embed_text for a in sample for u in units_for(a)))
    t = time.perf_counter()
    for start in range(0, len(texts), 256):
        embedder.embed_passages(texts[start : start + 256])
    raw_s = time.perf_counter() - t

    report = apply(store, embedder, sample)
    ingest_s = report.seconds
    rest = apply(store, embedder, corpus)
    noop = apply(store, embedder, corpus)
    one = apply(store, embedder, [*corpus, held_out])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    units = len(texts)
    print(
        f"10kGNAD: {len(corpus) + 1} articles ({len(failures)} unreadable); model {embedder.name} on {args.device}; "
        f"{machine()}\n"
    )
    print(
        table(
            ["measurement", "value"],
            [
                [f"raw embedder, {units} units of {len(sample)} articles", f"{units / raw_s:.1f} units/s"],
                [
                    "absatz ingest, same articles (parse, embed, write Chroma, BM25 later)",
                    f"{report.units_embedded / ingest_s:.1f} units/s",
                ],
                ["ingest / raw", f"{(report.units_embedded / ingest_s) / (units / raw_s):.2f}"],
                [
                    f"ingest of the other {len(corpus) - len(sample)} articles",
                    f"{rest.seconds:.0f} s, {rest.units_embedded} units",
                ],
                [
                    f"no-change re-ingest of {len(corpus)} articles",
                    f"{noop.seconds:.1f} s, {noop.units_embedded} units embedded",
                ],
                [
                    "re-ingest after adding one article",
                    f"{one.seconds:.1f} s, {one.units_embedded} units embedded "
                    f"({len(units_for(held_out))} in that article)",
                ],
                ["peak resident memory", f"{peak_mb:.0f} MB"],
            ],
        )
    )


if __name__ == "__main__":
    main()
