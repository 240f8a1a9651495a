"""Question → cited answer: the one function the CLI, the console and Discord share.

The default answer is extractive: the sentences that answer the question, quoted
verbatim from the best paragraphs, each followed by its ``[n]`` marker. When the
evidence is weaker than the store's calibrated threshold, or the answerability gate
finds that the corpus covers only the question's story and not its answer
(:mod:`absatz.answerability`), it says "not in the corpus" instead of citing something
unrelated.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import pairwise
from typing import Any

import numpy as np

from vectorstore.dates import RECENCY_WINDOW
from vectorstore.filters import Filter
from vectorstore.records import Hit, SentenceVector
from vectorstore.search import Searcher, SearchResult
from vectorstore.text import query_terms, tokenize

from .answer_scorer import scorer
from .answerability import signals
from .answerability_weights import GATE
from .language import conversation_language, detect_language
from .llm import LLMAnswerer
from .question_text import search_text
from .question_types import (
    DATE_PIECE_AFTER,
    FIRST_NAMES,
    KIN_DE,
    KIN_EN,
    SPOKEN_NUMBERS,
    Expected,
    Span,
    ends_with_noun,
    fits_measure,
    is_time_noun,
    named_subjects,
    place_rank,
    spans,
)
from .selector import Question, features
from .selector_weights import RANKER
from .texts import t

MAX_ANSWER_SENTENCES = 2
# The answer scorer re-reads the feature ranker's best sentences of the top paragraph: at
# most SCORER_SHORTLIST, and only as many as hold SCORER_TOKENS tokens in all (the question
# counted in each pair), since its time grows with the tokens it reads. A long news
# paragraph's answer often lies beyond the ranker's best 8: short sentences let the
# scorer reach it, and the budget, below what 8 sentences cost the slowest twentieth of
# questions, keeps the slowest answers as fast as before (README, "Answer quality").
SCORER_SHORTLIST = 12
SCORER_TOKENS = 500
# The runner-up sentence joins the best one when the scorers cannot tell them apart (the
# summed score, in log-odds, is this close) or when both together are still short.
# Chosen on the development sets so that answers stay no longer than before the scorer.
SECOND_SENTENCE_GAP = 3.0
SHORT_ANSWER_CHARS = 280
# …or when it is nearly as likely and both are still fairly short: a wider gap only for
# shorter pairs, so that answers stay about as short (README, "Answer quality").
NEAR_SENTENCE_GAP = 4.5
FAIRLY_SHORT_ANSWER_CHARS = 360
# A one-sentence top paragraph takes its second sentence from the next hit only when
# search scored that hit about as high (fused scores lie in 0…1).
SECOND_PARAGRAPH_GAP = 0.1
# A typed question whose top paragraph states no fact of its type at all (no reason for a
# why-question, no date for a when-question) takes one from the next paragraph of the
# same article when search scored it this close.
NEARBY_PARAGRAPH_GAP = 0.25
# Not for numbers: those are also said in words no span finds ("Er reist selten allein").
BORROWED = (Expected.PERSON, Expected.DATE, Expected.PLACE, Expected.REASON)
# A top paragraph in which the answer scorer finds no answer (its best sentence's summed
# log-odds below 0) yields the lead to one of the next LEAD_CANDIDATES hits that search
# scored nearly as high (within LEAD_GAP) and in which it finds one by LEAD_MARGIN more:
# "Who discovered the new beetle?" had led with the paragraph that names the beetle
# twice, not the one that says "Die Biologin Marie Hansen fand …". Chosen on the
# development sets, where it moved one XQuAD-de answer (README, "Answer quality").
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


@dataclass(frozen=True)
class Chosen:
    """A sentence picked for the answer: its paragraph (by hit rank), place and ranker score."""

    hit_rank: int
    para_id: str
    index: int
    text: str
    score: float


def ranked_sentences(q: Question, hit_rank: int, hit: Hit, sentences: Sequence[SentenceVector]) -> list[Chosen]:
    """The paragraph's sentences, best first by the fitted ranker."""
    scores = RANKER.scores(features(q, [(s.text, s.vector) for s in sentences]))
    ranked = [
        Chosen(hit_rank, hit.para_id, s.index, s.text, float(score)) for s, score in zip(sentences, scores, strict=True)
    ]
    return sorted(ranked, key=lambda c: -c.score)


def rescored(question: str, ranked: list[Chosen]) -> list[Chosen]:
    """The ranker's shortlist (its best sentences, as many as the scorer's token budget
    holds) re-ordered by ranker + answer scorer (each in log-odds); the sentences beyond
    it keep their order but can no longer be chosen. A lone sentence is scored too: the
    answerability gate reads its score."""
    if not ranked:
        return ranked
    read = scorer().scores(question, [c.text for c in ranked[:SCORER_SHORTLIST]], SCORER_TOKENS)
    shortlist, rest = ranked[: len(read)], ranked[len(read) :]
    rescored = [replace(c, score=c.score + float(s)) for c, s in zip(shortlist, read, strict=True)]
    return sorted(rescored, key=lambda c: -c.score) + [replace(c, score=-math.inf) for c in rest]


def select_sentences(
    ranked: list[list[Chosen]],
    hits: list[Hit],
    limit: int = MAX_ANSWER_SENTENCES,
    question: str = "",
    kind: Expected = Expected.OTHER,
) -> list[Chosen]:
    """The best sentence of the top paragraph, and its runner-up when that may be the
    one that answers; in reading order. A chosen sentence that announces the next one
    ("… aus einem simplen Grund.") is answered with that one instead of the other, when
    it is chosen on its score (not only for being short). For a *wer*-question, a best
    sentence that names its person only by pronoun ("Mit 39 Jahren ist er der älteste
    Quarterback …") is answered with the one before it, where it names them.

    For "Welches Gerät …?", a best sentence that names the thing asked for only as "dieser
    Geräte" is answered with the one before it, which says what they are
    (:func:`refers_back`).

    Both come from the paragraph search trusted most, so the first citation is that
    paragraph. A one-sentence paragraph borrows the best sentence of the next hit when
    search found it about as relevant, and a top paragraph stating no fact of the kind
    asked for borrows one from the next paragraph of its article (:func:`_fact_nearby`).
    """
    if not ranked or not ranked[0]:
        return []
    best, *rest = ranked[0][:limit]
    chosen = [best] + [c for c in rest if _joins(best, c)]
    if not rest and len(ranked) > 1 and ranked[1] and hits[1].score >= hits[0].score - SECOND_PARAGRAPH_GAP:
        chosen.append(ranked[1][0])
    merited = [c for c in chosen if c.hit_rank == 0 and best.score - c.score <= SECOND_SENTENCE_GAP]
    announcing = next((c for c in merited if ANNOUNCES.search(c.text)), None)
    said = next((c for c in ranked[0] if announcing and c.index == announcing.index + 1), None)
    if announcing is not None and said is not None:
        # the fact is in the successor: its range comes first where the bold is looked for
        chosen = [announcing, replace(said, score=math.nextafter(announcing.score, math.inf))]
    elif kind is Expected.PERSON and _PRONOUN.search(best.text) and not any(names(c.text, question) for c in chosen):
        named = _sentence_before(ranked[0], best)
        if named is not None and names(named.text, question):
            chosen = [best, replace(named, score=math.nextafter(best.score, math.inf))]
    elif (antecedent := _antecedent(ranked[0], best, question, kind)) is not None:
        chosen = [best, replace(antecedent, score=math.nextafter(best.score, math.inf))]
    elif kind in BORROWED and limit > 1 and not any(states(c.text, kind, question) for c in ranked[0]):
        fact = _fact_nearby(ranked, hits, question, kind, limit)
        if fact is not None:
            chosen = [best, fact]
    return sorted(chosen, key=lambda c: (c.hit_rank, c.index))


def _joins(best: Chosen, runner_up: Chosen) -> bool:
    """Whether the runner-up may be the sentence that answers, at a length still short."""
    gap, length = best.score - runner_up.score, len(best.text) + len(runner_up.text)
    return (
        gap <= SECOND_SENTENCE_GAP
        or length <= SHORT_ANSWER_CHARS
        or (gap <= NEAR_SENTENCE_GAP and length <= FAIRLY_SHORT_ANSWER_CHARS)
    )


def states(sentence: str, kind: Expected, question: str) -> bool:
    """Whether ``sentence`` states a ``kind`` fact the question does not: a reason is a cue
    word with its clause ("weil die Löhne steigen"), not a cue word alone ("Das hat
    Gründe.") nor one announcing the next sentence ("… aus einem simplen Grund.")."""
    found = spans(sentence, kind, question)
    if kind is Expected.REASON:
        return not ANNOUNCES.search(sentence) and any(" " in s.text for s in found)
    if kind is Expected.PLACE:  # "im November" is a time
        return any(place_rank(s, question) is not None for s in found)
    return bool(found)


def _fact_nearby(
    ranked: list[list[Chosen]], hits: list[Hit], question: str, kind: Expected, limit: int
) -> Chosen | None:
    """The next hit's best sentence stating the fact asked for, when that hit is another
    paragraph of the top article scored about as high: the news paragraph that reports
    an event is often followed by the one that says why ("Als Gründe nannte der Verband
    …") or when. The top paragraph still leads, so the first citation stays the one
    search trusted most."""
    if len(ranked) < 2 or len(hits) < 2 or hits[1].article_id != hits[0].article_id:
        return None
    if hits[1].score < hits[0].score - NEARBY_PARAGRAPH_GAP:
        return None
    return next((c for c in ranked[1][:limit] if states(c.text, kind, question)), None)


# A person named by pronoun, as the sentence after the one naming them does.
_PRONOUN = re.compile(r"(?<!\w)(?:[Ee]r|[Ss]ie|[Hh]e|[Ss]he)(?!\w)")


def named(span: Span) -> bool:
    """Whether a person span holds a known given name: a capitalised noun phrase
    ("Deutsche Bahn", "Quarterback der Liga") reads as a name too."""
    return not FIRST_NAMES.isdisjoint(span.text.split())


def names(sentence: str, question: str) -> bool:
    """Whether ``sentence`` names a person the question does not (:func:`named`)."""
    return any(named(s) for s in spans(sentence, Expected.PERSON, question))


# "dieser Geräte", "jenes Verfahrens": a thing named in an earlier sentence. Endings of
# case and number only: "Spieler" is no "Spiel".
_DEMONSTRATIVE = re.compile(r"\b(?:diese|jene)[mnrs]?\s+([A-ZÄÖÜ][\w-]+)")
_INFLECTED = ("", "e", "en", "n", "s", "es")


def _antecedent(paragraph: list[Chosen], best: Chosen, question: str, kind: Expected) -> Chosen | None:
    """The sentence before ``best`` when ``best`` names what is asked for only by a
    demonstrative and states no fact of the kind asked for itself (:func:`refers_back`)."""
    if states(best.text, kind, question) or not refers_back(best.text, question):
        return None
    return _sentence_before(paragraph, best)


def _sentence_before(paragraph: list[Chosen], sentence: Chosen) -> Chosen | None:
    return next((c for c in paragraph if c.index == sentence.index - 1), None)


def refers_back(sentence: str, question: str) -> bool:
    """Whether ``sentence`` names the kind of thing a *welche*-question asks for only by a
    demonstrative: "Kohlenmonoxidvergiftungen werden mithilfe dieser Geräte behandelt"
    for "Welches Gerät wird … eingesetzt?" says what the devices do, the sentence before
    says which they are ("besondere Sauerstoffkammern"). Not "in diesem Jahr" for "In
    welchem Jahr …?": a time named so points back to nothing."""
    asked = _ASKED_ROLE.search(question)
    if asked is None or is_time_noun(asked.group(1)):
        return False
    noun = asked.group(1)
    return any(
        ends_with_noun(m.group(1).removesuffix(ending), noun.removesuffix(ending_asked))
        for m in _DEMONSTRATIVE.finditer(sentence)
        for ending in _INFLECTED
        for ending_asked in _INFLECTED
    )


# A sentence that announces what the next one says: "Dort scheiterte die Begehung aus
# einem simplen Grund.", "… for a simple reason." (Sentences end at . ! ? …, so none ends
# with a colon.) Not "aus diesem Grund", which points back, nor "aus einem anderen Grund".
ANNOUNCES = re.compile(
    r"(?:\baus (?:einem|zwei|drei|mehreren|folgendem|folgenden)"
    r"(?: (?:ganz |sehr )?(?:simplen|einfachen|banalen|bestimmten|triftigen|wichtigen|guten|profanen|klaren))?"
    r" Gr(?:und|ünden)|"
    r"\bfor (?:a|one|two|three|several)(?: (?:very )?(?:simple|good|specific|particular|obvious|clear|banal))?"
    r" reasons?)\W?\s*$",
    re.IGNORECASE,
)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def dated_disagreement(hits: list[Hit], ranked: list[list[Chosen]]) -> list[Chosen] | None:
    """Two comparably relevant reports from different dates that state different numbers.

    News stories develop: "Tickets kosten 40 Euro" in May, "55 Euro" in September.
    Rather than silently picking one, the answer then quotes both with their dates,
    newest first. (Differing figures are the disagreement we can detect reliably.)
    """
    if len(hits) < 2 or len(ranked) < 2 or not ranked[0] or not ranked[1]:
        return None
    first, second = hits[0], hits[1]
    if first.article_id == second.article_id or not first.date or not second.date or first.date == second.date:
        return None
    if second.score < first.score - RECENCY_WINDOW:
        return None
    a, b = ranked[0][0], ranked[1][0]
    numbers_a, numbers_b = set(_NUMBER.findall(a.text)), set(_NUMBER.findall(b.text))
    if not numbers_a or not numbers_b or numbers_a == numbers_b:
        return None
    return sorted((a, b), key=lambda c: hits[c.hit_rank].date, reverse=True)


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


def find_answer_span(text: str, question: str, kind: Expected, prefer: Sequence[tuple[int, int]] = ()) -> Span | None:
    """Where ``text`` states the kind of fact the question asks for, to show in bold.

    ``prefer`` lists character ranges of ``text`` (its sentences, best first): spans in
    earlier ranges win, none outside them counts (the "Stand 2024-09:" before a dated
    report is not the date a *wann*-question asks for), for a *wer*-question a span
    that reads as a person's name wins over a capitalised noun phrase (and one the
    question names loses to any other, unless it asks for a relative of theirs), for a number
    question one in the unit it asks for (:func:`fits_measure`) over one that is not,
    and for a *wo*-question a named place over a noun phrase, never a time
    (:func:`place_rank`). Each rule of the order below says what loses and why.
    """

    def place(s: Span) -> int:
        return next((i for i, (start, end) in enumerate(prefer) if start <= s.start and s.end <= end), len(prefer))

    def consequence(s: Span) -> bool:
        """ "Deshalb hat er seine Isomatte eingepackt", "Aus diesem Grund kam er nicht": what
        follows is what the reason led to, not the reason."""
        return kind is Expected.REASON and bool(_CONSEQUENCE.match(s.text) or _POINTS_BACK.search(text, 0, s.start))

    # Citation markers are numbers too, but never the answer; nor is a reason's cue word
    # with no clause after it ("… aus einem simplen Grund."), nor what a reason led to.
    found = [
        s
        for s in spans(text, kind, question)
        if (text[s.start - 1 : s.start] != "[" or text[s.end : s.end + 1] != "]")
        and (not prefer or place(s) < len(prefer))
        and (kind is not Expected.REASON or (" " in s.text and not consequence(s)))
    ]
    places = {s: place_rank(s, question) for s in found} if kind is Expected.PLACE else {}
    found = [s for s in found if places.get(s, 0) is not None]
    if not found:
        return None

    def relative(s: Span) -> bool:
        """Where the question asks for a relative of a person it names ("Trump's wife"),
        someone sharing the surname is the one asked for: by another given name than the
        question gives ("Melania Trump" for "… von Donald Trump?"), or introduced as a
        relative ("seiner Frau Melania Trump") where it gives none."""
        *given, last = s.text.split()
        if not asks_relative or not given or given[-1] in said or not asked(s):
            return False
        surname = {last, last.removesuffix("s")}
        named_as = [before for before, word in pairwise(words) if word in surname or word.removesuffix("s") in surname]
        if not named_as:
            return False
        introduced = _KIN_BEFORE.search(text, 0, s.start) or _KIN_BEFORE.match(given[0])  # "Frau Trump"
        return any(w in FIRST_NAMES for w in named_as) or bool(introduced)

    def unnamed(s: Span) -> bool:
        return kind is Expected.PERSON and not named(s)

    def placed(s: Span) -> bool:
        """ "im Berliner Mommsenstadion": a capitalised phrase where a place stands is none
        of the people or organisations a *wer*-question asks for."""
        return kind is Expected.PERSON and bool(_AT_PLACE.search(text, 0, s.start))

    def asked(s: Span) -> bool:
        """A person the question names by surname ("Karl Homole" for "… den ÖVP-Bezirkschef
        Homole …"), either in the genitive ("Widersacher Trongs", "Homoles Herausforderin"),
        is not the one asked for."""
        last = s.text.split()[-1]
        return kind is Expected.PERSON and bool({last, last.removesuffix("s")} & said)

    def typed(s: Span) -> bool:
        """For "Welcher Energiekonzern …?" / "Mit welcher Behörde …?" a name introduced as
        that kind ("der Energiekonzern Engie", "der Medienbehörde KommAustria"); "Konzern
        Engie" names an "Energiekonzern" too. Not a given name that ends like the kind
        ("Erin" for "Spielerin"), nor the side beaten."""
        if role is None or beaten(s):
            return False
        before = text[max(0, s.start - 40) : s.start].split()[-1:]
        words = [w.strip('.,;:!?()„“"»«') for w in s.text.split()]
        return any(ends_with_noun(w, role) for w in words + before if w not in FIRST_NAMES) or any(
            len(w) >= 4 and role.lower().endswith(w.lower()) for w in before
        )

    def untyped(s: Span) -> bool:
        """Another name of the typed one's sentence, or of a sentence trusted less
        ("Airbus Space Systems" before "der Energiekonzern Engie"), is not the one asked
        for; one of a sentence trusted more still leads ("RBS" over "Großbank Standard
        Chartered" for "Welche britische Bank …?")."""
        return first_typed is not None and not typed(s) and place(s) >= first_typed

    def beaten(s: Span) -> bool:
        """For "Wer gewann …?" the side beaten is the one who did not win: the name right
        after "gegen" ("gegen den favorisierten SV Havelland", "Gegen Havelland setzte sich
        …") and the accusative after a verb of beating ("besiegte im Berliner
        Mommsenstadion den SV Havelland"; in "bezwang Borussia Dortmund den FC Bayern" the
        subject follows the verb)."""
        if not asks_winner:
            return False
        if _LOST.search(text, 0, s.start):  # "Real Madrid verlor gegen den FC Liverpool"
            return False
        return bool(_BEATEN.search(text, 0, s.start) or _AGAINST.match(s.text) or _LOSES.match(text, s.end))

    def unfit(s: Span) -> bool:
        return kind is Expected.NUMBER and not fits_measure(question, s.text)

    def astray(s: Span) -> bool:
        """For a *wo*-question a place the text comes "aus" or "von" ("aus Ungarn", "von
        Paris") answers where from, not where; for a *woher*-question only those do."""
        if kind is not Expected.PLACE:
            return False
        near = _NEAR.search(text, 0, s.start) and s.text.startswith("von ")  # "in der Nähe von Baharija"
        return (s.text.split()[0].lower() in ("aus", "von") and not near) != from_asked

    def unbound(s: Span) -> bool:
        """For "Ab wann …?" the date "ab" introduces ("ab dem 1. Juli"), not another one
        of the sentence ("am Donnerstag")."""
        if bound is None:
            return False
        opens = re.match(rf"(?:{bound})\b", s.text, re.IGNORECASE)
        before = (
            rf"\b(?:{bound})\s+(?:(?:dem|den|der|zum|zur)\s+)?(?:(?:Anfang|Mitte|Ende)\s+(?:(?:des|der)\s+)?)?"
            r"(?:(?:kommende|nächste|vergangene|voraussichtlich|frühestens|spätestens)\w*\s+)?$"
        )
        return not (opens or re.search(before, text[: s.start], re.IGNORECASE))

    def superseded(s: Span) -> bool:
        """ "von zwei Stunden auf 65 Minuten": the value a change ends at is what it is now;
        "Waren es einst 15 bis 20 Prozent …", "laut vorläufigem Endergebnis nur 25 Stimmen"
        tell a value that was."""
        if kind is not Expected.NUMBER or _ASKS_BEFORE.search(question):
            return False
        changed = _FROM_BEFORE.search(text, 0, s.start) and _TO_AFTER.match(text, s.end)
        was = _WAS_BEFORE.search(text, 0, s.start)
        return bool(changed or (was and not any(was.end() <= o.start < s.start for o in found)))

    words = re.findall(r"\w+", question)
    said = {w for word in words for w in (word, word.removesuffix("s"))}
    asks_relative = kind is Expected.PERSON and bool(_ASKS_RELATIVE.match(question))
    counted = _counted(text, question, found) if kind is Expected.NUMBER else {}
    bound = next((words for asks, words in _BOUNDS if asks.search(question)), None) if kind is Expected.DATE else None
    from_asked = bool(_FROM_ASKED.search(question))
    asks_winner = kind is Expected.PERSON and bool(_ASKS_WINNER.search(question))
    asks_role = _ASKED_ROLE.search(question) if kind is Expected.PERSON else None
    role = asks_role.group(1) if asks_role else None
    first_typed = min((place(s) for s in found if typed(s) and not asked(s)), default=None)

    def order(s: Span) -> tuple[bool, bool, bool, bool, bool, bool, bool, bool, bool, bool, bool, int, int, int, int]:
        return (
            not relative(s),
            asked(s),
            beaten(s),
            untyped(s),
            unnamed(s),
            placed(s),
            unfit(s),
            unbound(s),
            superseded(s),
            counted.get(s) == _NO_COUNT,  # "aus dem Jahr 2019" answers no "Wie hoch …?" in any sentence
            astray(s),
            place(s),
            places.get(s) or 0,
            counted.get(s, 1),
            s.start,
        )

    return min(found, key=order)


# The words that put a place before a capitalised phrase: "im Berliner Mommsenstadion",
# "am Kai Steinwerder", "in der Hamburger Elbphilharmonie" (not "beim FC Bayern").
_AT_PLACE = re.compile(r"\b(?:im|ins|am|[Ii]n (?:der|dem|den|die|das))\s+$")
# The kind of person or organisation a German question asks for: "Welcher Energiekonzern
# …?", "Mit welcher Behörde …?".
_ASKED_ROLE = re.compile(r"\b(?i:welche[rnms]?)\s+(?:[a-zäöüß]+e[nrs]?\s+)?([A-ZÄÖÜ][\w-]{3,})")


# A question for who won, and the words before the side that lost, within its clause.
_ASKS_WINNER = re.compile(
    r"\b(?:gewann|gewannen|gewinnt|gewonnen|siegte|siegten|gesiegt|Sieger\w*|Gewinner\w*|won|wins|winners?|victor\w*)\b",
    re.IGNORECASE,
)
_BEATEN = re.compile(
    r"(?:\b(?i:gegen)\s+(?:(?:den|die|das|dem|der)\s+)?|\b(?:Sieg|Sieges|Erfolg|Erfolgs)\s+über\s+(?:(?:den|die|das|dem|der)\s+)?|"
    r"\b(?i:victory|win)\s+over\s+(?:the\s+)?|"
    r"\b(?:besiegte|besiegten|besiegt|schlug|schlugen|geschlagen|bezwang|bezwangen|bezwungen)\b[^.,;:!?]{0,60}\bden\s+|"
    r"\b(?i:against|beat|beating|defeated|defeating)\s+(?:the\s+)?)(?:[a-zäöüß]+e[nmrs]?\s+)?$"
)
_AGAINST = re.compile(r"(?i:gegen|against)\s")
# Who lost, told before "gegen": then the name after it is the winner.
_LOSES = re.compile(r"\s+(?i:verlor|verloren|verliert|unterlag|unterlagen|unterliegt|lost|loses)\b")
_LOST = re.compile(r"\b(?i:verlor\w*|unterl[ai]g\w*|unterlegen|lost|losing)\b[^.,;:!?]{0,80}$")
# A question for a bound of time, and the words that introduce such a date in the text
# (the first that the question asks wins: "Until when does it apply?" asks for the end).
_BOUNDS = (
    (re.compile(r"\b(?:seit wann|since when)\b", re.IGNORECASE), "seit|since"),
    (re.compile(r"\b(?:bis wann|until when|till when|by when)\b", re.IGNORECASE), "bis|spätestens|until|by"),
    (
        re.compile(
            r"\b(?:ab wann|from when|when (?:does|do|did|will|is|are|was|were) .{1,80}?"
            r"\b(?:start|begin|take effect|come into (?:force|effect)|apply|be introduced))\b",
            re.IGNORECASE,
        ),
        "ab|vom|zum|seit|from|starting",
    ),
)
# A question for where something comes from: "Woher …?", "Aus welchem Land …?".
_FROM_ASKED = re.compile(
    r"\b(?:woher|von wo|(?:aus|von) welche[mnrs]?|from where|from which)\b|\bwo\b.*\bher\W*$|\bwhere\b.*\bfrom\W*$",
    re.IGNORECASE,
)
_CONSEQUENCE = re.compile(r"(?i:deshalb|deswegen|daher|darum|folglich)\b")
_POINTS_BACK = re.compile(r"\b(?i:aus) (?:diesem|eben diesem|dem) $")
_NEAR = re.compile(r"\b(?:Nähe|unweit|nahe)\s+$")
# A change told from one value to another ("von zwei Stunden auf 65 Minuten"), unless
# the question asks what it was before.
_FROM_BEFORE = re.compile(r"\b(?:von|from)\s+$")
_TO_AFTER = re.compile(rf"\s+(?:auf|to)\s+(?:\S*\d|(?:{SPOKEN_NUMBERS}|ein)\b)")
# A word that tells a value of the past, before the number in its clause.
_WAS_BEFORE = re.compile(
    r"\b(?i:einst|früher(?!\s+als)|zuvor|vorher|ursprünglich|bisherige[mnrs]?|damals|ehemals|anfangs)\b[^,;:.!?]{0,60}$"
)
_ASKS_BEFORE = re.compile(
    r"\b(?:bisher|bisherige[mnrs]?|alte[mnrs]?|zuvor|vorher|früher|davor|ursprünglich|before|previously|formerly|"
    r"originally|previous|former|used to)\b",
    re.IGNORECASE,
)


# The questions that ask who a relative of a person they name is, whose answer may share
# that person's surname ("Wer ist die Ehefrau von Donald Trump?", "Wer ist Trumps Frau?",
# "Wer ist Scholz’ Frau?", "Who is Trump's wife?"); not "Frau von der Leyen", "Mutter
# Teresa", "sister company", nor "Wer kritisierte Trumps Sohn?", whose answer is someone
# else.
_ASKS_RELATIVE = re.compile(
    r"\s*(?i:wer (?:ist|war|sind|waren)|wie hei(?:ß|ss)(?:t|en)|wie hie(?:ß|ss)(?:en)?|"
    r"who(?:'s|’s| is| was| are| were)|what(?:'s|’s| is| was) the names?)\b.*?(?:"
    rf"\b{KIN_DE}\s+(?:von(?!\s+(?:der|dem|den)\b)|des|der)\s|\b[A-ZÄÖÜ]\w*(?:s|[sßxz]['’´]|['’´]s)\s+{KIN_DE}\b|"
    rf"\b(?:sein|ihr)(?:e|em|en|er|es)?\s+{KIN_DE}\b|"
    rf"\b[A-ZÄÖÜ]\w*[sßxz]['’´]\s+(?i:{KIN_EN})\b|"
    rf"(?i:\w['’´]s\s+{KIN_EN}\b|\b{KIN_EN}\s+of\s|\b(?:his|her|their)\s+{KIN_EN}\b))"
)
_KIN_BEFORE = re.compile(rf"\b(?:{KIN_DE}|(?i:{KIN_EN}))\W*$")


# The words that ask for a number are no noun it counts.
_ASKING = frozenset(tokenize("wie viel viele vielen"))
_NEXT_WORDS = re.compile(r"\s*([\w-]+)(?:\s+([\w-]+))?")
_AGE_ASKED = re.compile(r"\b(?:wie alt|alter|how old|age[ds]?)\b", re.IGNORECASE)
_AGE_AFTER = re.compile(r"\s+alt(?:e[mnrs]?)?\b")
_AGE_BEFORE = re.compile(r"\bAlter von\s+$")
# The noun "wie viele" counts: "Wie viele (neue) Haushalte …".
_COUNTED_NOUN = re.compile(r"\b(?i:wie viele?n?)\s+(?:[a-zäöüß]\w*\s+)?([A-ZÄÖÜ][\w-]*)")
_DURATION_ASKED = re.compile(r"\b(?:wie lange|seit wann|bis wann|how long|until when|since when)\b", re.IGNORECASE)
# A year alone ("bis 2019") is a date, not a count; :func:`_counted` ranks it, and an age
# nobody asked for, _NO_COUNT, which loses to a number of any sentence.
_NO_COUNT = 3
_YEAR = re.compile(r"(?:19|20)\d\d")


def _counted(text: str, question: str, found: list[Span]) -> dict[Span, int]:
    """For a number question, how well each span states the count asked for: 0 when it
    holds, or is followed by, the noun the question counts ("21.000 Haushalte" for "Wie
    viele Haushalte …?"; one adjective may come between: "12 neue Blitzer"), 1 when it is
    another word of the question ("1.800 Meter Seehöhe gelegene Windpark"), 3 when it is
    an age nobody asked for ("der 19 Jahre alte Stürmer") or part of a date ("Bis 4.
    September, 13 Uhr", "bis 2019") where no duration is asked, 2 otherwise. The
    sentences are German, so an English question's nouns match nothing and only ages and
    dates step back."""
    asked = set(tokenize(question)) - _ASKING
    counted = _COUNTED_NOUN.search(question)
    noun = set(tokenize(counted.group(1))) if counted else set()
    age_asked = bool(_AGE_ASKED.search(question))
    duration_asked = bool(_DURATION_ASKED.search(question))
    ranks = {}
    for s in found:
        words = [s.text]
        after = _NEXT_WORDS.match(text, s.end)
        if after:
            words.append(after.group(1))
            if after.group(2) and after.group(1).islower():  # an adjective before the noun
                words.append(after.group(2))
        said = set(tokenize(" ".join(words)))
        if noun & said:
            ranks[s] = 0
        elif asked & said:
            ranks[s] = 1
        else:
            age = not age_asked and (_AGE_AFTER.match(text, s.end) or _AGE_BEFORE.search(text, 0, s.start))
            date = not duration_asked and (
                DATE_PIECE_AFTER.match(text, s.end) or _YEAR.fullmatch(s.text) or s.text.endswith(" Uhr")
            )
            ranks[s] = _NO_COUNT if age or date else 2
    return ranks


# The longest question answered, from any front end: Discord's option allows as many.
# Longer text is no question but a pasted page, and each character costs the ranker time.
MAX_QUESTION = 500


def has_words(question: str) -> bool:
    """Whether ``question`` has a letter or digit: "???" or "🤔" asks nothing, is told to
    ask a question, and counts as no question where questions are counted."""
    return any(ch.isalnum() for ch in question)


def abstain(question: str, language: str, started: float, key: str = "not_found", **values: str) -> Answer:
    text = t(key, language, n=MAX_QUESTION, **values)  # only "too_long" reads n
    return Answer(question, text, True, [], language, latency_ms=(time.perf_counter() - started) * 1e3)


def answer(
    searcher: Searcher,
    question: str,
    k: int = 5,
    history: Sequence[str] = (),
    where: Filter | None = None,
    llm: LLMAnswerer | None = None,
    on_text: Callable[[str], None] | None = None,
    reader: str = "de",
) -> Answer:
    """Answer ``question`` from the corpus.

    ``history`` (earlier questions of a conversation) gives a follow-up its subject:
    condensed into a standalone query by the LLM when one is configured, otherwise
    added to the retrieval query. ``where`` restricts retrieval to a slice of the corpus
    (a period, categories, sources) before ranking;
    ``on_text`` receives the LLM's reply as it streams; ``reader`` is the asker's
    language (a client's locale), which fixed texts take when the words do not say.
    """
    started = time.perf_counter()
    question = " ".join(question.split())
    if not has_words(question):
        return abstain(question, reader, started, "empty_question")
    if len(question) > MAX_QUESTION:
        cut = question[:MAX_QUESTION]
        return abstain(cut, conversation_language(cut, (), reader), started, "too_long")
    history = [h for h in history if h.strip()]
    language = conversation_language(question, history, reader)
    asked_in = conversation_language(question, history)
    query = llm.condense(question, history) if llm is not None else " ".join([*history, question])
    result = searcher.search(search_text(query), k=max(k, 2), where=where)
    if llm is not None:
        return compose_llm(llm, question, result, started, on_text, language, asked_in)
    if not history or result.evidence < result.threshold:
        return compose(question, result, started, language=language, asked_in=asked_in)
    result = follow_up_result(result, searcher.search(search_text(question), k=max(k, 2), where=where))
    reply = compose(question, result, started, language=language, asked_in=asked_in)
    idf = result.index.lexical.idf if result.index is not None else (lambda term: 0.0)
    swapped = None if reply.abstained else swapped_subject(question, reply.citations, language, idf)
    return reply if swapped is None else abstain(question, language, started, "follow_up_not_found", name=swapped)


def follow_up_result(conversation: SearchResult, alone: SearchResult) -> SearchResult:
    """A follow-up is searched with the conversation's questions, which find its subject,
    and alone, which finds what it asks of that subject: "Und wie viele Betriebe gibt
    es?" after the price of a roll is answered by the paragraph on the bakeries, not by
    the price again. The search alone orders the paragraphs when its best is of the
    article the conversation found best; whether the corpus answers at all stays the
    conversation's call (a follow-up alone says too little to judge), and so are the
    articles cited: the hits alone of other articles give way to the conversation's."""
    if not alone.hits or not conversation.hits or alone.hits[0].article_id != conversation.hits[0].article_id:
        return conversation
    found = {h.article_id for h in conversation.hits}
    mine = [h for h in alone.hits if h.article_id in found]
    taken = {h.para_id for h in mine}
    hits = (mine + [h for h in conversation.hits if h.para_id not in taken])[: len(conversation.hits)]
    return replace(alone, hits=hits, evidence=conversation.evidence, background=conversation.background)


def swapped_subject(
    follow_up: str, citations: Sequence[Citation], language: str, idf: Callable[[str], float]
) -> str | None:
    """The name a follow-up asks about ("Und in Berlin?") that no cited paragraph holds.
    The conversation's subject decides a follow-up's search, so after the price of a roll
    in Munich it found Munich's price again, which answers a question nobody asked. An
    English name the corpus never uses may be its German one's exonym ("Munich"). A name
    is held in a derived form too: "Bayerische Bäckereien" are in Bavaria."""
    cited = " ".join(f"{c.title} {c.heading} {c.dateline} {c.text}" for c in citations).lower()
    stems, words = set(tokenize(cited)), set(re.findall(r"\w+", cited))

    def held(word: str) -> bool:
        root = word.lower().removesuffix("n")
        return set(query_terms(word)) <= stems or (len(root) >= 4 and any(w.startswith(root) for w in words))

    for name in named_subjects(follow_up):
        terms = query_terms(name)
        if not terms or all(map(held, name.split())):
            continue
        if language == "en" and not any(idf(term) > 0 for term in terms):
            continue
        return name
    return None


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
) -> Answer:
    """The LLM's verified answer; the extractive one whenever it cannot be trusted.
    ``language`` and ``asked_in`` as :func:`compose` reads them."""
    language = language or detect_language(question)
    if not result.hits or result.evidence < result.threshold:
        return abstain(question, language, started)
    hits = result.hits[:LLM_SOURCES]
    reading = read(question, result, hits)
    if GATE.refuses(reading.signals, asked_in or language, result.embedder):
        return abstain(question, language, started)
    texts = [" ".join(s.text for s in reading.rows[h.para_id]) or h.passage for h in hits]
    verified = llm.generate(question, hits, texts, language, on_text)
    if verified is None:
        return compose(question, result, started, reading, language, asked_in)
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
        span=find_answer_span(verified.text, question, reading.q.kind),
    )


@dataclass(frozen=True)
class Reading:
    """The top hits read for an answer: their sentences ranked (the first hit's by the
    answer scorer too) and the signals the answerability gate judges."""

    q: Question
    rows: dict[str, list[SentenceVector]]
    ranked: list[list[Chosen]]
    signals: np.ndarray | None


def read(question: str, result: SearchResult, hits: list[Hit]) -> Reading:
    idf = result.index.lexical.idf if result.index is not None else (lambda term: 1.0)
    q = Question.of(question, result.ranking_vector, idf)
    rows = {h.para_id: result.sentences(h.para_id) for h in hits}
    ranked = [ranked_sentences(q, i, h, rows[h.para_id]) for i, h in enumerate(hits)]
    ranked[0] = rescored(question, ranked[0])
    top = ranked[0]
    row = signals(result, q, [s.text for s in rows[hits[0].para_id]], top[0].score) if top else None
    return Reading(q, rows, ranked, row)


def answering_lead(question: str, result: SearchResult, reading: Reading) -> Hit | None:
    """A close hit that answers where the top one does not (see LEAD_MARGIN); the gate
    has judged the question on the top hit already. Only for a typed question whose top
    paragraph states no fact of its kind (for a *wer*-question: names nobody by a known
    given name): the scorer alone took "Jonas Petersen, der … zwei Tore erzielte" over
    "Trainerin Sabine Krüger" for "Who coaches FC Nordheide?"."""
    top, kind = reading.ranked[0], reading.q.kind
    if not top or top[0].score >= 0 or kind is Expected.OTHER:
        return None
    if any(names(c.text, question) if kind is Expected.PERSON else states(c.text, kind, question) for c in top):
        return None
    first = result.hits[0]
    best: tuple[float, Hit] | None = None
    for hit in result.hits[1 : 1 + LEAD_CANDIDATES]:
        if hit.score < first.score - LEAD_GAP:
            break
        ranked = rescored(question, ranked_sentences(reading.q, 0, hit, result.sentences(hit.para_id)))
        if ranked and ranked[0].score - top[0].score > LEAD_MARGIN and (best is None or ranked[0].score > best[0]):
            best = (ranked[0].score, hit)
    return best[1] if best else None


def compose(
    question: str,
    result: SearchResult,
    started: float | None = None,
    reading: Reading | None = None,
    language: str | None = None,
    asked_in: str | None = None,
) -> Answer:
    """The extractive answer for a search already made (``absatz eval`` scores both).

    ``reading`` is the LLM path's, when its answer could not be trusted: its first two
    hits are these, already scored. ``language`` is the reply's; ``asked_in`` the
    question's words' (German on a tie), whose cut the gate was fitted for: keywords
    answered in an English reader's language are still judged as the German they may be
    (by default the reply's)."""
    started = time.perf_counter() if started is None else started
    language = language or detect_language(question)
    if not result.hits or result.evidence < result.threshold:
        return abstain(question, language, started)
    hits = result.hits[:2]
    reading = read(question, result, hits) if reading is None else replace(reading, ranked=reading.ranked[:2])
    if GATE.refuses(reading.signals, asked_in or language, result.embedder):
        return abstain(question, language, started)
    lead = answering_lead(question, result, reading)
    if lead is not None:
        result = replace(result, hits=[lead] + [h for h in result.hits if h is not lead])
        hits = result.hits[:2]
        reading = read(question, result, hits)
    q, rows, ranked = reading.q, reading.rows, reading.ranked
    both_dates = dated_disagreement(hits, ranked)
    chosen = both_dates or select_sentences(ranked, hits, question=question, kind=q.kind)
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
    prefer = [ranges[i] for i in sorted(ranges, key=lambda i: -chosen[i].score)]
    return Answer(
        question=question,
        answer=text,
        abstained=False,
        citations=citations,
        language=language,
        latency_ms=(time.perf_counter() - started) * 1e3,
        span=find_answer_span(text, question, q.kind, prefer),
    )
