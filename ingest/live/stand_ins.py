"""Pages that stand in for an article: a cookie or consent notice, a "page not found".

Many news sites answer a visitor who has not agreed to tracking with a consent notice
under the article's address, and a removed article with a page that says so under status
200. Both are text, in German, and long enough to pass as an article: ingested, they are
cited in answers ("Mit Klick auf „Alle akzeptieren“ willigen Sie ein …"). They are told
apart from articles *about* cookies or missing pages by how they talk: a notice speaks
to the reader ("Sie", "you"), and both are short.
"""

from __future__ import annotations

import re

from vectorstore.text import split_sentences

# Longer than any notice seen; an article that long is read as one whatever it says.
_NOTICE_MAX_CHARS = 2000
_MISSING_MAX_CHARS = 1000

_CONSENT = re.compile(
    r"(?i)(?<!\w)(?:\w*cookies?|einwillig\w*|zustimm\w*|akzeptier\w*|widerruf\w*|tracking|consent\w*|accept\w*|"
    r"datenschutzeinstellung\w*|privacy settings|werbefrei\w*|ad-free)(?!\w)"
)
# What only a notice about the reader's data names: "zustimmen" alone may be a vote.
_DATA = re.compile(r"(?i)(?<!\w)(?:\w*cookies?|einwillig\w*|tracking|consent\w*)(?!\w)")
_READER = re.compile(r"(?<!\w)(?:Sie|Ihre[mnrs]?|Ihnen|you|your|You|Your)(?!\w)")
_MISSING = re.compile(
    r"(?i)(?:\b(?:seite|page|artikel|inhalt|beitrag|content|article)\b.{0,60}?"
    r"\b(?:nicht gefunden|not (?:be )?found|existiert nicht|gibt es nicht|nicht (?:mehr )?verfügbar|"
    r"no longer available|does not exist|doesn't exist|wurde (?:leider )?(?:entfernt|gelöscht))|"
    r"\b404\b.{0,30}\b(?:fehler|error|not found|nicht gefunden))"
)


def stand_in(title: str, paragraphs: list[str]) -> str:
    """Why the page is no article ("" when it is one)."""
    text = " ".join(paragraphs)
    if len(text) <= _NOTICE_MAX_CHARS:
        sentences = [s for p in paragraphs for s in split_sentences(p)] or paragraphs
        notice = [s for s in sentences if _CONSENT.search(s) and _READER.search(s)]
        if notice and 2 * len(notice) >= len(sentences) and any(_DATA.search(s) for s in notice):
            return "the page shows a cookie or consent notice instead of the article"
    if len(text) <= _MISSING_MAX_CHARS and (
        _MISSING.search(title) or _MISSING.search(paragraphs[0] if paragraphs else "")
    ):
        return "the page says the article was not found"
    return ""
