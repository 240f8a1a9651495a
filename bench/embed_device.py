"""Embedding throughput of a sentence-transformers model per device (EMBEDDING_DEVICE).

    python bench/embed_device.py --model MODEL [--devices cpu cuda] [--corpus PATH] [--units N]

Embeds the units absatz would embed for the corpus (passage windows with their title and
heading, and sentences), through the same embedder class the ingest uses, and prints
units/s per device: measure a large ingest before running it. A device this machine
lacks (cuda without a GPU) gets a row saying so.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from common import DATA, ROOT  # puts the repository on the path

from ingest.passages import units_for
from ingest.sources import load_articles
from vectorstore.embeddings import SentenceTransformerEmbeddings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--devices", nargs="+", default=["cpu", "cuda"])
    default_corpus = DATA / "gnad10k" / "articles.jsonl"
    ap.add_argument("--corpus", type=Path, default=default_corpus if default_corpus.exists() else ROOT / "corpus")
    ap.add_argument("--units", type=int, default=4000)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()

    articles, _ = load_articles([args.corpus])
    texts = [u.embed_text for a in articles for u in units_for(a)]
    texts = (texts * (args.units // max(1, len(texts)) + 1))[: args.units]
    print(f"{len(texts)} units from {args.corpus.name}; model {args.model}")
    print("| device | batch | units/s |\n|---|---|---|")  # as the README's table
    for device in args.devices:
        if device.startswith("cuda") and not torch.cuda.is_available():
            print(f"| {device}: not available | {args.batch} | – |", flush=True)
            continue
        embedder = SentenceTransformerEmbeddings(args.model, device=device, batch_size=args.batch)
        actual = str(embedder._model.device)
        embedder.embed_passages(texts[: args.batch])  # warm-up
        start = time.perf_counter()
        embedder.embed_passages(texts)
        rate = len(texts) / (time.perf_counter() - start)
        print(f"| {device} (torch: {actual}) | {args.batch} | {rate:.0f} |", flush=True)


if __name__ == "__main__":
    main()
