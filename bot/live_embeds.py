"""The live corpus in Discord: announcements of new articles, follow DMs, the feed list.

Pure functions, like :mod:`bot.embeds`: every result keeps Discord's limits (10 embeds
and 6,000 characters per message, 4,096 per description, 25 fields of 1,024), whatever
the titles, leads and URLs hold. A burst of articles is packed into as few messages as
those limits allow: up to ``PER_MESSAGE`` articles each, so 40 articles are two
messages, shortening leads and titles (never the links) to make them fit. A bulk ingest
(a ``/reingest`` of a copied archive adds thousands) is not a news event: past
``MAX_ANNOUNCED`` articles, and ``MAX_FOLLOW_MATCHES`` matches of one follower, the rest
is counted, not listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import discord

from absatz.live import Feed, FollowMatch, LiveArticle, duration_text
from absatz.question_text import shown_text
from absatz.render import shorten
from absatz.texts import t
from vectorstore.text import without_bidi

from .embeds import (
    COLOUR,
    DESCRIPTION,
    FIELD_VALUE,
    FOOTER,
    TITLE,
    TOTAL,
    fit,
    lines_within,
    plain,
    source_link,
    web_url,
)

PER_MESSAGE = 20
MAX_ANNOUNCED = 60  # articles listed per batch: three messages of realistic entries
MAX_FOLLOW_MATCHES = 10  # per follower and batch: one DM of ten embeds when they are short
EMBEDS_PER_MESSAGE = 10
MAX_FIELDS = 25
# Title and lead room per article, tried in order until a message's articles fit.
SHORTENING = ((120, 200), (90, 140), (70, 90), (60, 50), (50, 0), (40, 0))
SLACK = 50  # a margin under the 6,000 total


def article_entry(a: LiveArticle, title_limit: int = 120, lead_limit: int = 200) -> str:
    """``**[title](url)**`` / ``date · source · `id#1` `` / the lead, on one line."""
    link = source_link(a.title or a.article_id, a.url, title_limit)
    head = f"**{link}**" if link else f"**{plain(shorten(a.title or a.article_id, title_limit))}**"
    meta = " · ".join(x for x in (plain(a.date), plain(shorten(a.source, 60)), f"`{a.first_citation}`") if x)
    lead = plain(shorten(a.lead, lead_limit)) if lead_limit else ""
    return "\n".join(x for x in (head, meta, lead) if x)


def _pack(entries: list[str], title: str) -> list[discord.Embed] | None:
    """The entries as embed descriptions (first embed titled), or None if one message
    cannot hold them."""
    descriptions: list[str] = []
    current = ""
    for entry in entries:
        candidate = f"{current}\n\n{entry}" if current else entry
        if len(candidate) <= DESCRIPTION:
            current = candidate
            continue
        descriptions.append(current)
        current = entry
    if current:
        descriptions.append(current)
    total = len(title) + sum(len(d) for d in descriptions)
    if len(descriptions) > EMBEDS_PER_MESSAGE or total > TOTAL - SLACK:
        return None
    embeds = [discord.Embed(description=d, colour=COLOUR) for d in descriptions]
    if embeds:
        embeds[0].title = title
    return embeds


def _message(articles: Sequence[LiveArticle], title: str) -> list[discord.Embed] | None:
    for title_limit, lead_limit in SHORTENING:
        packed = _pack([article_entry(a, title_limit, lead_limit) for a in articles], title)
        if packed is not None:
            return packed
    return None


def announcement_messages(articles: Sequence[LiveArticle], language: str) -> list[list[discord.Embed]]:
    """The embeds of each message announcing ``articles``: as few messages as fit, the
    first ``MAX_ANNOUNCED`` articles listed and the rest counted in the titles."""
    listed = articles[:MAX_ANNOUNCED]
    chunks: list[Sequence[LiveArticle]] = []
    i = 0
    while i < len(listed):
        n = min(PER_MESSAGE, len(listed) - i)
        while n > 1 and _message(listed[i : i + n], "x" * TITLE) is None:
            n -= 1
        chunks.append(listed[i : i + n])
        i += n
    messages = []
    for part, chunk in enumerate(chunks, start=1):
        if len(listed) < len(articles):
            title = t("announce_capped", language, n=len(articles), shown=len(listed), part=part, parts=len(chunks))
        elif len(chunks) == 1:
            title = t("announce_title", language)
        else:
            title = t("announce_part", language, part=part, parts=len(chunks))
        embeds = _message(chunk, title)
        if embeds is None:  # one article alone that does not fit: a URL of ~4,000 characters
            embeds = [
                discord.Embed(title=title, description=shorten(plain(chunk[0].title), DESCRIPTION), colour=COLOUR)
            ]
        messages.append(embeds)
    return messages


def follow_embed(m: FollowMatch, language: str) -> discord.Embed:
    """The matching paragraph, quoted and cited, with the article linked."""
    link = source_link(m.title or m.article_id, m.url, 150)
    head = f"**{link}**" if link else f"**{plain(shorten(m.title or m.article_id, 150))}**"
    where = " · ".join(
        x for x in (plain(m.date), plain(shorten(m.source, 60)), plain(shorten(m.heading, 120)), f"¶{m.paragraph}") if x
    )
    quote = plain(shorten(m.quote or m.text, 1500))
    description = f"{head}\n{where}\n\n> {quote}\n\n`{m.citation_id}`"
    # The query as typed, as the answer's title shows a question: a title renders Markdown
    # but no link or mention, and a footer none of it; bidi controls go from both.
    room = TITLE - len(t("follow_dm_title", language, query=""))
    embed = discord.Embed(
        title=t("follow_dm_title", language, query=fit(shown_text(m.follow.query), room)),
        description=description[:DESCRIPTION],
        colour=COLOUR,
        url=web_url(m.url),
    )
    footer = t("follow_dm_footer", language, query=without_bidi(m.follow.query))
    embed.set_footer(text=shorten(footer, FOOTER))
    return embed


def follow_messages(matches: Sequence[FollowMatch], language: str) -> list[list[discord.Embed]]:
    """One user's matches of one batch: ten embeds (and 6,000 characters) per message; past
    ``MAX_FOLLOW_MATCHES`` one more embed counts the matches not sent."""
    embeds = [follow_embed(m, language) for m in matches[:MAX_FOLLOW_MATCHES]]
    if len(matches) > MAX_FOLLOW_MATCHES:
        more = t("follow_more", language, n=len(matches) - MAX_FOLLOW_MATCHES)
        embeds.append(discord.Embed(description=more, colour=COLOUR))
    messages: list[list[discord.Embed]] = []
    for embed in embeds:
        if (
            not messages
            or len(messages[-1]) >= EMBEDS_PER_MESSAGE
            or sum(len(e) for e in messages[-1]) + len(embed) > TOTAL - SLACK
        ):
            messages.append([])
        messages[-1].append(embed)
    return messages


def _when(ts: float | None, language: str) -> str:
    if not ts:
        return t("never", language)
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def feed_lines(feed: Feed, language: str) -> list[str]:
    first = t("feed_every", language, interval=duration_text(feed.interval_s))
    if feed.category:
        first += t("feed_category", language, category=plain(feed.category))
    lines = [
        first,
        t("feed_last_success", language, when=_when(feed.last_success, language)),
        t("feed_articles", language, n=feed.articles_ingested),
    ]
    if feed.last_error:
        lines.append(
            t(
                "feed_last_error",
                language,
                when=_when(feed.last_error_at, language),
                error=plain(shorten(feed.last_error, 300)),
            )
        )
    if feed.failures:
        lines.append(t("feed_failures", language, n=feed.failures, when=_when(feed.next_poll, language)))
    return lines


def feed_list_embeds(feeds: Sequence[Feed], language: str) -> list[discord.Embed]:
    """``/feed list``: a field per feed (its URL, interval, last success and error,
    articles ingested), as many as one message holds; the rest are counted in the footer."""
    if not feeds:
        return [discord.Embed(description=t("feeds_none", language), colour=COLOUR)]
    title = t("feeds_title", language, n=len(feeds))
    embeds = [discord.Embed(title=title, colour=COLOUR)]
    used = len(title) + 40  # the footer's room
    shown = 0
    for feed in feeds:
        name = shorten(feed.url, 256)
        value = lines_within(feed_lines(feed, language), FIELD_VALUE)
        if used + len(name) + len(value) > TOTAL - SLACK:
            break
        if len(embeds[-1].fields) >= MAX_FIELDS:
            if len(embeds) >= EMBEDS_PER_MESSAGE:
                break
            embeds.append(discord.Embed(colour=COLOUR))
        embeds[-1].add_field(name=name, value=value, inline=False)
        used += len(name) + len(value)
        shown += 1
    if shown < len(feeds):
        embeds[-1].set_footer(text=f"… +{len(feeds) - shown} (absatz feed list)")
    return embeds
