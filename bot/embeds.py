"""Answers and sources as Discord embeds that always fit Discord's limits.

Pure functions: the tests feed them 2,000-word paragraphs and check every limit.
Long text is shortened at a word boundary with an ellipsis; a citation marker is never
cut off its sentence.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

import discord

from absatz import AbsatzError, Answer, ArticleSummary, Citation, Matches, SourceView, UnknownCitation
from absatz.question_text import shown_text
from absatz.render import byline, citation_label, marked, section_headings, shorten
from absatz.texts import duration, error_text, t
from vectorstore.text import without_bidi

TITLE = 256
DESCRIPTION = 4096
FIELD_VALUE = 1024
FOOTER = 2048
TOTAL = 6000
MESSAGE = 2000
# Corpus metadata has no length limit of its own (a Markdown heading, a dpa dateline):
# shown above a paragraph or as an article's byline, it gets this much room.
HEADING = 256
BYLINE = 500

COLOUR = discord.Colour(0x2B6CB0)
ABSTAIN_COLOUR = discord.Colour(0x718096)


def plain(text: str) -> str:
    """Corpus text as Discord shows it verbatim: ``Lehrer*innen und Schüler*innen`` would
    turn italic, ``~~`` strike through, a quote lose its asterisks; and without the
    controls that would turn the text after it around (:func:`escaped`)."""
    return escaped(" ".join((text or "").split()))


_LINK_END = "\ue002"  # stands for a "](" while discord.py escapes the rest


def escaped(text: str) -> str:
    """``discord.utils.escape_markdown`` with every ``](`` escaped first: its pattern for a
    masked link, ``\\[.+\\]\\(.+\\)``, spans from the first ``[`` to the last ``)`` and
    leaves everything between unescaped, so ``[Quelle](x) … um *5* Prozent (brutto)``
    had lost its asterisks to italics.

    The backslash goes between ``]`` and ``(`` (``[Quelle]\\(x)``): no ``](`` is left, so
    no masked link can form. Before ``]`` (``[Quelle\\](x)``) it was ignored: Discord
    honours no escape inside a masked link's text (discord/discord-api-docs#6185), and an
    article's ``[Konto bestätigen](https://evil.example/login)`` was a clickable link.

    Bidirectional controls go (:func:`~vectorstore.text.without_bidi`): an article's
    unclosed U+202E reversed the rest of the answer's line, other sources included."""
    text = without_bidi(text).replace("](", _LINK_END)
    return discord.utils.escape_markdown(text).replace(_LINK_END, "]\\(")


def fit(text: str, limit: int) -> str:
    """``text`` shortened and escaped (:func:`plain`) within ``limit`` characters: the
    escapes take room of their own."""
    return fit_with(lambda room: shorten(text, room), limit)


def fit_with(cut: Callable[[int], str], limit: int) -> str:
    """As :func:`fit`, shortened by ``cut`` (room → text within it)."""
    room = limit
    while True:
        out = plain(cut(room))
        if len(out) <= limit or room <= 1:
            return out[:limit]
        room -= len(out) - limit


# Private-use characters that stand for the bold markers while the answer is shortened and
# escaped: a span cut off by shortening loses its closing one and is then not bolded.
_OPEN, _CLOSE = "\ue000", "\ue001"


def _bolded(text: str) -> str:
    """The placeholders as bold markers; a span whose end was cut off is not bolded."""
    if _OPEN in text and _CLOSE not in text:
        text = text.replace(_OPEN, "")
    return text.replace(_OPEN, "**").replace(_CLOSE, "**")


def _answer_description(a: Answer, limit: int) -> str:
    """The answer with its ``[n]`` markers and the fact asked for in bold; sentences
    shrink, markers stay attached, and what the article says is shown, not formatted."""
    text = marked(a, _OPEN, _CLOSE)
    whole = _bolded(escaped(text))
    if len(whole) <= limit:
        return whole
    parts = re.findall(r"(.*?)(\s*\[\d+\])", text, flags=re.S) or [(text, "")]
    budget = max(40, (limit - 4 - sum(len(m) + 1 for _, m in parts)) // len(parts))
    while True:
        out = _bolded(" ".join(plain(shorten(x, budget)) + marker for x, marker in parts))
        if len(out) <= limit or budget <= 40:
            break
        budget = max(40, budget - (len(out) - limit) // len(parts) - 1)
    if len(out) > limit:  # forty characters a sentence do not fit: cut, never half a marker
        out = out[:limit].rstrip("\\")
        if out.count("**") % 2:
            out = out.replace("**", "")
    return out


def typed_id(text: str) -> str:
    """An id as someone typed it, shown as code; one holding a backtick, which would end
    the code early, is shown escaped instead."""
    text = shorten(text.strip(), 100)
    return plain(text) if "`" in text else f"`{text}`"


def lookup_error(exc: AbsatzError, missing: str, typed: str, language: str) -> str:
    """Why looking an id up shows nothing: not in the corpus (text ``missing``, the id as
    typed), or what is wrong with the id as typed (``hallo`` is no citation id) or with
    the index — which "not in the corpus" would hide."""
    if isinstance(exc, UnknownCitation):
        return t(missing, language, id=typed_id(typed))
    return f"⛔ {error_line(exc, language)}"


def error_line(exc: BaseException, language: str, corpus_dir: Path | None = None) -> str:
    """:func:`~absatz.texts.error_text` for a message: what the error quotes (a feed's
    first bytes, the id a JSONL line gave, a page's address) shown as written, a file by
    its path in the corpus folder (:func:`corpus_relative`, before escaping hides it)."""

    def shown(value: str) -> str:
        return escaped(corpus_relative(value, corpus_dir) if corpus_dir is not None else value)

    return error_text(exc, language, shown)


def lines_within(lines: list[str], limit: int) -> str:
    """As many whole lines as fit, then an ellipsis line where there is room for it (none
    is needed after the last line). The first line is kept, cut at ``limit`` if it is
    longer, never replaced by the ellipsis: an ingest summary of 1,999 characters had been
    sent as "…" alone. A line may hold line breaks (a summary), which stay."""
    out: list[str] = []
    for i, line in enumerate(lines):
        used = sum(len(x) + 1 for x in out)
        if used + len(line) + (2 if i < len(lines) - 1 else 0) <= limit:
            out.append(line)
            continue
        if not out:
            out.append(line if len(line) <= limit else line[: limit - 1].rstrip() + "…")
        elif used + 1 <= limit and out[-1].split("\n")[-1] != "…":
            # not after an ellipsis line a summary ends with; after a line ending in "…", yes
            out.append("…")
        break
    return "\n".join(out)


MAX_CITATION_FIELDS = 10
ANSWER_DESCRIPTION = 2500
SEARCHED = 300  # the channel scope's label in the footer


def corpus_relative(text: str, corpus_dir: Path) -> str:
    """``text`` as Discord shows it: files in the corpus folder by their path in it
    (``kaputt.jsonl:2``, ``.trash/…``), the folder itself as ``CORPUS_DIR``. Where the
    server keeps its files is none of a channel's business (the CLI shows them whole)."""
    for root in dict.fromkeys((corpus_dir.absolute(), corpus_dir.resolve())):
        folder = re.compile(rf"{re.escape(str(root))}(?:{re.escape(os.sep)}|(?![^\s:;,]))")
        text = folder.sub(lambda m: "" if m[0].endswith(os.sep) else "CORPUS_DIR", text)
    return text


# Characters that end a Markdown link (``)``, ``>`` of ``<…>``, a space) or the code span
# of the citation id beside it (a backtick): an address means the same with them
# percent-encoded.
_URL_ESCAPES = str.maketrans({ch: f"%{ord(ch):02X}" for ch in " ()<>`"})


def angle_link(url: str) -> str:
    """``<url>`` for message content: a link without a preview. A space, ``>`` or backtick
    in the address is percent-encoded, for it would end the ``<…>`` early and leave the
    rest of the address to be read as Markdown (a masked link, a spoiler); so is a format
    character (a bidi control would turn the text after it around), the address the same."""
    encoded = "".join(quote(ch) if unicodedata.category(ch) == "Cf" else ch for ch in url.strip())
    return f"<{encoded.translate(_URL_ESCAPES)}>"


def web_url(url: str) -> str | None:
    """The article's address when Discord accepts it as a link: an embed whose ``url``
    is not a well-formed http(s) address is rejected whole (front matter and JSONL take
    any string there, ``www.example.de/artikel`` included)."""
    url = (url or "").strip().translate(_URL_ESCAPES)  # linked in citations too, encoded alike
    if len(url) > MAX_EMBED_URL or any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def source_link(title: str, url: str, limit: int = 80) -> str:
    """``[title](url)`` for a field value or description: the title shortened, the URL
    made safe for Markdown; empty for no URL, or one too long to be worth the room."""
    safe = web_url(url)
    if safe is None or len(safe) > MAX_LINK_URL:
        return ""
    text = shorten(without_bidi(title or url), limit)
    for ch in "[]`*_~|\\":
        text = text.replace(ch, " ")
    return f"[{' '.join(text.split())}]({safe})"


MAX_LINK_URL = 400
MAX_EMBED_URL = 2048


def citation_name(c: Citation, limit: int) -> str:
    """``[n] title · date · heading · ¶p``, shown as written (:func:`fit`: a title's
    ``**Sternchen**`` keeps its asterisks) behind the ``[n]`` that the buttons look for."""
    marker = f"[{c.n}] "
    return marker + fit(citation_label(c), limit - len(marker))


def citation_field(c: Citation, room: int, name_limit: int = 200) -> tuple[str, str]:
    """:func:`citation_name` over the quote; the id stays whole on its own line, followed
    by the title linked to the article's URL when it has one."""
    name = citation_name(c, name_limit)
    link = source_link(c.title, getattr(c, "url", ""), 60)
    id_line = f"\n`{c.id}`"
    if link and len(id_line) + len(link) + 3 + 60 <= min(FIELD_VALUE, room):  # the quote keeps room
        id_line += f" · {link}"
    quote = fit(c.quote, max(20, min(FIELD_VALUE, room) - len(id_line) - 2))
    return name, f"> {quote}{id_line}"


def answer_embed(a: Answer, seconds: float, searched: str = "") -> discord.Embed:
    """The answer, one field per citation; sources, time and (in a channel with a
    scope) what was searched in the footer.

    The 6,000-character total is shared out: the answer text first, then the quotes get
    what is left, evenly.
    """
    n = len(a.citations)
    key = "no_source_footer" if n == 0 else "one_source_footer" if n == 1 else "sources_footer"
    embed = discord.Embed(
        title=fit(shown_text(a.question), TITLE) or None,  # mentions show raw in a title
        description=_answer_description(a, ANSWER_DESCRIPTION),
        colour=ABSTAIN_COLOUR if a.abstained else COLOUR,
    )
    footer = t(key, a.language, n=n, took=duration(seconds)) + (f" · {shorten(searched, SEARCHED)}" if searched else "")
    embed.set_footer(text=footer[:FOOTER])
    shown = a.citations[:MAX_CITATION_FIELDS]
    for name_limit in (200, 100, 60):
        names = [citation_name(c, name_limit) for c in shown]
        left = TOTAL - len(embed) - sum(len(x) for x in names) - 20
        if not shown or left // len(shown) >= 80:
            break
    room = left // len(shown) if shown else 0
    for c in shown:
        name, value = citation_field(c, room, name_limit)
        embed.add_field(name=name, value=value, inline=False)
    # Citation ids stay whole (the buttons read them back): very long ones take their
    # room from the answer text.
    excess = len(embed) - TOTAL
    if excess > 0:
        embed.description = _answer_description(a, len(embed.description or "") - excess)
    return embed


def citation_id_from_field(embed: discord.Embed, n: int) -> str | None:
    """The citation id printed in field ``[n]``: buttons read it back from the message,
    so they keep working after a restart without any state of their own."""
    for field in embed.fields:
        if (field.name or "").startswith(f"[{n}]"):
            value = field.value or ""
            if "`" in value:
                return value.rsplit("`", 2)[-2]
    return None


def paragraph_embed(view: SourceView, language: str) -> discord.Embed:
    """The whole paragraph, with the ones before and after in short, as ``/source`` shows it."""
    p, before, after = view.paragraph, view.before, view.after
    context_limit = 500
    pre_head, head, post_head = (
        f"**{fit(h, HEADING)}**\n\n" if h else "" for h in section_headings((before, p, after))
    )
    pre = f"{pre_head}-# ¶{before.paragraph}\n{fit(before.text, context_limit)}\n\n" if before else ""
    post = f"\n\n{post_head}-# ¶{after.paragraph}\n{fit(after.text, context_limit)}" if after else ""
    room = DESCRIPTION - len(head) - len(pre) - len(post) - 40
    text = plain(p.text)
    if len(text) > room:
        text = f"{fit(p.text, room - 20)} {t('shortened', language)}"
    embed = discord.Embed(
        title=fit(p.meta.title or p.article_id, TITLE),
        description=f"{pre}{head}**¶{p.paragraph}** {text}{post}",
        colour=COLOUR,
        url=web_url(p.meta.url),
    )
    # The byline takes a fixed room, so the total stays within Discord's 6,000 and the
    # paragraph id at the end stays whole however long a dateline an import brought.
    embed.set_footer(text=" · ".join(x for x in (shorten(without_bidi(byline(p.meta)), BYLINE), p.para_id) if x))
    return embed


def search_embed(query: str, found: Matches, language: str) -> discord.Embed:
    lines = [] if found.close or not found.hits else [f"*{t('only_distant', language)}*"]
    for h in found.hits:
        sentence = h.sentences[0].text if h.sentences else h.passage
        lines.append(f"`{h.para_id}` **{fit(h.title, 80)}**\n{fit(sentence, 300)}")
    embed = discord.Embed(
        title=fit(shown_text(query), TITLE) or None,
        description="\n\n".join(lines)[:DESCRIPTION] or t("no_matches", language),
        colour=COLOUR,
    )
    return embed


def article_embed(a: ArticleSummary, language: str, related: Sequence[ArticleSummary] = ()) -> discord.Embed:
    embed = discord.Embed(
        title=fit(a.title or a.article_id, TITLE),
        description=fit(byline(a.meta), BYLINE) or None,
        colour=COLOUR,
        url=web_url(a.url),
    )
    embed.add_field(name=t("paragraphs", language), value=str(a.paragraphs), inline=True)
    embed.add_field(name="ID", value=f"`{a.article_id}`"[:FIELD_VALUE], inline=True)
    if a.headings:
        embed.add_field(
            name=t("headings", language),
            value=lines_within([f"• {fit(h, 120)}" for h in a.headings], FIELD_VALUE),
            inline=False,
        )
    if related:
        lines = [f"{r.date or '—'} · `{r.article_id}` {fit(r.title, 90)}" for r in related]
        embed.add_field(name=t("related", language), value=lines_within(lines, FIELD_VALUE), inline=False)
    return embed
