"""What an untrusted article or page may hold, and how a test tells that Discord would
render it as something other than text: a masked link above all."""

from __future__ import annotations

import re

import discord

# simple-markdown's link rule (LINK_INSIDE, then the href), which Discord's parser is
# built on. Discord does not honour escapes inside a masked link's text
# (discord/discord-api-docs#6185), so "[Konto\\](https://evil.example)" still matches.
MASKED_LINK = re.compile(r"\[((?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*)\]\(\s*<?((?:\([^)]*\)|[^\s\\]|\\.)*?)>?\s*\)")

PHISH = "[Konto bestätigen](https://evil.example/login)"

# An article as a feed, a web page or an upload may bring it: a masked link in its title,
# heading and text, a spoiler, a backtick, a code fence, mentions, and an unclosed
# RIGHT-TO-LEFT OVERRIDE that would turn the rest of an answer's line around.
HOSTILE_MD = f"""---
title: "{PHISH} @everyone <@&42> ||x|| ` Ende"
date: 2025-06
url: https://example.org/evil
---

Die Bäckerinnung in Hamburg meldete am Montag neue Zahlen zu den Brötchenpreisen in der Stadt.

## Preise [Innung](https://evil.example/h) ```

Ein Brötchen kostet in Hamburg laut [Bäckerinnung](https://evil.example/login) jetzt \u202e80 Cent ||geheim|| ``` Ende.

Die Innung erwartet weitere Erhöhungen im Herbst wegen der hohen Energiekosten.
"""


def link_targets(*texts: str | None) -> list[str]:
    """Where every masked link Discord would render in ``texts`` leads."""
    return [m[2] for text in texts for m in MASKED_LINK.finditer(text or "")]


def embed_texts(embed: discord.Embed) -> list[str | None]:
    """Every text of ``embed`` that Discord renders Markdown in (and its title)."""
    return [embed.title, embed.description, *(x for f in embed.fields for x in (f.name, f.value))]
