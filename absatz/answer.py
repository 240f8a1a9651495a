"""Question → cited answer: the one function the CLI, the console and Discord share.

The default answer is extractive: the sentences that answer the question, quoted
verbatim from the best paragraphs, each followed by its ``[n]`` marker. When the
evidence is weaker than the store's calibrated threshold, or the answerability gate
finds that the corpus covers only the question's story and not its answer
(:mod:`absatz.answerability`), it says "not in the corpus" instead of citing something
unrelated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from vectorstore.filters import Filter
from vectorstore.records import Hit, SentenceVector
from vectorstore.search import Searcher, SearchResult
from vectorstore.text import one_line, query_terms, tokenize

from .answer_sentences import (
    BORROWED,
    MAX_ANSWER_SENTENCES,
    Chosen,
    dated_disagreement,
    first_best,
    names,
    ranked_sentences,
    rescored,
    select_sentences,
    states,
    tied_answer,
)
from .answer_span import find_answer_span
from .answerability import beside_the_question, signals
from .answerability_weights import GATE
from .conversation import (
    GOES_ON,
    carries_its_subject,
    current_subject,
    far_from,
    follow_up_result,
    goes_on_from_it,
    stands_alone,
    strays,
    swapped_subject,
)
from .language import conversation_language, detect_language
from .llm import LLMAnswerer
from .question_text import search_text, under_title, without_mentions
from .question_types import Expected, Span
from .selector import Question
from .small_talk import asks_about_me
from .texts import t

# A top paragraph in which the first answer scorer finds no answer (its best sentence's
# summed log-odds below 0) yields the lead to one of the next LEAD_CANDIDATES hits that search
# scored nearly as high (within LEAD_GAP) and in which it finds one by LEAD_MARGIN more:
# "Who discovered the new beetle?" had led with the paragraph that names the beetle
# twice, not the one that says "Die Biologin Marie Hansen fand …". Chosen on the
# development sets, where it moved one XQuAD-de answer (bench/answer-quality.md); with
# the first scorer, like the gate: the two scorers' mean found "zwölf zusätzliche Blitzer"
# an answer to "Why does Cologne introduce a speed limit of 30?".
LEAD_CANDIDATES = 2
LEAD_GAP = 0.1
LEAD_MARGIN = 3.0


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
    url: str = ""  # the article's web address, when it has one (feeds, web pages, front matter)


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    language: str = "de"
    mode: str = "extractive"
    latency_ms: float = 0.0
    # Where ``answer`` states the fact asked for (a name, number, date, place or reason).
    span: Span | None = None
    # The message asked the corpus nothing ("???", "Wer bist du?"): the reply is no
    # refusal of the corpus, and no question for /gaps and /stats.
    not_asked: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "answer_span": {"start": self.span.start, "end": self.span.end, "text": self.span.text}
            if self.span
            else None,
            "abstained": self.abstained,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "language": self.language,
            "latency_ms": round(self.latency_ms, 1),
        }


QUOTE_GAP = " … "


def supporting(claims: Sequence[str], ranked: list[Chosen]) -> list[Chosen]:
    """The sentences of a paragraph that the LLM's claims citing it rest on: for each
    claim, the one sharing most of its words (the ranker's better on a tie), at most
    :data:`MAX_ANSWER_SENTENCES`; the ranker's best when no claim shares a word with any
    (an English claim over a German paragraph may not). So a quote shows what the answer
    says, not only the sentence most like the question."""
    picked: list[Chosen] = []
    for claim in claims:
        words = set(tokenize(claim))
        shared = {c: len(words & set(tokenize(c.text))) for c in ranked}
        best = max(ranked, key=shared.__getitem__, default=None)  # the first of equals
        if best is not None and shared[best] and best not in picked:
            picked.append(best)
    return picked[:MAX_ANSWER_SENTENCES] or ranked[:1]


def quote_for(chosen: list[Chosen]) -> str:
    """The sentences used from one paragraph, verbatim and in reading order: adjacent ones
    read as one passage, and a gap between them is marked with an ellipsis, as printed
    quotes mark what they leave out. So the quote shows every sentence the answer cites,
    and each part of it is a substring of the paragraph (the source button finds the
    paragraph by the part before the first ellipsis)."""
    parts: list[str] = []
    previous: int | None = None
    for c in sorted(chosen, key=lambda c: c.index):
        if previous is not None and c.index == previous + 1:
            parts[-1] += f" {c.text}"
        else:
            parts.append(c.text)
        previous = c.index
    return QUOTE_GAP.join(parts)


# The longest question answered, from any front end: Discord's option allows as many.
# Longer text is no question but a pasted page, and each character costs the ranker time.
MAX_QUESTION = 500


def has_words(question: str) -> bool:
    """Whether ``question`` has a letter or digit outside mentions and custom emoji:
    "???", "🤔" or another member's mention alone asks nothing, is told to ask a
    question, and counts as no question where questions are counted ("@absatz @bob" had
    been searched as its digits and refused, in a thread named ``<@1456…>``)."""
    return any(ch.isalnum() for ch in without_mentions(question))


# The fixed texts that answer a message which asks the corpus nothing.
_NOT_ASKED = frozenset({"empty_question", "about_me"})


def abstain(question: str, language: str, started: float, key: str = "not_found", **values: str) -> Answer:
    text = t(key, language, n=MAX_QUESTION, **values)  # only "too_long" reads n
    latency = (time.perf_counter() - started) * 1e3
    return Answer(question, text, True, [], language, latency_ms=latency, not_asked=key in _NOT_ASKED)


def answer(
    searcher: Searcher,
    question: str,
    k: int = 5,
    history: Sequence[str] = (),
    where: Filter | None = None,
    llm: LLMAnswerer | None = None,
    on_text: Callable[[str], None] | None = None,
    reader: str = "de",
    title: str = "",
) -> Answer:
    """Answer ``question`` from the corpus.

    ``history`` (earlier questions of a conversation) gives a follow-up its subject:
    condensed into a standalone query by the LLM when one is configured, otherwise
    added to the retrieval query; a new question (:func:`~absatz.conversation.stands_alone`) is answered
    as if asked alone. ``where`` restricts retrieval to a slice of the corpus
    (a period, categories, sources) before ranking;
    ``on_text`` receives the LLM's reply as it streams; ``reader`` is the asker's
    language (a client's locale), which fixed texts take when the words do not say.
    ``title`` is what the question is asked under (a forum post's): part of the question,
    but not of its :data:`MAX_QUESTION`, which limits what the asker typed.
    """
    started = time.perf_counter()
    question = one_line(question)
    if len(question) > MAX_QUESTION:
        cut = question[:MAX_QUESTION]
        return abstain(cut, conversation_language(cut, (), reader), started, "too_long")
    question = under_title(question, one_line(title))
    if not has_words(question):
        return abstain(question, reader, started, "empty_question")
    history = [h for h in history if h.strip()]
    language = conversation_language(question, history, reader)
    asked_in = conversation_language(question, history)
    if asks_about_me(question):
        return abstain(question, language, started, "about_me")
    if len(history) > 1:
        history = current_subject(
            history, lambda text: searcher.search(search_text(text), k=max(k, 2), where=where), where
        )
    joined = " ".join([*history, question])
    if llm is not None:
        query = llm.condense(question, history)
        result = searcher.search(search_text(query), k=max(k, 2), where=where)
        standalone = query if history else question
        reply = compose_llm(llm, question, result, started, on_text, language, asked_in, not history, standalone)
        if reply is not None and not (history and reply.abstained):
            return reply
        # No reply to trust, or a follow-up refused: the answer without an LLM, whose rules
        # read the conversation (a follow-up the model could not answer had been given
        # another subject's answer; one its condensation lost, "Sure:", had been refused).
        if history and query != joined:
            result = searcher.search(search_text(joined), k=max(k, 2), where=where)
    else:
        result = searcher.search(search_text(joined), k=max(k, 2), where=where)
    if not history:
        return compose(question, result, started, language=language, asked_in=asked_in)
    alone = searcher.search(search_text(question), k=max(k, 2), where=where)
    if result.evidence < result.threshold:
        # Two subjects in one search find neither: a question that carries its own subject
        # is answered as asked. A follow-up is one of the conversation's own questions when
        # they find their article without it and it finds that article too ("Warum war da
        # überhaupt ein finanzieller Neustart nötig?" had been refused), and is refused
        # otherwise ("Und was kostet dort ein Brötchen?" after Berlin's airport: not
        # Munich's price; "And who actually ordered it?" after the trains stopped at
        # Nickelsdorf: not another article's Nickelsdorf).
        if carries_its_subject(question):
            return compose(question, alone, started, language=language, asked_in=asked_in)
        earlier = searcher.search(search_text(" ".join(history)), k=max(k, 2), where=where)
        if earlier.evidence < earlier.threshold or far_from(earlier, alone, where):
            return compose(question, result, started, language=language, asked_in=asked_in, alone=False)
        result, far = earlier, False
    else:
        # "Und …" goes on from the conversation wherever its own search leads
        far = not GOES_ON.match(question) and far_from(result, alone, where)
        if stands_alone(question, result, alone, far):
            return compose(question, alone, started, language=language, asked_in=asked_in)
    followed = follow_up_result(result, alone, goes_on_from_it(question, asked_in))
    if not followed.hits:
        return abstain(question, language, started)
    reading = read(question, followed, followed.hits[:2])
    reply = compose(question, followed, started, reading, language=language, asked_in=asked_in, alone=False)
    if reply.abstained:
        return reply
    idf = result.index.lexical.idf if result.index is not None else (lambda term: 0.0)
    swapped = swapped_subject(question, reply.citations, language, idf)
    if swapped is not None:
        return abstain(question, language, started, "follow_up_not_found", name=swapped)
    if strays(question, far, reply.citations, cited_first_best(question, followed, reading, reply), idf, asked_in):
        return abstain(question, language, started)
    return reply


def cited_first_best(question: str, result: SearchResult, reading: Reading, reply: Answer) -> float:
    """Ranker + the first scorer's best for the paragraph ``reply`` cites first: the top
    hit's, read already, unless another leads (a close hit that answers, a newer report),
    whose answer is then what is judged, not the top hit's."""
    lead = reply.citations[0].id
    if lead == result.hits[0].para_id:
        return reading.first_best
    return hit_first_best(question, result, reading, next(h for h in result.hits if h.para_id == lead))


def hit_first_best(question: str, result: SearchResult, reading: Reading, hit: Hit) -> float:
    """Ranker + the first scorer's best for a hit that ``reading`` did not score."""
    return first_best(question, ranked_sentences(reading.q, 0, hit, result.sentences(hit.para_id)))


def _citation(n: int, hit: Hit, quote: str, text: str) -> Citation:
    meta = hit.meta
    return Citation(
        n=n,
        id=hit.para_id,
        article_id=hit.article_id,
        paragraph=hit.paragraph,
        title=meta.title,
        date=meta.date,
        dateline=meta.dateline,
        agency=meta.agency,
        heading=hit.heading,
        quote=quote,
        text=text,
        score=round(hit.score, 4),
        url=meta.url,
    )


LLM_SOURCES = 4


def compose_llm(
    llm: LLMAnswerer,
    question: str,
    result: SearchResult,
    started: float,
    on_text: Callable[[str], None] | None = None,
    language: str | None = None,
    asked_in: str | None = None,
    alone: bool = True,
    standalone: str | None = None,
) -> Answer | None:
    """The LLM's verified answer, a refusal, or None when the reply cannot be trusted (the
    caller answers without the LLM). ``language``, ``asked_in`` and ``alone`` as
    :func:`compose` reads them; ``standalone``: a follow-up as the model condensed it, which
    the paragraphs are read for and the model is asked (``und wann?`` alone says nothing)."""
    language = language or detect_language(question)
    if not result.hits or result.evidence < result.threshold:
        return abstain(question, language, started)
    asked = standalone or question
    hits = result.hits[:LLM_SOURCES]
    reading = read(asked, result, hits)
    if refused(reading, result, asked_in or language, alone):
        return abstain(question, language, started)
    texts = [" ".join(s.text for s in reading.rows[h.para_id]) or h.passage for h in hits]
    verified = llm.generate(asked, hits, texts, language, on_text)
    if verified is None:
        return None
    citations = []
    for n, idx in enumerate(verified.sources, start=1):
        shown = supporting([claim for claim, cited in verified.claims if idx in cited], reading.ranked[idx])
        citations.append(_citation(n, hits[idx], quote_for(shown) if shown else texts[idx], texts[idx]))
    return Answer(
        question,
        verified.text,
        False,
        citations,
        language,
        mode="llm",
        latency_ms=(time.perf_counter() - started) * 1e3,
        span=find_answer_span(verified.text, asked, reading.q.kind),
    )


@dataclass(frozen=True)
class Reading:
    """The top hits read for an answer: their sentences ranked (the first hit's by the
    answer scorers too), the signals the answerability gate judges and the first
    scorer's best (see :class:`absatz.answer_sentences.Rescored`)."""

    q: Question
    rows: dict[str, list[SentenceVector]]
    ranked: list[list[Chosen]]
    signals: np.ndarray | None
    first_best: float


def read(question: str, result: SearchResult, hits: list[Hit]) -> Reading:
    idf = result.index.lexical.idf if result.index is not None else (lambda term: 1.0)
    q = Question.of(question, result.ranking_vector, idf)
    rows = {h.para_id: result.sentences(h.para_id) for h in hits}
    ranked = [ranked_sentences(q, i, h, rows[h.para_id]) for i, h in enumerate(hits)]
    ranked[0], top_best = rescored(question, ranked[0])
    row = signals(result, q, [s.text for s in rows[hits[0].para_id]], top_best) if ranked[0] else None
    return Reading(q, rows, ranked, row, top_best)


def refused(reading: Reading, result: SearchResult, language: str, alone: bool) -> bool:
    """What the margin let through that is still not answered: the gate's verdict, or,
    for a question searched as asked (``alone``), a whole article that holds too little
    of its words when they are German (``language``). A follow-up's words are not its
    subject's: "wer ist denn gerade präsident bei denen" holds none of its club's. Nor
    does a follow-up of question words alone that asks for a kind of fact ("Why?") say
    what the gate could judge: the conversation's search, which passed the margin, found
    its subject, and the English "Why?" after Cologne's speed limit had been refused
    where "Warum?" was answered ("Was?" and "??" are still judged)."""
    if not alone and reading.q.kind is not Expected.OTHER and not query_terms(reading.q.text):
        return False
    if GATE.refuses(reading.signals, language, result.embedder):
        return True
    if not alone:
        return False
    return beside_the_question(reading.signals, [s.text for s in reading.rows[result.hits[0].para_id]], language)


def answering_lead(question: str, result: SearchResult, reading: Reading) -> Hit | None:
    """A close hit that answers where the top one does not (see LEAD_MARGIN); the gate
    has judged the question on the top hit already. Only for a typed question whose top
    paragraph states no fact of its kind (for a *wer*-question: names nobody by a known
    given name): the scorer alone took "Jonas Petersen, der … zwei Tore erzielte" over
    "Trainerin Sabine Krüger" for "Who coaches FC Nordheide?"."""
    top, kind = reading.ranked[0], reading.q.kind
    if not top or reading.first_best >= 0 or kind is Expected.OTHER:
        return None
    if any(names(c.text, question) if kind is Expected.PERSON else states(c.text, kind, question) for c in top):
        return None
    first = result.hits[0]
    best: tuple[float, Hit] | None = None
    for hit in result.hits[1 : 1 + LEAD_CANDIDATES]:
        if hit.score < first.score - LEAD_GAP:
            break
        lead = hit_first_best(question, result, reading, hit)
        if lead - reading.first_best > LEAD_MARGIN and (best is None or lead > best[0]):
            best = (lead, hit)
    return best[1] if best else None


def story_goes_on(question: str, result: SearchResult, reading: Reading) -> Hit | None:
    """The paragraph right after the top one, from further down the hits, to read in place
    of the second hit when neither of the two states a fact of the kind asked for: it
    goes on with the story, and tells why or when (:func:`~absatz.answer_sentences.select_sentences`
    takes the fact from it). After "Ab wann gilt Tempo 30 in Köln?", "Warum?" had found
    the paragraph on the new speed cameras second and the one on fewer accidents fourth.
    Not when the second is of the same article and states such a fact itself."""
    kind, hits = reading.q.kind, result.hits
    if kind not in BORROWED or len(hits) < 3 or len(reading.ranked) < 2:
        return None
    top = hits[0]
    if hits[1].article_id == top.article_id and hits[1].paragraph == top.paragraph + 1:
        return None
    if any(states(c.text, kind, question) for c in reading.ranked[0]):
        return None
    if hits[1].article_id == top.article_id and any(states(c.text, kind, question) for c in reading.ranked[1]):
        return None
    return next((h for h in hits[2:] if h.article_id == top.article_id and h.paragraph == top.paragraph + 1), None)


def compose(
    question: str,
    result: SearchResult,
    started: float | None = None,
    reading: Reading | None = None,
    language: str | None = None,
    asked_in: str | None = None,
    alone: bool = True,
) -> Answer:
    """The extractive answer for a search already made (``absatz eval`` scores both).

    ``reading`` holds these hits already read, so that they are not read twice: the LLM
    path's, when its answer could not be trusted (its first two hits are these), or a
    follow-up's, whose scores also decide whether it strays
    (:func:`~absatz.conversation.strays`). ``language`` is the reply's; ``asked_in`` the
    question's words' (German on a tie), whose cut the gate was fitted for: keywords
    answered in an English reader's language are still judged as the German they may be
    (by default the reply's). ``alone``: the search was the question's own, not a
    follow-up's joined with its conversation (see :func:`refused`)."""
    started = time.perf_counter() if started is None else started
    language = language or detect_language(question)
    if not result.hits or result.evidence < result.threshold:
        return abstain(question, language, started)
    hits = result.hits[:2]
    reading = read(question, result, hits) if reading is None else replace(reading, ranked=reading.ranked[:2])
    if refused(reading, result, asked_in or language, alone):
        return abstain(question, language, started)
    lead = answering_lead(question, result, reading)
    if lead is not None:
        result = replace(result, hits=[lead] + [h for h in result.hits if h is not lead])
        hits = result.hits[:2]
        reading = read(question, result, hits)
    if (following := story_goes_on(question, result, reading)) is not None:
        hits = [hits[0], following]
        reading = replace(
            reading,
            rows={**reading.rows, following.para_id: result.sentences(following.para_id)},
            ranked=reading.ranked[:1],
        )
        reading.ranked.append(ranked_sentences(reading.q, 1, following, reading.rows[following.para_id]))
    q, rows, ranked = reading.q, reading.rows, reading.ranked
    both_dates = dated_disagreement(hits, ranked)
    chosen = both_dates or select_sentences(
        ranked, hits, question=question, kind=q.kind, tied=lambda: tied_answer(question, hits, ranked)
    )
    if not chosen:
        return abstain(question, language, started)
    # Reports that disagree are shown newest first; otherwise the best paragraph leads.
    hits = [hits[c.hit_rank] for c in chosen] if both_dates else hits

    by_para = {h.para_id: h for h in hits}
    quotes = {pid: quote_for([c for c in chosen if c.para_id == pid]) for pid in by_para}
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    text = ""
    ranges: dict[int, tuple[int, int]] = {}
    for i, c in enumerate(chosen):
        if c.para_id not in numbers:
            numbers[c.para_id] = len(numbers) + 1
            hit = by_para[c.para_id]
            citations.append(
                _citation(numbers[c.para_id], hit, quotes[c.para_id], " ".join(s.text for s in rows[c.para_id]))
            )
        prefix = t("as_of", language, date=by_para[c.para_id].date) if both_dates else ""
        text += (" " if text else "") + prefix
        ranges[i] = (len(text), len(text) + len(c.text))
        text += f"{c.text} [{numbers[c.para_id]}]"
    # The bold goes to the best-scored sentence; of disagreeing reports, to the newest,
    # which the answer leads with ("Stand 2025-09: … 70 Cent", not the older 65 Cent).
    order = sorted(ranges) if both_dates else sorted(ranges, key=lambda i: -chosen[i].score)
    prefer = [ranges[i] for i in order]
    return Answer(
        question=question,
        answer=text,
        abstained=False,
        citations=citations,
        language=language,
        latency_ms=(time.perf_counter() - started) * 1e3,
        span=find_answer_span(text, question, q.kind, prefer),
    )
