"""Which words of an answer state the fact asked for: the span shown in bold.

The answer quotes whole sentences, and a reader should see at a glance which part of
them answers ("**Robert Schneider** wird neuer Chefredakteur …"). :func:`spans` finds
every candidate of the kind asked for; the order here decides among them, one rule per
way a candidate turned out wrong (the side beaten for "Wer gewann?", the value a change
started from, a year for "Wie viele?"). Pure text in, a span out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from vectorstore.text import tokenize

from .question_types import (
    DATE_PIECE_AFTER,
    FIRST_NAMES,
    KIN_DE,
    KIN_EN,
    SPOKEN_NUMBERS,
    Expected,
    Span,
    asked_role,
    counts_nothing_asked,
    ends_with_noun,
    fits_measure,
    named,
    place_rank,
    spans,
)


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
    # with no clause after it ("… aus einem simplen Grund."), nor what a reason led to,
    # nor a property's measure where a count is asked (:func:`counts_nothing_asked`).
    found = [
        s
        for s in spans(text, kind, question)
        if (text[s.start - 1 : s.start] != "[" or text[s.end : s.end + 1] != "]")
        and (not prefer or place(s) < len(prefer))
        and (kind is not Expected.REASON or (" " in s.text and not consequence(s)))
        and (kind is not Expected.NUMBER or not counts_nothing_asked(question, text, s))
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
    role = asked_role(question) if kind is Expected.PERSON else None
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
