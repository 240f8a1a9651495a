"""Text helpers every layer shares — sentence splitting, the BM25 tokenizer, shortening
for display — so ingest, search, answers and the front ends cut text the same way.

They live in the bottom layer (``vectorstore``) because every other layer may import it.

Sentences matter in front of users: citations quote one sentence verbatim, so a wrong
split shows. Abbreviations (``z. B.``, ``Dr.``), ordinals in dates (``13. September``)
and initials must not end a sentence.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import bm25s
import Stemmer

_ABBREVIATIONS = frozenset(
    """
    abb abs abt al allg anm bd bspw bzgl bzw ca chr co dipl dr dt ebd ehem eigtl engl etc ev evtl
    frl geb gebr gegr gest ggf hl hr hrsg inkl insb ital jh jr kap kath lt max mex min mio mrd nr nrn
    od orig österr pkt prof rd resp s sen sog st std str tel usw v.chr
    verh vgl vs wr zt zzgl mr mrs ms no vol fig approx dept est inc ltd corp
    jan feb mär apr jun jul aug sep sept okt nov dez
    abg tsd univ
    """.split()
)
# Parts of academic titles: abbreviations only after another abbreviation ("Dr. med.",
# "Dr. rer. nat.", "Dipl.-Ing."), for "EM.", "ING." and "was er mag." end sentences.
_TITLE_PARTS = frozenset("med phil rer nat pol jur habil dent vet theol oec ing mag".split())

# Single letters with periods between them: "z. B." written "z.B.", "u.a.", "U.S.", "i.e."
_DOTTED_LETTERS = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_OPENING = "(\"'»«“„["

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"""[.!?…]+["'»«“”‘’)\]]*\s+""")
_NEXT_WORD = re.compile(r"\S+")


def _last_word(text: str, start: int, end: int) -> str:
    """What decides whether a period ends ``text[start:end]``: its last word, without the
    brackets or quotes that open it (``(8.`` → ``8.``, ``(geb.`` → ``geb.``).

    Read backwards from ``end`` rather than by splitting the chunk, so a paragraph with
    many rejected boundaries (abbreviations, lower-case continuations) stays linear.
    """
    while end > start and text[end - 1].isspace():
        end -= 1
    i = end
    while i > start and not text[i - 1].isspace():
        i -= 1
    return text[i:end].lstrip(_OPENING)


def _word_before(text: str, start: int, end: int) -> str:
    """The word before :func:`_last_word`'s, read backwards the same way."""
    while end > start and text[end - 1].isspace():
        end -= 1
    while end > start and not text[end - 1].isspace():
        end -= 1
    return _last_word(text, start, end)


def _is_abbreviation(word: str, previous: str = "") -> bool:
    """``previous``: the word before, which lets a title's part be one ("Dr. med.")."""
    word = word.lower()
    if not word.endswith("."):
        return False
    stem = word[:-1]
    if len(stem) == 1 and stem.isalpha():  # initials: "Kim J. Un", "s."
        return True
    # a compound's last part decides: "ATP-Nr.", "Ex-Abg.", "Dipl.-Ing."
    first, _, last = stem.rpartition("-")
    if last in _TITLE_PARTS:
        before = (first or previous).lower()
        return before.endswith(".") and (_is_abbreviation(before) or before[:-1] in _TITLE_PARTS)
    return last in _ABBREVIATIONS or _DOTTED_LETTERS.fullmatch(stem) is not None


# Words that start a sentence but never follow an ordinal ("am 13. September" but
# "…bei Hannover 96. Der Trainer…").
_SENTENCE_STARTS = frozenset(
    """
    der die das den dem des ein eine einen einem einer er sie es wir ich man im in am auf nach bei mit von vor
    für auch doch aber und damit dabei dort so zudem außerdem allerdings seit bis wie was wer wo wann warum
    dies diese dieser dieses jetzt nun heute zuvor danach dann daher deshalb trotzdem the a an it this he she
    they we
    """.split()
)


# A Roman number of two letters or more (one letter is an initial already): before a
# bracket or a number it is regnal ("Queen Elizabeth II. (89)"); otherwise it ends
# sentences as often ("… beziehen Hartz IV. Viele …", "… in Phase III. Ergebnisse …").
_ROMAN = re.compile(r"[IVX]{2,6}")


def _is_ordinal(word: str, next_word: str) -> bool:
    """German writes ordinals with a period: ``am 13. September``, ``in der 23. Minute``,
    also in brackets: ``in Schweden (8. September)``; and regnal numbers before a
    bracket or number: ``Queen Elizabeth II. (89)``.

    Years (four digits) do end sentences: ``im Jahr 2019. Auch damals…``, and so does a
    number followed by a word no ordinal is followed by: ``Hannover 96. Der Trainer…``.
    """
    number = word[:-1]
    if word.endswith(".") and _ROMAN.fullmatch(number):
        return next_word[:1] == "(" or next_word[:1].isdigit()
    return (
        word.endswith(".")
        and number.isdigit()
        and len(word) <= 4
        and next_word.lower().strip("\"'»«“„(") not in _SENTENCE_STARTS
    )


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences whose concatenation (joined by spaces) is the text.

    Each returned sentence is a verbatim substring of ``text``.
    """
    text = text.strip()
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if end >= len(text):
            break
        first = text[end]
        if not (first.isupper() or first.isdigit() or first in "\"'»«“„([-–"):
            continue
        word = _last_word(text, start, end)
        following = _NEXT_WORD.match(text, end)  # always: the boundary ate every space
        next_word = following.group() if following else ""
        if word.endswith(".") and (
            _is_abbreviation(word, _word_before(text, start, end)) or _is_ordinal(word, next_word)
        ):
            continue
        sentences.append(text[start:end].rstrip())
        start = end
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_stemmer = Stemmer.Stemmer("german")
_stemmer_lock = threading.Lock()
_STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_GERMAN) | frozenset(bm25s.stopwords.STOPWORDS_EN)


# The words that make a sentence a question. In a query they ask, in a text they join a
# clause ("Wer der Gegner sein wird, entscheidet die Auslosung"): matched by BM25, they
# put that short paragraph first for "Wer hat das Pokalfinale gewonnen?". bm25s's stop
# words hold "was" and "wie" but not these.
QUESTION_WORDS = frozenset(
    "wer wen wem wessen was wann wo woher wohin wozu womit wofür wodurch worüber wovon woran worauf wie wieso "
    "wieviel wieviele warum weshalb weswegen welche welcher welches welchen welchem "
    "who whom whose what when where which why how".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case words, German stop words dropped, Snowball-stemmed; composed first (NFC):
    a decomposed "ü" is two characters, and the word was cut at the second."""
    return _stems([w for w in _TOKEN.findall(composed(text).lower()) if w not in _STOPWORDS])


def query_terms(question: str) -> list[str]:
    """:func:`tokenize` for a question: its question words are dropped too."""
    words = _TOKEN.findall(composed(question).lower())
    return _stems([w for w in words if w not in _STOPWORDS and w not in QUESTION_WORDS])


def composed(text: str) -> str:
    """``text`` in NFC. Text copied on macOS often comes decomposed ("u" + combining
    diaeresis for "ü"): the quote looks the same, but the word splitter cut "Schönhüber"
    into pieces, so keyword search missed every word with an umlaut."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _stems(words: list[str]) -> list[str]:
    with _stemmer_lock:  # PyStemmer objects are not thread-safe
        stems: list[str] = _stemmer.stemWords(words)
    return stems


def without_controls(text: str) -> str:
    """``text`` with control characters as spaces: they are no words, the embedder stops
    reading at a NUL, and a terminal obeys the rest. Tabs and line ends stay, for
    whitespace splitting to read."""
    return _CONTROLS.sub(" ", text)


_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def without_bidi(text: str) -> str:
    """``text`` without the characters that set the direction of the text after them
    (embeddings, overrides, isolates, marks). Shown on one line with other text, an
    article's unclosed RIGHT-TO-LEFT OVERRIDE reversed what followed it: another article's
    sentence and the citation markers ("65" read "56"). For display and for matching what
    was displayed; the stored text keeps them."""
    return text.translate(_BIDI)


_BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def one_line(text: str) -> str:
    """What a person typed, as one line of words: no control characters, one space between words."""
    return " ".join(without_controls(text).split())


def shorten(text: str, limit: int) -> str:
    """Cut ``text`` at a word boundary so it fits ``limit`` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    if limit < 2:  # no room for a word: a negative slice would keep most of the text
        return "…"[: max(limit, 0)]
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–") + "…"
