"""HTML → one article: title, date, author, site, canonical URL, and the body as
paragraphs under their section headings, with the page's boilerplate left behind.

``trafilatura`` finds the main text and the metadata. Two things are done first and
after, because news pages defeat it otherwise (tested on pages shaped like real ones):

* before: when the page marks its article (an ``<article>`` or ``itemprop=articleBody``
  element holding the page's ``<h1>``), only that element is handed over, so teaser rows
  that are themselves ``<article>`` elements cannot be taken for the text;
* after: its XML body is walked element by element — ``<head>`` becomes a section
  heading, each ``<p>``, list item and quotation one paragraph — and the in-text link
  teasers ("Lesen Sie auch: …") that survive extraction are dropped.

A page without article text, or in a language other than the accepted ones, is an
:class:`ExtractError`, never an empty or foreign article in the corpus.
"""

from __future__ import annotations

import contextlib
import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from html import escape
from typing import Any

import trafilatura
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from .errors import LiveError
from .language import declared_language, detect_language, language_name
from .urls import canonical_or_none, canonical_url, same_site

ACCEPTED_LANGUAGES = ("de", "en")
MIN_ARTICLE_CHARS = 150

# In-text teasers: a label, then a link's text. Short by nature; real paragraphs are not.
_TEASER = re.compile(
    r"^\s*(lesen sie (auch|mehr|hier)|mehr (zum thema|dazu|lesen)|auch interessant|zum thema|"
    r"das könnte sie (auch )?interessieren|weiterlesen|hier weiterlesen|siehe auch|weitere artikel|"
    r"anzeige|werbung|read (more|also)|related|see also|more on this)\b\s*[:–—-]?",
    re.IGNORECASE,
)
_TEASER_MAX_CHARS = 200


class ExtractError(LiveError):
    """The page holds no article absatz can ingest; the reason says why."""

    key = "extract"


@dataclass(frozen=True)
class Block:
    """One piece of the body in reading order: a section heading or a paragraph."""

    text: str
    heading: bool = False


@dataclass(frozen=True)
class WebArticle:
    url: str  # canonical
    title: str
    blocks: tuple[Block, ...]
    date: str = ""  # YYYY-MM-DD
    author: str = ""
    site: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    language: str = ""

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if not b.heading]

    @property
    def headings(self) -> list[str]:
        return [b.text for b in self.blocks if b.heading]

    @property
    def lead(self) -> str:
        """The first paragraph: what an announcement quotes."""
        return next((b.text for b in self.blocks if not b.heading), "")

    def with_changes(self, **changes: Any) -> WebArticle:
        return replace(self, **changes)


def extract_article(
    html: str | bytes,
    url: str,
    *,
    languages: tuple[str, ...] = ACCEPTED_LANGUAGES,
    min_chars: int = MIN_ARTICLE_CHARS,
    charset: str = "",
) -> WebArticle:
    """The article on the page fetched from ``url`` (the final URL, after redirects).

    ``charset`` is the one the response header named: tried first, and when the bytes do
    not decode with it, the page's own declaration and detection decide.
    """
    if isinstance(html, bytes) and charset:
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            html = html.decode(charset)
    tree = load_html(html)
    if tree is None:
        raise ExtractError(url, "not an HTML page")
    declared = declared_language(tree.get("lang", "") or "")
    container = _article_container(tree)
    doc = None
    if container is not None:
        doc = _extract(_only(tree, container), url)
        if doc is not None and _text_chars(_blocks(doc.body, doc.title or "")) < min_chars:
            doc = None  # the marked element was not the article after all: read the whole page
    if doc is None:
        doc = _extract(tree, url)
    if doc is None or doc.body is None:
        raise ExtractError(url, "no article text found on the page")
    title = " ".join((doc.title or "").split())
    blocks = _blocks(doc.body, title)
    return _checked(
        WebArticle(
            url=_canonical(doc.url, url),
            title=title,
            blocks=tuple(blocks),
            date=doc.date or "",
            author=" ".join((doc.author or "").split()),
            site=" ".join((doc.sitename or "").split()),
            category=next((c.strip() for c in doc.categories or [] if c.strip()), ""),
            tags=tuple(_split_tags(doc.tags or [])),
            language=detect_language(" ".join(b.text for b in blocks), declared),
        ),
        url,
        languages,
        min_chars,
    )


def extract_fragment(
    fragment: str,
    url: str,
    title: str = "",
    *,
    languages: tuple[str, ...] = ACCEPTED_LANGUAGES,
    min_chars: int = MIN_ARTICLE_CHARS,
) -> WebArticle:
    """An article body carried by a feed item (``content:encoded``): no page around it,
    so no page metadata either — the caller fills it in from the item.
    """
    head = f"<head><title>{escape(title)}</title></head>"
    page = f"<html>{head}<body><article><h1>{escape(title)}</h1>{fragment}</article></body></html>"
    doc = _extract(load_html(page), url)
    if doc is None or doc.body is None:
        raise ExtractError(url, "the feed item's text holds no article text")
    blocks = _blocks(doc.body, title)
    return _checked(
        WebArticle(
            url=canonical_url(url),
            title=title,
            blocks=tuple(blocks),
            language=detect_language(" ".join(b.text for b in blocks)),
        ),
        url,
        languages,
        min_chars,
    )


def _checked(article: WebArticle, url: str, languages: tuple[str, ...], min_chars: int) -> WebArticle:
    chars = _text_chars(article.blocks)
    if not article.paragraphs or chars < min_chars:
        raise ExtractError(url, f"no article text found on the page (only {chars} characters of text)")
    if article.language and languages and article.language not in languages:
        accepted = " and ".join(language_name(c) for c in languages)
        raise ExtractError(
            url,
            f"the article is in {language_name(article.language)} ({article.language}); "
            f"only {accepted} articles are ingested",
        )
    if not article.title:
        article = article.with_changes(title=article.lead[:90])
    return article


def _extract(tree: HtmlElement, url: str) -> Document | None:
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        include_formatting=True,  # keeps <head rend="h2"> and inline <hi> without losing text
        favor_precision=True,  # a page without article text yields too little, not its navigation
        deduplicate=False,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    return doc if isinstance(doc, Document) else None  # as_dict=False: a Document or nothing


def _article_container(tree: HtmlElement) -> HtmlElement | None:
    """The element that holds the article, when the page marks one: the innermost
    ``<article>`` or ``itemprop="articleBody"`` element that contains the page's ``<h1>``.
    """
    h1 = next(iter(tree.xpath("//body//h1")), None)
    if h1 is None:
        return None
    candidates = [a for a in h1.iterancestors() if a.tag == "article" or a.get("itemprop") == "articleBody"]
    return candidates[0] if candidates else None


def _only(tree: HtmlElement, element: HtmlElement) -> HtmlElement:
    """A copy of the page whose ``<body>`` holds nothing but ``element`` (the head stays,
    with its metadata)."""
    path = tree.getroottree().getpath(element)
    page = copy.deepcopy(tree)
    keep = page.getroottree().xpath(path)[0]
    body = page.find("body")
    if body is None:
        return page
    for child in list(body):
        if child is not keep:
            body.remove(child)
    if keep.getparent() is not body:
        keep.getparent().remove(keep)
        body.append(keep)
    body.text = None
    return page


def _text(element: _Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _blocks(body: _Element, title: str) -> list[Block]:
    """Walk trafilatura's XML body in order: headings, paragraphs, list items, quotes."""
    out: list[Block] = []

    def walk(el: _Element) -> None:
        for child in el:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == "head":
                text = _text(child)
                if text and child.get("rend") != "h1" and text != title:
                    out.append(Block(text, heading=True))
            elif tag == "p":
                _paragraph(_text(child))
            elif tag == "list":
                for item in child.iter("item"):
                    if item.find(".//item") is None:  # a nested list's items are read on their own
                        _paragraph(_text(item))
            elif tag == "quote":
                if child.find("p") is not None:
                    walk(child)
                else:
                    _paragraph(_text(child))
            elif tag in ("table", "code", "graphic", "lb", "ref"):
                continue
            elif len(child) == 0:
                _paragraph(_text(child))
            else:
                walk(child)

    def _paragraph(text: str) -> None:
        if not text or (len(text) <= _TEASER_MAX_CHARS and _TEASER.match(text)):
            return
        out.append(Block(text))

    walk(body)
    # A heading counts only with a paragraph under it; repeated ones collapse.
    cleaned: list[Block] = []
    for i, block in enumerate(out):
        if block.heading:
            following = out[i + 1] if i + 1 < len(out) else None
            if following is None or following.heading:
                continue
        cleaned.append(block)
    return cleaned


def _text_chars(blocks: Iterable[Block]) -> int:
    return sum(len(b.text) for b in blocks if not b.heading)


def _split_tags(tags: list[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        for part in tag.split(","):
            part = part.strip()
            if part and part not in seen:
                seen.append(part)
    return seen


def _canonical(declared: str | None, fetched: str) -> str:
    """The page's own canonical URL when it is an http(s) URL of the same site, else the
    URL it was fetched from; either way in canonical form."""
    if declared and declared.startswith(("http://", "https://")) and same_site(declared, fetched):
        return canonical_or_none(declared) or canonical_url(fetched)
    return canonical_url(fetched)
