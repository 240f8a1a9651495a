"""Large corpora from real e5 vectors: what the scale benchmarks search.

Embedding a million passages on two cores would take days, so the benches replicate
stores that were really embedded (``bench/ingest.py`` on 10kGNAD, ``absatz eval --build``):
their articles are copied with distinct ids (``<id>~r<n>``), their texts tagged with the
same ``~r<n>`` (as another article's would differ) and their vectors nudged by tiny noise
(N(0, 0.01) per dimension, renormalised, as ``bench/latency.py`` does) until the passage
count is reached. The XQuAD-de articles (240 paragraphs) are mixed in once,
unreplicated, half-way through, so their 1,190 questions (those about the articles the
XQuAD stores hold, where they hold only some) measure retrieval quality in a store of any
size: each has one gold paragraph among all the others.

:func:`extract` reads the source stores once into ``<workdir>/source.npz`` (float32
vectors from Chroma, texts, metadata, and the embedded questions); :func:`articles`
streams the replicated corpus article by article, so nothing of size N is ever held.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from common import DATA, read_jsonl, require

if TYPE_CHECKING:
    from vectorstore.records import ArticleRecord, StoredUnit

NOISE = 0.01


@dataclass
class Source:
    """The real records the replicas are made of, grouped by article."""

    article_ids: list[str]
    article_meta: list[dict]  # ArticleMeta.to_metadata()
    article_hash: list[str]
    xquad: np.ndarray  # bool per article
    # paragraphs: article row, number, heading
    para_article: np.ndarray
    para_number: np.ndarray
    para_heading: list[str]
    # passages and sentences: paragraph row, index in paragraph, text, float32 vector
    p_para: np.ndarray
    p_index: np.ndarray
    p_text: list[str]
    p_vec: np.ndarray
    s_para: np.ndarray
    s_index: np.ndarray
    s_text: list[str]
    s_vec: np.ndarray
    # questions: XQuAD-de (German and English) with the gold citation id; news queries
    q_text: list[str]
    q_lang: list[str]
    q_gold: list[str]  # "" for a news query (timed, no gold)
    q_vec: np.ndarray

    @property
    def news_passages(self) -> int:
        return int((~self.xquad[self.para_article[self.p_para]]).sum())

    @property
    def xquad_passages(self) -> int:
        return len(self.p_text) - self.news_passages


def extract(news_stores: list[Path], xquad_stores: list[Path], out: Path, news_queries: int = 200) -> Source:
    """Read the stores' committed records (float32 vectors) and embed the questions once:
    the XQuAD-de questions about the articles the stores hold, and ``news_queries``."""
    if out.exists():
        return load(out)
    from vectorstore.chroma import Chroma
    from vectorstore.embeddings import load_embedder
    from vectorstore.generations import Generations
    from vectorstore.settings import StoreSettings
    from vectorstore.writer import Writer

    questions = read_jsonl(require(DATA / "xquad-de" / "questions.jsonl"))
    check_stores([*news_stores, *xquad_stores])
    arts: list[tuple[ArticleRecord, bool]] = []
    units: dict[str, list[StoredUnit]] = {"passages": [], "sentences": []}
    embedder_name = ""
    seen: set[str] = set()
    for path, is_xquad in [(p, False) for p in news_stores] + [(p, True) for p in xquad_stores]:
        chroma = Chroma(StoreSettings(chroma_path=path))
        embedder_name = embedder_name or Generations(chroma).read().embedder
        writer = Writer.live(chroma)
        committed = {aid: r for aid, r in writer.committed_articles().items() if aid not in seen}
        seen |= set(committed)
        records = writer.committed_records(committed)
        arts += [(r, is_xquad) for r in records.articles]
        units["passages"] += records.passages
        units["sentences"] += records.sentences
    arts.sort(key=lambda a: (a[1], a[0].article_id))
    arow = {r.article_id: i for i, (r, _) in enumerate(arts)}
    paras = sorted({(arow[u.article_id], u.paragraph) for kind in units for u in units[kind]})
    prow = {k: i for i, k in enumerate(paras)}
    heading: dict[tuple[int, int], str] = {}
    for kind in units:
        for u in units[kind]:
            heading.setdefault((arow[u.article_id], u.paragraph), u.heading)
    cols: dict[str, Any] = {}  # Source's passage and sentence columns: arrays, and lists of texts
    for kind, key in (("passages", "p"), ("sentences", "s")):
        rows = sorted(units[kind], key=lambda u: (prow[(arow[u.article_id], u.paragraph)], u.index))
        cols[f"{key}_para"] = np.asarray([prow[(arow[u.article_id], u.paragraph)] for u in rows], np.int32)
        cols[f"{key}_index"] = np.asarray([u.index for u in rows], np.int32)
        cols[f"{key}_text"] = [u.text for u in rows]
        cols[f"{key}_vec"] = np.asarray([u.vector for u in rows], np.float32)

    embedder = load_embedder(StoreSettings().embedding_model)
    if embedder.name != embedder_name:
        raise SystemExit(f"the stores were embedded with {embedder_name}, EMBEDDING_MODEL is {embedder.name}")
    q_text, q_lang, q_gold = [], [], []
    held = {aid for aid, row in arow.items() if arts[row][1]}
    asked = [q for q in questions if q["article_id"] in held]
    if not asked:
        sys.exit(f"no XQuAD-de question asks about an article of {', '.join(map(str, xquad_stores))}")
    print(f"{len(asked)} of {len(questions)} XQuAD-de questions ask about the {len(held)} XQuAD-de articles held")
    for q in asked:
        gold = f"{q['article_id']}#{q['paragraph']}"
        q_text += [q["question"], q["question_en"]]
        q_lang += ["de", "en"]
        q_gold += [gold, gold]
    news_texts = [
        t
        for t, p in zip(cols["p_text"], cols["p_para"], strict=True)
        if not arts[paras[p][0]][1] and len(t.split()) > 8
    ]
    for text in random.Random(7).sample(news_texts, min(news_queries, len(news_texts))):
        q_text.append(" ".join(text.split()[:10]))
        q_lang.append("news")
        q_gold.append("")
    q_vec = np.asarray([embedder.embed_question(q) for q in q_text], np.float32)

    src = Source(
        article_ids=[r.article_id for r, _ in arts],
        article_meta=[r.meta.to_metadata() for r, _ in arts],
        article_hash=[r.article_hash for r, _ in arts],
        xquad=np.asarray([x for _, x in arts], bool),
        para_article=np.asarray([a for a, _ in paras], np.int32),
        para_number=np.asarray([n for _, n in paras], np.int32),
        para_heading=[heading[k] for k in paras],
        q_text=q_text,
        q_lang=q_lang,
        q_gold=q_gold,
        q_vec=q_vec,
        **cols,
    )
    save(src, out)
    return src


def check_stores(paths: list[Path]) -> None:
    """Stop unless each path is a store that holds an index, without creating a store
    where a mistyped path points."""
    from vectorstore.chroma import Chroma
    from vectorstore.generations import Generations
    from vectorstore.settings import StoreSettings

    for path in paths:
        if not path.is_dir() or not Generations(Chroma(StoreSettings(chroma_path=path))).read().exists:
            sys.exit(f"{path}: no store with an index there (give the CHROMA_PATH of an ingested store)")


_TEXTS = (
    "article_ids",
    "article_meta",
    "article_hash",
    "para_heading",
    "p_text",
    "s_text",
    "q_text",
    "q_lang",
    "q_gold",
)


def save(src: Source, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: v for k, v in vars(src).items() if k not in _TEXTS}
    np.savez(out, **arrays)
    out.with_suffix(".json").write_text(json.dumps({k: getattr(src, k) for k in _TEXTS}, ensure_ascii=False))


def load(out: Path) -> Source:
    with np.load(out) as z:
        arrays = {k: z[k] for k in z.files}
    texts = json.loads(out.with_suffix(".json").read_text())
    return Source(**arrays, **texts)


# --- the replicated corpus ----------------------------------------------------------------


@dataclass
class Article:
    """One article of the replicated corpus, in the read index's row order."""

    article_id: str
    meta: dict
    article_hash: str
    para_number: np.ndarray
    para_heading: list[str]
    p_para: np.ndarray  # paragraph row within this article
    p_index: np.ndarray
    p_text: list[str]
    p_vec: np.ndarray
    s_para: np.ndarray
    s_index: np.ndarray
    s_text: list[str]
    s_vec: np.ndarray
    xquad: bool


class Replica:
    """``passages`` passages: news copies (``~r<n>`` ids, noisy vectors) with XQuAD mixed in."""

    def __init__(self, src: Source, passages: int, seed: int = 7):
        self.src = src
        self.passages = passages
        self.seed = seed
        self._news, self._xquad = np.flatnonzero(~src.xquad), np.flatnonzero(src.xquad)
        self.news_target = max(0, passages - src.xquad_passages)
        self.copies = max(1, -(-self.news_target // max(1, src.news_passages)))
        # Slices of each article's rows, computed once.
        self._para = _ranges(src.para_article, len(src.article_ids))
        self._p = _ranges(src.para_article[src.p_para], len(src.article_ids))
        self._s = _ranges(src.para_article[src.s_para], len(src.article_ids))

    def _article(self, a: int, copy: int, rng: np.random.Generator | None) -> Article:
        src = self.src
        p0, p1 = self._para[a]
        ps, pe = self._p[a]
        ss, se = self._s[a]
        p_vec, s_vec = src.p_vec[ps:pe], src.s_vec[ss:se]
        if rng is not None:
            p_vec = _nudge(p_vec, rng)
            s_vec = _nudge(s_vec, rng)
        aid = src.article_ids[a] + ("" if copy == 0 else f"~r{copy}")
        # A copy stands for another article, and another article's texts differ: search
        # counts identical texts once and looks deeper past them (vectorstore/search.py),
        # so copies sharing every text would measure that, not a corpus of distinct news.
        tag = "" if copy == 0 else f" ~r{copy}"
        return Article(
            aid,
            src.article_meta[a],
            src.article_hash[a],
            src.para_number[p0:p1],
            src.para_heading[p0:p1],
            src.p_para[ps:pe] - p0,
            src.p_index[ps:pe],
            [t + tag for t in src.p_text[ps:pe]],
            p_vec,
            src.s_para[ss:se] - p0,
            src.s_index[ss:se],
            [t + tag for t in src.s_text[ss:se]],
            s_vec,
            bool(src.xquad[a]),
        )

    def articles(self) -> Iterator[Article]:
        """Every article, streamed: copies of the news articles until the passage count is
        reached, the XQuAD articles once in the middle."""
        rng = np.random.default_rng(self.seed)
        emitted = 0
        xquad_at = self.news_target // 2
        xquad_done = False
        for copy in range(self.copies):
            for a in self._news:
                if not xquad_done and emitted >= xquad_at:
                    for x in self._xquad:
                        yield self._article(int(x), 0, None)
                    xquad_done = True
                if emitted >= self.news_target:
                    break
                art = self._article(int(a), copy, rng if copy else None)
                emitted += len(art.p_text)
                yield art
        if not xquad_done:
            for x in self._xquad:
                yield self._article(int(x), 0, None)


def _ranges(owner: np.ndarray, n: int) -> list[tuple[int, int]]:
    """Rows are grouped by owner: owner i's rows are [start, end)."""
    counts = np.bincount(owner, minlength=n)
    ends = np.cumsum(counts)
    return list(zip((ends - counts).tolist(), ends.tolist(), strict=True))


def _nudge(vectors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = vectors + rng.normal(0, NOISE, vectors.shape).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)
