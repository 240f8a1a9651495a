"""Question → cited answer: the one function the CLI, the console and Discord share.

The default answer is extractive: the sentences that answer the question, quoted
verbatim from the best paragraphs, each followed by its ``[n]`` marker. When the
evidence is weaker than the store's calibrated threshold it says "not in the corpus"
instead of citing something unrelated.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from vectorstore.dates import RECENCY_WINDOW, DateRange
from vectorstore.lexical import tokenize
from vectorstore.records import Hit
from vectorstore.search import Searcher, SearchResult

from .language import detect_language
from .llm import LLMAnswerer

NOT_FOUND = {
    "de": "Dazu finde ich nichts im Korpus.",
    "en": "I found nothing about this in the corpus.",
}
EMPTY_QUESTION = {
    "de": "Bitte stelle eine Frage.",
    "en": "Please ask a question.",
}

AS_OF = {"de": "Stand {date}: ", "en": "As of {date}: "}

MAX_ANSWER_SENTENCES = 2
# Extra sentences must come close to the best one, or they add noise, not facts.
SECOND_SENTENCE_GAP = 0.06
LEXICAL_BONUS = 0.08
TOP_PARAGRAPH_BONUS = 0.03


@dataclass(frozen=True)
class Citation:
    n: int
    id: str
    article_id: str
    paragraph: int
    title: str
    date: str
    dateline: str
    agency: str
    heading: str
    quote: str
    text: str
    score: float


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    language: str = "de"
    mode: str = "extractive"
    latency_ms: float = 0.0

    def as_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "language": self.language,
            "latency_ms": round(self.latency_ms, 1),
        }


@dataclass(frozen=True)
class _Candidate:
    hit_rank: int
    para_id: str
    index: int
    text: str
    score: float


def _overlap(query_terms: set[str], sentence: str) -> float:
    if not query_terms:
        return 0.0
    return len(query_terms & set(tokenize(sentence))) / len(query_terms)


def score_sentences(question: str, qvec: np.ndarray, hits: list[Hit], rows: dict[str, list[tuple]]) -> list[_Candidate]:
    """Every sentence of the given hits, scored by meaning and by shared words."""
    terms = set(tokenize(question))
    candidates: list[_Candidate] = []
    for rank, hit in enumerate(hits):
        for index, text, vec in rows.get(hit.para_id, []):
            score = float(np.dot(qvec, vec)) + LEXICAL_BONUS * _overlap(terms, text)
            if rank == 0:
                score += TOP_PARAGRAPH_BONUS
            candidates.append(_Candidate(rank, hit.para_id, index, text, score))
    return candidates


def select_sentences(candidates: list[_Candidate], limit: int = MAX_ANSWER_SENTENCES) -> list[_Candidate]:
    """Pick the answer sentences: the best of the top paragraph first, then close runners-up.

    The first sentence always comes from the top-ranked paragraph, so the first citation
    is the paragraph search trusted most.
    """
    if not candidates:
        return []
    first = max((c for c in candidates if c.hit_rank == 0), key=lambda c: c.score, default=None)
    if first is None:
        return []
    chosen = [first]
    for c in sorted(candidates, key=lambda c: -c.score):
        if len(chosen) >= limit:
            break
        if c is first or first.score - c.score > SECOND_SENTENCE_GAP:
            continue
        chosen.append(c)
    # Read in document order within a paragraph; paragraphs in rank order.
    return sorted(chosen, key=lambda c: (c.hit_rank, c.index))


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def dated_disagreement(hits: list[Hit], candidates: list[_Candidate]) -> list[_Candidate] | None:
    """Two comparably relevant reports from different dates that state different numbers.

    News stories develop: "Tickets kosten 40 Euro" in May, "55 Euro" in September.
    Rather than silently picking one, the answer then quotes both with their dates,
    newest first. (Differing figures are the disagreement we can detect reliably.)
    """
    if len(hits) < 2:
        return None
    first, second = hits[0], hits[1]
    if first.article_id == second.article_id or not first.date or not second.date or first.date == second.date:
        return None
    if second.score < first.score - RECENCY_WINDOW:
        return None
    best = {}
    for c in candidates:
        if c.hit_rank in (0, 1) and (c.hit_rank not in best or c.score > best[c.hit_rank].score):
            best[c.hit_rank] = c
    if len(best) < 2:
        return None
    a, b = set(_NUMBER.findall(best[0].text)), set(_NUMBER.findall(best[1].text))
    if not a or not b or a == b:
        return None
    return sorted(best.values(), key=lambda c: hits[c.hit_rank].date, reverse=True)


def quote_for(chosen: list[_Candidate]) -> str:
    """The sentences used from one paragraph, verbatim: adjacent ones read as one quote,
    otherwise the best one alone (a quote must be a substring of the paragraph)."""
    if not chosen:
        return ""
    indices = [c.index for c in chosen]
    if indices == list(range(indices[0], indices[0] + len(indices))):
        return " ".join(c.text for c in chosen)
    return max(chosen, key=lambda c: c.score).text


def abstain(question: str, language: str, started: float, text: dict[str, str] = NOT_FOUND) -> Answer:
    return Answer(question, text[language], True, [], language, latency_ms=(time.perf_counter() - started) * 1e3)


def answer(searcher: Searcher, question: str, k: int = 5, history: Sequence[str] = (),
           dates: DateRange | None = None, llm: LLMAnswerer | None = None,
           on_text: Callable[[str], None] | None = None) -> Answer:
    """Answer ``question`` from the corpus.

    ``history`` (earlier questions of a conversation) gives a follow-up its subject:
    condensed into a standalone query by the LLM when one is configured, otherwise
    added to the retrieval query. ``dates`` restricts retrieval to a period;
    ``on_text`` receives the LLM's reply as it streams.
    """
    started = time.perf_counter()
    question = " ".join(question.split())
    if not any(ch.isalnum() for ch in question):
        return abstain(question, detect_language(question), started, EMPTY_QUESTION)
    history = [h for h in history if h.strip()]
    if llm is not None:
        query = llm.condense(question, history)
    else:
        query = " ".join([*history, question])
    result = searcher.search(query, k=max(k, 2), dates=dates)
    if llm is not None:
        return compose_llm(llm, question, result, started, on_text)
    return compose(question, result, started)


def _citation(n: int, hit: Hit, quote: str, text: str) -> Citation:
    meta = hit.meta
    return Citation(
        n=n,
        id=hit.para_id,
        article_id=hit.article_id,
        paragraph=hit.paragraph,
        title=meta.get("title", ""),
        date=meta.get("date", ""),
        dateline=meta.get("dateline", ""),
        agency=meta.get("agency", ""),
        heading=meta.get("heading", ""),
        quote=quote,
        text=text,
        score=round(hit.score, 4),
    )


LLM_SOURCES = 4


def compose_llm(llm: LLMAnswerer, question: str, result: SearchResult,
                started: float, on_text: Callable[[str], None] | None = None) -> Answer:
    """The LLM's verified answer; the extractive one whenever it cannot be trusted."""
    language = detect_language(question)
    if not result.hits or result.evidence < result.threshold:
        return abstain(question, language, started)
    hits = result.hits[:LLM_SOURCES]
    rows = {h.para_id: result.sentences(h.para_id) for h in hits}
    texts = [" ".join(r[1] for r in rows.get(h.para_id, [])) or h.passage for h in hits]
    verified = llm.generate(question, hits, texts, language, on_text)
    if verified is None:
        return compose(question, result, started)
    candidates = score_sentences(question, result.query_vector, hits, rows)
    citations = []
    for n, idx in enumerate(verified.sources, start=1):
        own = [c for c in candidates if c.hit_rank == idx]
        quote = max(own, key=lambda c: c.score).text if own else texts[idx]
        citations.append(_citation(n, hits[idx], quote, texts[idx]))
    return Answer(question, verified.text, False, citations, language, mode="llm",
                  latency_ms=(time.perf_counter() - started) * 1e3)


def compose(question: str, result: SearchResult, started: float | None = None) -> Answer:
    """The extractive answer for a search already made (``absatz eval`` scores both)."""
    started = time.perf_counter() if started is None else started
    language = detect_language(question)
    if not result.hits or result.evidence < result.threshold:
        return abstain(question, language, started)
    hits = result.hits[:2]
    rows = {h.para_id: result.sentences(h.para_id) for h in hits}
    candidates = score_sentences(question, result.query_vector, hits, rows)
    both_dates = dated_disagreement(hits, candidates)
    chosen = both_dates or select_sentences(candidates)
    if not chosen:
        return abstain(question, language, started)
    # Reports that disagree are shown newest first; otherwise the best paragraph leads.
    hits = [hits[c.hit_rank] for c in chosen] if both_dates else hits

    by_para = {h.para_id: h for h in hits}
    quotes = {pid: quote_for([c for c in chosen if c.para_id == pid]) for pid in by_para}
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    parts: list[str] = []
    for c in chosen:
        if c.para_id not in numbers:
            numbers[c.para_id] = len(numbers) + 1
            hit = by_para[c.para_id]
            citations.append(_citation(numbers[c.para_id], hit, quotes[c.para_id],
                                       " ".join(r[1] for r in rows[c.para_id])))
        prefix = AS_OF[language].format(date=by_para[c.para_id].date) if both_dates else ""
        parts.append(f"{prefix}{c.text} [{numbers[c.para_id]}]")
    return Answer(
        question=question,
        answer=" ".join(parts),
        abstained=False,
        citations=citations,
        language=language,
        latency_ms=(time.perf_counter() - started) * 1e3,
    )
