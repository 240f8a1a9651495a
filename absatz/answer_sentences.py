"""Which sentences of the best paragraphs answer: the choice an extractive answer quotes.

The sentence most like the question is often the one that restates it; the one that
answers may be its neighbour, a sentence the best one points back to ("dieser Geräte",
"er"), the one an announcing sentence promises ("… aus einem simplen Grund."), or the
next paragraph's where the top one states no fact of the kind asked for. The feature
ranker and the cross-encoder score the sentences; the rules here turn scores into at most
two sentences, each rule measured on the development sets (bench/answer-quality.md).
Pure computation over sentences already read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from vectorstore.dates import RECENCY_WINDOW
from vectorstore.records import Hit, SentenceVector

from .answer_scorer import answer_scores, scorer
from .question_types import (
    Expected,
    asked_role,
    ends_with_noun,
    is_time_noun,
    named,
    place_rank,
    spans,
)
from .selector import Question, features
from .selector_weights import RANKER

MAX_ANSWER_SENTENCES = 2
# The answer scorer re-reads the feature ranker's best sentences of the top paragraph: at
# most SCORER_SHORTLIST, and only as many as hold SCORER_TOKENS tokens in all (the question
# counted in each pair), since its time grows with the tokens it reads. A long news
# paragraph's answer often lies beyond the ranker's best 8: short sentences let the
# scorer reach it, and the budget, below what 8 sentences cost the slowest twentieth of
# questions, kept the slowest answers as fast as with 8; both scorers read the same
# sentences (bench/answer-quality.md, "Two answer scorers").
SCORER_SHORTLIST = 12
SCORER_TOKENS = 500
# The runner-up sentence joins the best one when the scorers cannot tell them apart (the
# summed score, in log-odds, is this close) or when both together are still short.
# Chosen on the development sets so that answers stay no longer than before the scorer
# (with the first scorer; with both scorers' mean, answers stayed as short).
SECOND_SENTENCE_GAP = 3.0
SHORT_ANSWER_CHARS = 280
# …or when it is nearly as likely and both are still fairly short: a wider gap only for
# shorter pairs, so that answers stay about as short (bench/answer-quality.md).
NEAR_SENTENCE_GAP = 4.5
FAIRLY_SHORT_ANSWER_CHARS = 360
# A one-sentence top paragraph takes its second sentence from the next hit only when
# search scored that hit about as high (fused scores lie in 0…1).
SECOND_PARAGRAPH_GAP = 0.1
# A typed question whose top paragraph states no fact of its type at all (no reason for a
# why-question, no date for a when-question) takes one from the next paragraph of the
# same article when search scored it this close.
NEARBY_PARAGRAPH_GAP = 0.25
# Two paragraphs search can hardly tell apart (fused scores this close) each give their
# best sentence when the scorers find the second's nearly as likely to answer (within
# TIED_ANSWER_GAP log-odds): an English question finds German paragraphs less surely;
# of the English XQuAD-de answers that led with the wrong one of two such paragraphs, 11
# of 16 had the answer as the other's best sentence (bench/answer-quality.md, "Two paragraphs nearly tied").
TIED_PARAGRAPH_GAP = 0.05
TIED_ANSWER_GAP = 2.0
# Not for numbers: those are also said in words no span finds ("Er reist selten allein").
BORROWED = (Expected.PERSON, Expected.DATE, Expected.PLACE, Expected.REASON)


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


class Rescored(NamedTuple):
    """The paragraph's sentences as the answer scorers order them, and ranker + the first
    scorer's best: the score the answerability gate was fitted on and the lead rule
    (:func:`absatz.answer.answering_lead`) tuned on; on the two scorers' mean the gate
    would refuse other questions (bench/answer-quality.md, "Two answer scorers")."""

    sentences: list[Chosen]
    first_best: float


def rescored(question: str, ranked: list[Chosen]) -> Rescored:
    """The ranker's shortlist (its best sentences, as many as the scorers' token budget
    holds) re-ordered by ranker + the two scorers' mean score (each in log-odds); the
    sentences beyond it keep their order but can no longer be chosen. A lone sentence is
    scored too: the answerability gate reads its score."""
    if not ranked:
        return Rescored(ranked, -math.inf)
    texts = {c.index: c.text for c in ranked}
    shortlist = ranked[:SCORER_SHORTLIST]
    before = [texts.get(c.index - 1, "") for c in shortlist]
    alone, after = answer_scores(question, [c.text for c in shortlist], before, SCORER_TOKENS)
    shortlist, rest = ranked[: len(alone)], ranked[len(alone) :]
    read = [replace(c, score=c.score + float(a + b) / 2) for c, a, b in zip(shortlist, alone, after, strict=True)]
    ordered = sorted(read, key=lambda c: -c.score) + [replace(c, score=-math.inf) for c in rest]
    return Rescored(ordered, _best(shortlist, alone))


def tied_answer(question: str, hits: list[Hit], ranked: list[list[Chosen]]) -> Chosen | None:
    """The next paragraph's best sentence as the scorers read it, when search scored that
    paragraph nearly as high as the top one (see TIED_PARAGRAPH_GAP); otherwise the
    scorers do not read it. Not when it scored higher: then the top one leads for another
    reason (a newer report, a paragraph that answers where it did not), which a quote
    from it would undo."""
    if len(hits) < 2 or len(ranked) < 2 or not ranked[1]:
        return None
    if not 0 <= hits[0].score - hits[1].score <= TIED_PARAGRAPH_GAP:
        return None
    return rescored(question, ranked[1]).sentences[0]


def first_best(question: str, ranked: list[Chosen]) -> float:
    """:attr:`Rescored.first_best` without the context scorer's run, which it does not read."""
    if not ranked:
        return -math.inf
    shortlist = ranked[:SCORER_SHORTLIST]
    return _best(shortlist, scorer().scores(question, [c.text for c in shortlist], SCORER_TOKENS))


def _best(shortlist: list[Chosen], alone: np.ndarray) -> float:
    return max(c.score + float(a) for c, a in zip(shortlist, alone, strict=False))


def select_sentences(
    ranked: list[list[Chosen]],
    hits: list[Hit],
    limit: int = MAX_ANSWER_SENTENCES,
    question: str = "",
    kind: Expected = Expected.OTHER,
    tied: Callable[[], Chosen | None] | None = None,
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
    ``tied`` reads the best sentence of a next paragraph search could hardly tell from
    the top one (:func:`tied_answer`): when nearly as likely to answer, it is quoted in
    the runner-up's place, or beside the best sentence alone (:func:`_tied_quote`).
    Failing all of these, a best sentence alone is answered with the neighbour it is bound
    to by a word pointing back ("In dieser Hinsicht …", "Dazu gehören …"; :func:`_pointed_to`),
    and a best sentence that points back takes the one before it in the place of a
    runner-up of its paragraph not next to it.
    """
    if not ranked or not ranked[0]:
        return []
    best, *rest = ranked[0][:limit]
    chosen = [best] + [c for c in rest if _joins(best, c)]
    if not rest and len(ranked) > 1 and ranked[1] and hits[1].score >= hits[0].score - SECOND_PARAGRAPH_GAP:
        chosen.append(ranked[1][0])
    merited = [c for c in chosen if c.hit_rank == 0 and best.score - c.score <= SECOND_SENTENCE_GAP]
    announcing = next((c for c in merited if ANNOUNCES.search(c.text)), None)
    said = _sentence_at(ranked[0], announcing.index + 1) if announcing else None
    if announcing is not None and said is not None:
        # the fact is in the successor: its range comes first where the bold is looked for
        chosen = [announcing, _brought_along(said, announcing)]
    elif (before := _named_before(ranked[0], chosen, best, question, kind)) is not None:
        chosen = [best, _brought_along(before, best)]
    elif (antecedent := _antecedent(ranked[0], best, question, kind)) is not None:
        chosen = [best, _brought_along(antecedent, best)]
    elif (fact := _fact_nearby(ranked, hits, question, kind, limit)) is not None:
        chosen = [best, fact]
    elif (other := _tied_quote(tied, best, question, kind, limit)) is not None:
        chosen = [best, other]
    elif limit >= 2 and (neighbour := _pointed_to(ranked[0], chosen, best, question, kind)) is not None:
        chosen = [best, neighbour]
    return sorted(chosen, key=lambda c: (c.hit_rank, c.index))


def _named_before(
    paragraph: list[Chosen], chosen: list[Chosen], best: Chosen, question: str, kind: Expected
) -> Chosen | None:
    """For a *wer*-question whose chosen sentences name nobody and whose best one says
    "er" or "sie", the sentence before when it names someone."""
    if kind is not Expected.PERSON or not _PRONOUN.search(best.text) or any(names(c.text, question) for c in chosen):
        return None
    before = _sentence_at(paragraph, best.index - 1)
    return before if before is not None and names(before.text, question) else None


def _tied_quote(
    tied: Callable[[], Chosen | None] | None, best: Chosen, question: str, kind: Expected, limit: int
) -> Chosen | None:
    """The tied paragraph's best sentence, to quote beside the best one: not a copy of it
    (an updated report repeats its sentences), and not for a *wer*-question whose best
    sentence has a name or role already, since the bold takes a person's name over an
    organisation's wherever it stands ("Matchwinner war … Jonas Petersen" from the next
    paragraph, where "Der FC Nordheide hat … das Finale gewonnen" answers "Who won the
    cup final?"). Read only when nothing else has decided: the scorers' run costs time."""
    if tied is None or limit < 2 or (kind is Expected.PERSON and states(best.text, kind, question)):
        return None
    other = tied()
    if other is None or other.score < best.score - TIED_ANSWER_GAP or other.text == best.text:
        return None
    return other


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
    """The next hit's best sentence stating the fact asked for, when the top paragraph
    states none of its kind and that hit is another paragraph of the top article scored
    about as high: the news paragraph that reports an event is often followed by the one
    that says why ("Als Gründe nannte der Verband …") or when. The paragraph right after
    the top one goes on with its story however search scored it: "Warum sind Brötchen in
    München teurer geworden?" finds the price far above the reasons, which name neither.
    The top paragraph still leads, so the first citation stays the one search trusted most."""
    if kind not in BORROWED or limit < 2 or any(states(c.text, kind, question) for c in ranked[0]):
        return None
    if len(ranked) < 2 or len(hits) < 2 or hits[1].article_id != hits[0].article_id:
        return None
    if hits[1].score < hits[0].score - NEARBY_PARAGRAPH_GAP and hits[1].paragraph != hits[0].paragraph + 1:
        return None
    return next((c for c in ranked[1][:limit] if states(c.text, kind, question)), None)


# A person named by pronoun, as the sentence after the one naming them does.
_PRONOUN = re.compile(r"(?<!\w)(?:[Ee]r|[Ss]ie|[Hh]e|[Ss]he)(?!\w)")


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
    return _sentence_at(paragraph, best.index - 1)


# A sentence that opens by pointing back to the one before it: "In dieser Hinsicht …",
# "Dazu gehören …", "Diese nicht-marxistischen Schriftsteller …", "Als solche …". Not a
# pronoun: "Er"/"Sie"/"Es" open as many sentences that start something new, and taking
# them along answered nothing more (bench/answer-quality.md, "A sentence pointing back").
# The word after a demonstrative is kept: a time named so ("In diesem Jahr …", "Diese
# Woche …") points back to nothing.
_OPENS_POINTING_BACK = re.compile(
    r"^(?:(?:(?:In|Aus|Auf|Mit|Bei|Nach|Unter|Zu) )?(?:[Dd]ies(?:e[mnrs]?)?|[Jj]ene[mnrs]?)(?:\s+([\w-]+))?"
    r"|Als solche[mnrs]?|Dort|Deshalb|Deswegen"
    r"|Da(?:bei|durch|für|gegen|her|mit|nach|raus|rauf|rum|runter|von|zu))\b"
)


def _opens_pointing_back(sentence: str) -> bool:
    """Whether ``sentence`` opens with a word that points back to the one before it."""
    m = _OPENS_POINTING_BACK.match(sentence)
    return m is not None and not (m.group(1) and is_time_noun(m.group(1)))


def _pointed_to(
    paragraph: list[Chosen], chosen: list[Chosen], best: Chosen, question: str, kind: Expected
) -> Chosen | None:
    """The neighbour a word pointing back binds the best sentence to. For an answer of the
    best sentence alone: the next sentence when that one points back to it (it says what
    the best one leads up to: "… erschweren einem System die Funktionsfähigkeit." – "In
    dieser Hinsicht können sie als Zwangsmittel betrachtet werden."), else the one before
    when the best one points back (it says what "Dazu gehören die Themen …" belongs to).
    The best sentence is often the one that restates the question; what it is bound to is
    where the answer goes on. The bold looks in the neighbour first unless the best
    sentence states the fact asked for itself ("… am 12. März eröffnet." keeps it from
    "Dabei war die Eröffnung für 2017 geplant."). No length limit: the two are read as
    one, and answers stayed within the issue's median (bench/answer-quality.md).

    A best sentence that points back also takes the one before in the place of a
    runner-up from elsewhere in the paragraph, which would leave "Dazu kommen noch 752
    zweisprachige Wegweiser." answering with nothing for "Dazu" to mean ("In 164
    Ortschaften wurden … 453 Ortstafeln aufgestellt."). Not in the place of its successor,
    which goes on from it: replacing that one too lost an answer the successor held
    (bench/answer-quality.md, "A sentence pointing back, quoted without what it points
    to"). The bold follows the same rule; looking in the sentence before first would take
    it from more right facts than it gives."""
    before = _sentence_at(paragraph, best.index - 1) if _opens_pointing_back(best.text) else None
    if len(chosen) == 1:
        after = _sentence_at(paragraph, best.index + 1)
        neighbour = after if after is not None and _opens_pointing_back(after.text) else before
    elif all(_apart(c, best) for c in chosen[1:]):
        neighbour = before
    else:
        return None
    if neighbour is None:
        return None
    return _brought_along(neighbour, best, bold_first=not states(best.text, kind, question))


def _apart(other: Chosen, best: Chosen) -> bool:
    """Whether ``other`` is from ``best``'s paragraph but not next to it."""
    return other.hit_rank == best.hit_rank and abs(other.index - best.index) > 1


def _brought_along(sentence: Chosen, beside: Chosen, bold_first: bool = True) -> Chosen:
    """``sentence``, quoted for the sake of ``beside``, scored a hair above it (or below):
    the bold looks in the best-scored sentence first, and nothing else reads the
    difference."""
    return replace(sentence, score=math.nextafter(beside.score, math.inf if bold_first else -math.inf))


def _sentence_at(paragraph: list[Chosen], index: int) -> Chosen | None:
    return next((c for c in paragraph if c.index == index), None)


def refers_back(sentence: str, question: str) -> bool:
    """Whether ``sentence`` names the kind of thing a *welche*-question (or an English
    *which*-question, by the German noun) asks for only by a demonstrative:
    "Kohlenmonoxidvergiftungen werden mithilfe dieser Geräte behandelt" for "Welches Gerät
    wird … eingesetzt?" says what the devices do, the sentence before says which they are
    ("besondere Sauerstoffkammern"). Not "in diesem Jahr" for "In welchem Jahr …?": a
    time named so points back to nothing."""
    noun = asked_role(question)
    if noun is None or is_time_noun(noun):
        return False
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
