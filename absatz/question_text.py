"""What of a question as people type it in Discord is searched.

A question arrives with whatever the chat added: a pasted link, a mention, Markdown
(``**wie** _weit_``), caps lock. The embedder reads all of it, and on the sample corpus
"WIE WEIT FLOGEN DIE RAKETEN?" and the question followed by a link fell below the
abstention threshold (margin 0.103 and 0.100 against 0.164 for the plain question) though
the right paragraph still ranked first. The answer still shows the question as typed.
"""

from __future__ import annotations

import re

_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# <@123> users, <@&123> roles, <#123> channels, <:name:123> and <a:name:123> emoji
_MENTION = re.compile(r"<(?:@[!&]?|#|a?:\w+:)\d+>")
# Markdown's emphasis, code, strike-through, spoiler and quote marks; an underscore only
# at a word's edge (``_weit_``), not inside one (``snake_case``).
_MARKUP = re.compile(r"[*`~|>]+|(?<!\w)_+|_+(?!\w)")


def shown_text(question: str) -> str:
    """``question`` without links and mentions, for a title: a title renders neither, and
    shows the rest as typed (escaped, so Markdown shows as written)."""
    text = " ".join(_MENTION.sub(" ", _URL.sub(" ", question)).split())
    return text or question


def search_text(question: str) -> str:
    """``question`` without links, mentions and Markdown marks, and lower-cased when it
    has no lower-case letter at all; the question itself when nothing else is left."""
    text = " ".join(_MARKUP.sub(" ", _MENTION.sub(" ", _URL.sub(" ", question))).split())
    if not any(ch.isalnum() for ch in text):
        return question
    return text if any(ch.islower() for ch in text) else text.lower()
