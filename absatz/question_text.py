"""What of a question as people type it in Discord is searched.

A question arrives with whatever the chat added: a pasted or masked link, a mention,
Markdown (``**wie** _weit_``, ``# heading``), caps lock. The embedder reads all of it, and on the sample corpus
"WIE WEIT FLOGEN DIE RAKETEN?" and the question followed by a link fell below the
abstention threshold (margin 0.103 and 0.100 against 0.164 for the plain question) though
the right paragraph still ranked first. The answer still shows the question as typed.
"""

from __future__ import annotations

import re

from vectorstore.text import QUESTION_WORDS

# QUESTION_WORDS: the words that ask; BM25 drops them, a remark has none
__all__ = ["QUESTION_WORDS", "search_text", "shown_text", "under_title", "without_links", "without_mentions"]

# A link, also in angle brackets (``<https://…>`` shows no preview); the punctuation
# after it is the sentence's ("…Raketen? https://x.de/a)?").
_URL = re.compile(r"<?\b(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?)\]]>?", re.IGNORECASE)
# A masked link ``[Raketen](https://…)`` reads as its text.
_MASKED = re.compile(r"\[([^\]\n]*)\]\(\s*<?(?:https?://|www\.)[^)\s]*>?\s*\)", re.IGNORECASE)
# <@123> users, <@&123> roles, <#123> channels, <:name:123> and <a:name:123> emoji, @everyone
_MENTION = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>|@everyone\b|@here\b")
# A heading's or subtext's mark at a line's start: "# Frage", "-# klein"
_HEADING = re.compile(r"^\s*(?:#{1,3}|-#)\s+", re.MULTILINE)
# Markdown's emphasis, code, strike-through, spoiler and quote marks; an underscore only
# at a word's edge (``_weit_``), not inside one (``snake_case``).
_MARKUP = re.compile(r"[*`~|>]+|(?<!\w)_+|_+(?!\w)")


def shown_text(question: str) -> str:
    """``question`` without links, mentions and heading marks (a masked link as its
    text), for a title: a title renders none of them, and shows the rest as typed
    (escaped, so Markdown shows as written)."""
    return " ".join(without_mentions(without_links(_HEADING.sub("", question))).split())


def without_links(text: str) -> str:
    """``text`` with each link left out and a masked one as its text: a link's words
    ("…/die-raketen-und-der-krieg") are no one's language."""
    return _URL.sub(" ", _MASKED.sub(r"\1", text))


def without_mentions(text: str) -> str:
    """``text`` without mentions of members, roles and channels and custom emoji: ids,
    whose digits are no words."""
    return _MENTION.sub(" ", text)


def search_text(question: str) -> str:
    """``question`` without links, mentions and Markdown marks, and lower-cased when it
    has no lower-case letter at all; the question itself when nothing else is left."""
    text = " ".join(_MARKUP.sub(" ", without_mentions(without_links(_HEADING.sub("", question)))).split())
    if not any(ch.isalnum() for ch in text):
        return question
    return text if any(ch.islower() for ch in text) else text.lower()


def under_title(question: str, title: str) -> str:
    """A question asked under a title (a forum post's): the title is part of what it asks
    ("Stadion Linz" over "Was kostet es?"), unless the question repeats it already."""
    title = title.strip()
    return f"{title} {question}".strip() if title and not question.startswith(title) else question
