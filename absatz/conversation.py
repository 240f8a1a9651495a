"""Which search answers a message in a conversation, and when the message is not about it.

A thread's next message is a follow-up ("Und wie viele Betriebe gibt es?"), a new
question ("Wer hat das Pokalfinale gewonnen?") or no question to the corpus at all
("Warum gähnt man eigentlich?"). Without an LLM to condense it, absatz searches the
message both with the conversation's questions and alone, and these rules decide which
search answers, and which answer to refuse: pure functions of the two searches and of
the paragraphs cited.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from vectorstore.dates import RECENCY_WINDOW
from vectorstore.filters import Filter
from vectorstore.search import SearchResult
from vectorstore.text import query_terms, tokenize
from vectorstore.vectors import VectorIndex

from .language import detect_language, opens_sentence
from .question_text import QUESTION_WORDS
from .question_types import named_subjects, new_things
from .small_talk import asks_about_now, has_pronoun, points_back, points_back_by_article

if TYPE_CHECKING:
    from .answer import Citation

# A conversation's article this far down the question's own ranking (in articles; a
# tenth of a smaller corpus) is not what the question asks about; a question with this
# many content words carries a subject of its own (English one more: its stop-word list
# is short, "do", "from", "just" count). Measured on 343 news articles with
# bench/data/followup-questions.jsonl (80 follow-ups) and switch-questions.jsonl (60 new
# questions about articles not indexed): they catch 52 / 50 of the 60 in German /
# English, and 0 / 1 of the 80 follow-ups.
FAR_ARTICLES = 20
SELF_CONTAINED_TERMS = 5
# "Und warum …?", "and where …": a message that goes on from the last one is a follow-up
# (75 of the 160 follow-ups open so, none of the 120 new questions).
GOES_ON = re.compile(r"^\W*(?:und|and|aber|but|oder|or|also|so)\b", re.IGNORECASE)

# A follow-up this short that neither has a question mark nor a question word is said to
# the people in the thread ("danke!", "ok", "super, danke", 👍), not asked: the thread's
# earlier questions are then the whole query, and the answer would repeat the last one.
REMARK_WORDS = 3
QUESTION_WORD = re.compile(rf"\b(?:{'|'.join(sorted(QUESTION_WORDS))})\b", re.IGNORECASE)

# "Und in Berlin", "and for children", "und die Kosten": a follow-up that goes on with a
# preposition or an article continues the last question, without a question mark too
# ("und danke!", "und tschüss" do not).
CONTINUES = re.compile(
    r"^\W*(?:und|and|aber|but|oder|or|auch|sowie)\s+(?:in|im|ins|am|an|auf|aus|bei|beim|für|mit|nach|ohne|seit|ab|"
    r"vor|zu|zum|zur|über|unter|gegen|um|bis|der|die|das|den|dem|des|at|on|with|about|from|to|during|since|the)\b",
    re.IGNORECASE,
)


def is_remark(text: str) -> bool:
    """A follow-up that asks nothing (see ``REMARK_WORDS``); "Und wie lang?" and "Und in
    Berlin" still ask."""
    asks = "?" in text or QUESTION_WORD.search(text) or CONTINUES.match(text)
    return not asks and len(text.split()) <= REMARK_WORDS


_RANKED_PASSAGES = 400  # deep enough to hold FAR_ARTICLES articles
# A message far from the conversation's article, with no pronoun for it, is a follow-up
# only if the paragraph its answer cites first holds a sentence that the ranker and the
# first answer scorer together (log-odds) score at least this high as an answer. On the
# development index's conversations (bench/data/followup-,
# offtopic- and switch-questions.jsonl) such follow-ups answered right score 3.6 and
# more (English 5.0), everyday messages answered from the conversation's article 2.4
# and less, except "Wer hat die Mona Lisa gemalt?" and the light bulb's inventor (3.9
# to 5.5): between the two.
STRAY_SCORE = 3.0
# The scorers read an English question against German sentences and score its answer
# higher than the German version's: by a median 1.4 log-odds over the 199 news
# development and validation questions answered with their fact in both languages
# (asked alone; bench/score_shift.py). An English message's cut sits as much higher,
# the same cut on its scale.
ENGLISH_SCORE_SHIFT = 1.4
# A message near the conversation's article that stands no pronoun and points back with
# no other word (a German article before what it names aside) is a follow-up only if a
# sentence of the paragraph cited first reads at least as likely an answer as not
# (log-odds 0; English ENGLISH_SCORE_SHIFT higher): the scorers' even odds, not a cut
# fitted on the thread sets. Of the German messages so answered from the conversation's
# article, everyday ones scored -3.3 to 3.6 ("wurzel aus 144?" -1.1), follow-ups
# answered right -1.4 ("warum regen sich die vermarkter gerade so auf?") and from 2.0
# on.
NEAR_STRAY_SCORE = 0.0


def carries_its_subject(question: str) -> bool:
    """A message that does not go on from the last one and says enough to need nothing
    from the conversation."""
    if GOES_ON.match(question):
        return False
    return len(query_terms(question)) >= SELF_CONTAINED_TERMS + (detect_language(question) == "en")


# A follow-up is read with this many earlier questions: its conversation's latest.
FOLLOW_UP_TURNS = 3


def follow_up_context(earlier: Sequence[str], opening: str = "") -> list[str]:
    """The earlier questions a follow-up is read with, oldest first: the latest
    :data:`FOLLOW_UP_TURNS`, and the question that opened the conversation however many
    came after it (the fourth follow-up in a row, "Und wie viele Betriebe gibt es?" after
    the price of a roll, had lost it and was refused). Which of them it goes on from is
    :func:`current_subject`'s to say."""
    recent = list(earlier[-FOLLOW_UP_TURNS:])
    if opening and opening not in recent:
        recent = [opening, *recent[1:]] if len(recent) == FOLLOW_UP_TURNS else [opening, *recent]
    return recent


def refers_back(message: str) -> bool:
    """Whether ``message`` reads as a follow-up wherever it is asked: it goes on from the
    conversation ("Und in welche Richtung?", "Wie viele Zuschauer waren da?"), with any
    article counting as pointing back, or names nothing of its own ("Warum?"). A direct
    message is one conversation over days; only such a message is read with the ones
    before it, and whether "Wann war das Spiel?" was about them is the conversation's
    search to tell, so its naming article still lets them in."""
    return goes_on_from_it(message, None) or not query_terms(message)


def points_back_in(message: str, language: str | None) -> bool:
    """Whether ``message`` points back to what was said; a German one (``language`` "de")
    whose only pointers are definite articles before what they name does not (see
    :func:`strays`). Any other, or one whose language is not read, points back with any."""
    return points_back(message) and (language != "de" or not points_back_by_article(message))


def goes_on_from_it(message: str, language: str | None) -> bool:
    """Whether ``message`` plainly continues the conversation: it goes on from the last
    message, stands a pronoun for what was said or points back to it ("Wer kritisiert
    das?"), as "kann mir wer abseits beim fußball erklären" after the cup final does not."""
    return bool(GOES_ON.match(message)) or has_pronoun(message) or points_back_in(message, language)


def current_subject(
    history: Sequence[str], search: Callable[[str], SearchResult], where: Filter | None = None
) -> list[str]:
    """The earlier questions a follow-up goes on from: the newest that opened a subject of
    its own and those after it. Joined with every earlier one, the thread's first subject
    had outweighed a newer one: after the price of a roll and then "Wer hat das
    Pokalfinale gewonnen?", "Und wie hoch war die Prämie?" had been answered with the
    price. A question opened a subject when the rules that answered it took it as asked
    alone (:func:`stands_alone`), or when its own best article, another than the one
    before it, led the search with the conversation too. ``search`` searches a text as a
    question (each text once: the turns before one are the next one's conversation)."""
    search = functools.cache(search)
    for i in range(len(history) - 1, 0, -1):
        turn = history[i]
        if GOES_ON.match(turn):
            continue
        alone = search(turn)
        if not alone.hits or alone.evidence < alone.threshold:  # it found nothing of its own
            continue
        joined = search(" ".join(history[: i + 1]))
        if joined.evidence < joined.threshold:
            new = carries_its_subject(turn)
        elif stands_alone(turn, joined, alone, far_from(joined, alone, where)):
            new = True
        else:
            mine = alone.hits[0].article_id
            before = search(" ".join(history[:i])).hits
            new = joined.hits[0].article_id == mine and bool(before) and before[0].article_id != mine
        if new:
            return list(history[i:])
    return list(history)


def stands_alone(question: str, conversation: SearchResult, alone: SearchResult, far: bool) -> bool:
    """A new question in a conversation, not a follow-up, answered as if asked alone.

    One that says enough to carry its subject, when the conversation's article is far
    down its own ranking or its own search finds the article the search with the
    conversation ranks first: joined with the conversation's questions, it found their
    subject's articles too ("Was war der Grund, dass Ai Weiwei so überraschend nach China
    zurückgekehrt ist?" after PSG against Chelsea was refused for the football). Or one,
    far from the conversation's article, that is answered alone, from another article,
    about something the conversation's article does not mention. "Wer hat das
    Pokalfinale gewonnen?" in a thread on the price of a roll had been answered with the
    price, and a question about what the corpus does not hold with the conversation's
    article; "Und wie viele Betriebe gibt es?" stays a follow-up. ``far``:
    :func:`far_from` of the two. And one that asks the time or the weather
    (:func:`~absatz.small_talk.asks_about_now`): "wie spät ist es" after a footballer's
    goals had been answered with his goals."""
    if not conversation.hits:
        return False
    if not GOES_ON.match(question) and asks_about_now(question):
        return True
    top = conversation.hits[0].article_id
    found = bool(alone.hits) and alone.evidence >= alone.threshold
    if carries_its_subject(question) and (far or (found and alone.hits[0].article_id == top)):
        return True
    if GOES_ON.match(question) or not far or not found or alone.hits[0].article_id == top:
        return False
    said = " ".join(f"{h.meta.title} {h.heading} {h.passage}" for h in conversation.hits if h.article_id == top)
    stems = set(tokenize(said))
    return any(term not in stems for term in query_terms(question))


def strays(
    message: str, far: bool, cited: Sequence[Citation], scored: float, idf: Callable[[str], float], language: str
) -> bool:
    """A message in a conversation that is not about it. Not one going on from the last
    message, nor one asking a single word ("Wer hat gewonnen?" is a follow-up wherever
    its own search leads).

    Near the conversation's article (``far`` false), however much it says: one that
    stands no pronoun, points back with nothing but a naming article, and in whose
    paragraph cited first no sentence reads even as likely an answer as not (``scored``,
    ranker + the first answer scorer's best, below :data:`NEAR_STRAY_SCORE`, an English
    message's :data:`ENGLISH_SCORE_SHIFT` higher): "wurzel aus 144?" and "kann mir wer
    abseits beim fußball erklären, checks einfach nie" had been answered from the
    conversation's article.

    Far from it, a short one (not carrying its own subject) that either points back to
    nothing and uses no word of the paragraphs cited (in none of its stemmed forms, nor
    as a compound's part: :func:`_same_stem`), or stands no pronoun for what was said
    while no sentence of the paragraph cited first reads as an answer (``scored`` below
    :data:`STRAY_SCORE`, English shifted as above) or while it names what no article
    does (:func:`names_the_unknown`): an article or a shared word is no sign of a
    follow-up. "Warum gähnt man eigentlich?" and "How fast is a cheetah?" had been
    answered with the goals of the conversation's footballer, "Warum ist der Himmel
    blau?", whose article reads as pointing back, with the aid for a flooded US state,
    and "Wer hat die Mona Lisa gemalt?" with a name from the conversation's article.

    A German message whose only pointers are definite articles before what they name
    (:func:`~absatz.small_talk.points_back_by_article`) points back to nothing:
    "wer hat das telefon erfunden" and "wann war nochmal die französische revolution"
    (scored 5.8 and 7.3) had been answered from a police report and a mayor's
    successor, while "aus welchen konzernen ist die firma entstanden?" finds its
    "Konzern" in the paragraph. An English message's words are not the German
    paragraph's, so its article still points back, and its "am" is no German
    contraction ("who am i talking to"). ``far``: :func:`far_from` of the conversation's
    search and the message's own; ``idf``: the corpus's weight of a stemmed word (0 for
    one it never uses); ``language``: the message's, or the conversation's where its
    words do not say ("whats their stadium called" ties)."""
    if GOES_ON.match(message):
        return False
    terms = query_terms(message)
    if len(terms) < 2:
        return False
    shift = ENGLISH_SCORE_SHIFT if language == "en" else 0.0
    pronoun = has_pronoun(message)
    points = points_back_in(message, language)
    if not far:
        return not pronoun and not points and scored < NEAR_STRAY_SCORE + shift
    if carries_its_subject(message):
        return False
    if not pronoun and (scored < STRAY_SCORE + shift or names_the_unknown(message, idf)):
        return True
    if points:
        return False
    said = set(tokenize(" ".join(f"{c.title} {c.heading} {c.text}" for c in cited)))
    return not any(_same_stem(term, word) for term in terms for word in said)


# What the stemmer leaves of an ending after a four-letter stem: "konz" + "ern".
_ENDINGS = frozenset({"", "e", "en", "er", "ern", "es", "s", "n", "em", "ens"})


def _same_stem(a: str, b: str) -> bool:
    """Whether two stemmed words are one word's, or one a compound of the other: the
    stemmer cuts "Konzern" to "konz" but "Konzernen" to "konzern"; a "forscherteam" holds
    its "Forscher", a "Cheftrainer" its "Trainer" (and "Beispiel" its "Spiel": a loose
    match only keeps a message in the conversation). A four-letter stem needs an ending
    after it, not a word ("mona" is no "monat", "euro" no "europa"), and a shorter one
    the whole word: stricter than :mod:`absatz.llm`'s check that a written answer's
    words stand in its sources, which takes any four letters inside another word."""
    short, long = sorted((a, b), key=len)
    if len(short) >= 5:
        return long.startswith(short) or long.endswith(short)
    if len(short) == 4:
        return long.startswith(short) and long[4:] in _ENDINGS
    return short == long


def names_the_unknown(message: str, idf: Callable[[str], float]) -> bool:
    """Whether a word capitalised inside a sentence (a German noun, a name) is one the
    corpus never uses, nor without a genitive's "s" ("Renzis"). A follow-up's "die
    Firma" points back to what the conversation's article tells in its own words; "die
    Mona Lisa", "die Glühbirne", "Lufthansa" name things no article does, so a message
    far from the conversation asks about them, not about it. Lower case says nothing:
    "daheim" is no noun, and an English message's words are ones a German corpus never
    uses. An English name for a German place ("Cologne") is unknown too, but a follow-up
    about the conversation's Köln finds its article near, not far.
    :func:`~absatz.question_types.new_things` is no help here: it passes over "die Mona
    Lisa" as pointing back."""

    def known(word: str) -> bool:
        return any(idf(term) > 0 for form in {word, word.removesuffix("s")} for term in query_terms(form))

    for i, m in enumerate(re.finditer(r"[\w-]+", message)):
        word = m.group(0)
        if i and word[0].isupper() and not opens_sentence(message, m.start()) and query_terms(word) and not known(word):
            return True
    return False


def far_from(conversation: SearchResult, alone: SearchResult, where: Filter | None = None) -> bool:
    """Whether the conversation's best article is far down the message's own ranking of
    the articles (in the slice ``where``)."""
    if not conversation.hits or alone.index is None:
        return False
    vectors = alone.index.vectors
    allowed = where.passages(vectors) if where is not None else None
    ranked = _ranked_articles(vectors, alone.ranking_vector, allowed)
    articles = (
        int(vectors.live_articles().sum())
        if allowed is None
        else int(np.unique(vectors.passage_article()[allowed]).size)
    )
    return vectors.article_row(conversation.hits[0].article_id) not in ranked[: min(FAR_ARTICLES, articles // 10) + 1]


def _ranked_articles(vectors: VectorIndex, qvec: np.ndarray, allowed: np.ndarray | None) -> list[int]:
    """The article rows of the passages nearest ``qvec`` (among ``allowed``), best first."""
    rows, _ = vectors.passage_top(qvec, _RANKED_PASSAGES, allowed)
    return list(dict.fromkeys(vectors.passage_article()[rows].tolist()))


def follow_up_result(conversation: SearchResult, alone: SearchResult, goes_on: bool) -> SearchResult:
    """A follow-up is searched with the conversation's questions, which find its subject,
    and alone, which finds what it asks of that subject: "Und wie viele Betriebe gibt
    es?" after the price of a roll is answered by the paragraph on the bakeries, not by
    the price again. The search alone orders the paragraphs when its best is of the
    article the conversation found best; whether the corpus answers at all stays the
    conversation's call (a follow-up alone says too little to judge), and so are the
    articles cited: the hits alone of articles the conversation did not find about as
    well as its best give way to the conversation's. "how much prize money was there?"
    after the cup final had cited the price of a roll, the conversation's weak fifth hit,
    first. A follow-up of question words alone ("Und warum?") says nothing its search
    could order by: the conversation's order stands (it had led with the paragraph that
    happened to say "deshalb"). When the search alone leads with another article, it
    still orders the paragraphs of the conversation's best if the message ``goes_on``
    from it (:func:`goes_on_from_it`): after "Ab wann gilt Tempo 30 in Köln?", "Wer
    kritisiert das?" finds the critics of other articles first and Cologne's third,
    which names them, where the conversation's order had quoted the decision again. A
    message that names its own subject is judged on the conversation's order, as
    before: "kann mir wer abseits beim fußball erklären" is no question its best
    paragraph on the cup final answers, and is refused (:func:`strays`)."""
    if not alone.hits or not conversation.hits or not query_terms(alone.query):
        return conversation
    top = conversation.hits[0]
    if alone.hits[0].article_id == top.article_id:
        found = {h.article_id for h in conversation.hits if h.score >= top.score - RECENCY_WINDOW}
        mine = [h for h in alone.hits if h.article_id in found]
    else:
        mine = [h for h in alone.hits if h.article_id == top.article_id]
        if not goes_on or not mine or mine[0].para_id == top.para_id:
            return conversation
    taken = {h.para_id for h in mine}
    hits = (mine + [h for h in conversation.hits if h.para_id not in taken])[: len(conversation.hits)]
    return replace(alone, hits=hits, evidence=conversation.evidence, background=conversation.background)


def swapped_subject(
    follow_up: str, citations: Sequence[Citation], language: str, idf: Callable[[str], float]
) -> str | None:
    """The name a follow-up asks about ("Und in Berlin?"), or the thing a short German
    message that neither goes on from the last one nor has a pronoun for it names as new
    ("Was kostet ein Kaffee?", not "Warum sind Umweltschützer dagegen?"), that no cited
    paragraph holds. The conversation's subject decides a follow-up's search, so after
    the price of a roll in Munich it found Munich's price again, which answers a question
    nobody asked, and gave it for coffee and petrol too.
    An English name the corpus never uses may be its German one's exonym ("Munich"). A
    name is held in a derived form too: "Bayerische Bäckereien" are in Bavaria."""
    cited = " ".join(f"{c.title} {c.heading} {c.dateline} {c.text}" for c in citations).lower()
    stems, words = set(tokenize(cited)), set(re.findall(r"\w+", cited))

    def held(word: str) -> bool:
        root = word.lower().removesuffix("n")
        return set(query_terms(word)) <= stems or (len(root) >= 4 and any(w.startswith(root) for w in words))

    asked = named_subjects(follow_up)
    if (
        not carries_its_subject(follow_up)
        and not GOES_ON.match(follow_up)
        and not has_pronoun(follow_up)
        and detect_language(follow_up) == "de"
    ):
        asked += new_things(follow_up)
    for name in dict.fromkeys(asked):
        terms = query_terms(name)
        if not terms or all(map(held, name.split())):
            continue
        if language == "en" and not any(idf(term) > 0 for term in terms):
            continue
        return name
    return None
