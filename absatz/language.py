"""Is a question German or English? Decides the language of fixed texts in replies."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .question_text import without_links

WORD_PATTERN = re.compile(r"[A-Za-zÄÖÜäöüß]+")
_UMLAUT = frozenset("äöüßÄÖÜ")
_DE = frozenset(
    "der die das und ist nicht ein eine einen wie was wer wo wann warum welche welcher welches "
    "hat haben wurde wurden sind im in zu mit von auf für den dem des sich auch noch über nach "
    "bei aus wieviel wieviele viele gibt es kann können ich du sie er".split()
)
_EN = frozenset(
    "the and is are was were what who where when why which how does did do of in to with on for "
    "from by at it this that a an many much has have there can i you he she they".split()
)


def opens_sentence(text: str, start: int) -> bool:
    """Whether the word at ``start`` follows a sentence's end (``.?!:`` and spaces): read
    backwards over the spaces only, since searching the text before each word took
    seconds for a pasted page."""
    i = start - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return i >= 0 and text[i] in ".?!:"


def evidence(text: str) -> tuple[int, int]:
    """How German and how English ``text`` reads: (German, English) function-word counts,
    each word with an umlaut or ß counting once more for German.

    Once per word, not twice per letter: English questions name Stöger, Böhmermann and
    the ÖVP-FPÖ government, and counting letters made 33 of the 3,700 English development
    questions German (11 per word: mostly German titles such as "Morgen hör ich auf").
    A function word capitalised inside a sentence is part of a name ("Doctor Who", "Der
    Auftrag") and does not count: "Was dachte Doctor Who 2005 …" had read as English.
    A link's words do not count either: an English question with a tagesschau.de link
    had been answered in German."""
    text = without_links(text)
    words = [
        m.group(0).lower()
        for i, m in enumerate(WORD_PATTERN.finditer(text))
        if i == 0 or not m.group(0)[0].isupper() or opens_sentence(text, m.start())
    ]
    # a run of word characters holding an umlaut counts once (a regex that backtracked
    # through every run took minutes on a 200 kB word)
    de = sum(w in _DE for w in words) + sum(not _UMLAUT.isdisjoint(w) for w in re.findall(r"\w+", text))
    en = sum(w in _EN for w in words)
    return de, en


def detect_language(text: str) -> str:
    """``"de"`` or ``"en"``: German unless the text reads clearly English.

    German is the corpus's language, so it wins ties (and umlauts decide short texts).
    """
    de, en = evidence(text)
    return "en" if en > de else "de"


def language_or(text: str, fallback: str) -> str:
    """``text``'s language when its words say, else ``fallback``: keywords ("bread roll")
    hold no function word, and German winning the tie would answer them in German."""
    de, en = evidence(text)
    return fallback if de == en else detect_language(text)


def conversation_language(question: str, history: Sequence[str] = (), reader: str = "de") -> str:
    """A question's language: its own when its words say, else the conversation's
    ("Capacity?" after English questions is English, not German by the tie), else the
    reader's (an English client asking "bread roll price")."""
    return language_or(question, language_or(" ".join(history), reader))
