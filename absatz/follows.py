"""Follows: which paragraphs of newly ingested articles answer a user's saved query.

A paragraph matches when it would pass the answer's own test: the evidence the
answer requires of its best hit (:mod:`vectorstore.evidence` — how far the best
sentence and passage stand above the background of the same query, over the whole
corpus) must reach the store's calibrated abstention threshold. Here each paragraph
of the new articles is judged *as if it were the best hit*: its best sentence and
passage similarities against the query's background in the whole corpus, exactly as a
search narrowed to a slice judges its best hit (``vectorstore.search.narrowed_evidence``),
but for every paragraph, so each new article gets its own best paragraph. So a new
article about a topic that older articles already cover well still matches (ranking
it against them would hide it), and an article that merely shares a word does not.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore.evidence import margin
from vectorstore.search import (
    Searcher,
    SearchResult,
    lexical_candidates,
    passage_candidates,
    sentence_scores,
)

from .db.follows import Follow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParagraphEvidence:
    """A paragraph of a new article, judged for one query."""

    citation_id: str
    article_id: str
    paragraph: int
    heading: str
    quote: str  # its sentence most similar to the query
    evidence: float


@dataclass(frozen=True)
class FollowMatch:
    """What a follower is told: the matching paragraph, quoted and cited."""

    follow: Follow
    citation_id: str
    article_id: str
    paragraph: int
    title: str
    url: str
    date: str
    source: str
    heading: str
    quote: str
    text: str
    evidence: float
    threshold: float


def new_paragraph_evidence(result: SearchResult, article_ids: Collection[str]) -> list[ParagraphEvidence]:
    """Every paragraph of ``article_ids`` that the query's passages reach, with the
    evidence it would give as the best hit of ``result`` (a search over the whole corpus)."""
    index = result.index
    if index is None or not len(index.vectors):
        return []
    vec = index.vectors
    rows = [row for a in article_ids if (row := vec.article_row(a)) is not None]
    if not rows:
        return []
    chosen = np.zeros(len(vec.article_ids), dtype=bool)
    chosen[rows] = True
    allowed: np.ndarray = chosen[vec.passage_article()]
    qvec = result.query_vector

    # The background, exactly as the answer's search sees it: the whole corpus.
    everywhere = passage_candidates(vec, qvec, None)
    lexical = lexical_candidates(index, result.query, None)
    candidates = np.asarray(sorted(set(everywhere.best) | set(lexical)), dtype=np.int64)
    sentence_pool = sentence_scores(vec, candidates, qvec).pool()
    passage_pool = everywhere.pool
    if not sentence_pool or not passage_pool:
        return []

    new = passage_candidates(vec, qvec, allowed)
    paragraphs = np.asarray(sorted(new.best), dtype=np.int64)
    sentences = sentence_scores(vec, paragraphs, qvec)
    found = []
    for para in paragraphs.tolist():
        if para not in sentences.best:
            continue
        # as a search narrowed to this paragraph's article would judge it (search.narrowed_evidence)
        evidence = margin(sentence_pool, passage_pool, (sentences.best[para], new.best[para]))
        best = sentences.matches(vec, para)
        found.append(
            ParagraphEvidence(
                citation_id=vec.para_id(para),
                article_id=vec.article_ids[int(vec.para_article[para])],
                paragraph=int(vec.para_number[para]),
                heading=vec.para_heading[para],
                quote=best[0].text if best else "",
                evidence=float(evidence),
            )
        )
    return found


def match_follows(searcher: Searcher, follows: Sequence[Follow], article_ids: Collection[str]) -> list[FollowMatch]:
    """For each follow, the best paragraph of each new article that answers its query
    above the calibrated threshold; strongest first. A query followed by several users
    is searched once."""
    if not follows or not article_ids:
        return []
    by_query: dict[str, list[Follow]] = {}
    for follow in follows:
        by_query.setdefault(follow.query.casefold(), []).append(follow)
    matches: list[FollowMatch] = []
    for group in by_query.values():
        query = group[0].query
        try:
            result = searcher.search(query, k=1)
            judged = new_paragraph_evidence(result, article_ids)
        except Exception:  # one query must not cost the others their matches
            log.exception("matching the follow %r failed", query)
            continue
        best: dict[str, ParagraphEvidence] = {}
        for p in judged:
            if p.evidence < result.threshold:
                continue
            if p.article_id not in best or p.evidence > best[p.article_id].evidence:
                best[p.article_id] = p
        if not best or result.index is None:
            continue
        index = result.index
        for p in best.values():
            view = index.paragraph(p.citation_id)
            meta = view.meta
            for follow in group:
                matches.append(
                    FollowMatch(
                        follow=follow,
                        citation_id=p.citation_id,
                        article_id=p.article_id,
                        paragraph=p.paragraph,
                        title=meta.title,
                        url=meta.url,
                        date=meta.date,
                        source=meta.source or meta.agency,
                        heading=p.heading,
                        quote=p.quote,
                        text=view.text,
                        evidence=round(p.evidence, 4),
                        threshold=round(result.threshold, 4),
                    )
                )
    matches.sort(key=lambda m: -m.evidence)
    return matches
