"""Which language an extracted article is written in, cheaply and without a model.

Counting the most frequent function words of each language is enough to tell a German
or English news text from a French or Spanish one; the page's ``lang`` attribute decides
when the text alone is too short or too mixed to say.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# The most frequent function words, chosen so that few are shared between languages.
STOPWORDS: dict[str, frozenset[str]] = {
    "de": frozenset(
        "der die das und ist nicht ein eine einen dem den des sich auch noch über nach bei "
        "wurde wurden werden sind hat haben mit für auf aus zu im vom zum zur dass sie er es "
        "wie oder aber nur als am".split()
    ),
    "en": frozenset(
        "the and is are was were of to with on for from by at it this that which has have "
        "had been would will said its their they he she be not an or but as".split()
    ),
    "fr": frozenset(
        "le la les et est des du une un dans pour que qui sur pas avec au aux ce cette sont "
        "été il elle ont par plus ses leur mais comme".split()
    ),
    "es": frozenset(
        "el la los las y es del una un en por que con para se su sus al lo como más pero "
        "fue ha son está este esta".split()
    ),
    "it": frozenset(
        "il lo la gli le e è di del della che per con una un non sono nel nella alla dei "
        "delle anche più ha come ma".split()
    ),
    "nl": frozenset(
        "de het een en is van dat die niet zijn op te met voor ook aan er maar door bij "
        "werd worden heeft hebben naar om".split()
    ),
    "pt": frozenset(
        "o a os as e é do da dos das um uma em no na que com para por não se mais foi são ao pela pelo como mas".split()
    ),
    "pl": frozenset(
        "i w na z się nie do że jest to jak o od po przez dla ale czy jego jej są był była być tym także oraz".split()
    ),
    "tr": frozenset("ve bir bu da de için ile olarak olan çok daha gibi ama en ki ne mi ya sonra kadar göre".split()),
    "sv": frozenset(
        "och att det som en på är av för med till den har inte om ett var de sig men från vid kan också".split()
    ),
}

NAMES = {
    "de": "German",
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "pl": "Polish",
    "tr": "Turkish",
    "sv": "Swedish",
}

MIN_HITS = 8  # below this many function words the text says too little
# Every German 10kGNAD article is told by its first 500 characters; a text twice as long
# that none of the lists above names is in another language, not too short to tell.
TELLING_CHARS = 1000
TABLE_DIGITS = 0.03  # a share of digits above which a text without function words is a table, not prose


def detect_language(text: str, declared: str = "") -> str:
    """ISO 639-1 code of ``text``'s language, the ``declared`` one if the text is unclear,
    or ``""`` when neither says.

    The winner must lead clearly (1.5 × the runner-up), which keeps German and Dutch, or
    Spanish and Portuguese, from being confused on short texts.
    """
    (best, code), (second, _) = _scores(text)[:2]
    if best >= MIN_HITS and best >= 1.5 * second:
        return code
    return declared_language(declared)


def _scores(text: str) -> list[tuple[int, str]]:
    """Function words of each language in ``text``, the most first."""
    words = _WORD.findall(text[:20000].lower())
    return sorted(((sum(w in stop for w in words), code) for code, stop in STOPWORDS.items()), reverse=True)


def none_of_these(text: str, accepted: Iterable[str]) -> bool:
    """Whether a text :func:`detect_language` could not name is surely in none of the
    ``accepted`` languages. Only said when all of them are languages it knows (all written
    in the Latin script): the text is written mostly in other letters (Cyrillic, Chinese,
    Arabic, …), or it is long enough that any of them would have shown its function words
    and holds few digits (a results table or a ticker shows none either).
    A short Latin text without a ``lang`` stays undecided, as German news briefs can be,
    and so does a text that mixes two known languages too evenly to name one."""
    if not set(accepted) <= STOPWORDS.keys():
        return False
    sample = text[:20000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return False
    latin = sum(c.isascii() or unicodedata.name(c, "").startswith("LATIN") for c in letters)
    if latin < len(letters) / 2:
        return True
    digits = sum(c.isdigit() for c in sample)
    return (
        len(text) >= TELLING_CHARS
        and digits < TABLE_DIGITS * (digits + len(letters))
        and _scores(text)[0][0] < MIN_HITS
    )


def declared_language(value: str) -> str:
    """``de-DE`` → ``de``; anything that is not a language tag → ``""``."""
    m = re.match(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*\s*$", value or "")
    return m.group(1).lower() if m else ""


def language_name(code: str) -> str:
    return NAMES.get(code, code or "an unknown language")
