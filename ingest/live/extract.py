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

import codecs
import contextlib
import copy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from html import escape
from typing import Any
from urllib.parse import parse_qsl, unquote, urljoin, urlsplit

import trafilatura
from lxml.etree import _Element
from lxml.html import HtmlElement
from trafilatura.settings import Document
from trafilatura.utils import load_html

from .errors import LiveError
from .language import declared_language, detect_language, language_name, none_of_these
from .stand_ins import stand_in
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

# The byte order marks a browser honours before any header (WHATWG Encoding, "BOM sniff").
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


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

    ``charset`` is the one the response header named; see :func:`_decoded` for when it
    is not believed.
    """
    if isinstance(html, bytes):
        html = _decoded(html, charset)
    tree = load_html(_legal_references(html))
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
            url=_canonical(tree, url),
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
    declared: str = "",
    languages: tuple[str, ...] = ACCEPTED_LANGUAGES,
    min_chars: int = MIN_ARTICLE_CHARS,
) -> WebArticle:
    """An article body carried by a feed item (``content:encoded``): no page around it,
    so no page metadata either — the caller fills it in from the item. The feed's
    ``declared`` language stands where a page's ``lang`` would: for a text too short to tell.
    """
    head = f"<head><title>{escape(title)}</title></head>"
    page = f"<html>{head}<body><article><h1>{escape(title)}</h1>{fragment}</article></body></html>"
    doc = _extract(load_html(_legal_references(page)), url)
    if doc is None or doc.body is None:
        raise ExtractError(url, "the feed item's text holds no article text")
    blocks = _blocks(doc.body, title)
    return _checked(
        WebArticle(
            url=canonical_url(url),
            title=title,
            blocks=tuple(blocks),
            language=detect_language(" ".join(b.text for b in blocks), declared),
        ),
        url,
        languages,
        min_chars,
    )


def _checked(article: WebArticle, url: str, languages: tuple[str, ...], min_chars: int) -> WebArticle:
    chars = _text_chars(article.blocks)
    if not article.paragraphs or chars < min_chars:
        raise ExtractError(url, f"no article text found on the page (only {chars} characters of text)")
    if reason := stand_in(article.title, article.paragraphs):
        raise ExtractError(url, reason)
    accepted = " and ".join(language_name(c) for c in languages)
    if article.language and languages and article.language not in languages:
        raise ExtractError(
            url,
            f"the article is in {_named(article.language)}; only {accepted} articles are ingested",
        )
    if not article.language and languages and none_of_these(" ".join(b.text for b in article.blocks), languages):
        either = " or ".join(language_name(c) for c in languages)
        raise ExtractError(url, f"the article is not in {either}; only {accepted} articles are ingested")
    if not article.title:
        article = article.with_changes(title=article.lead[:90])
    return article


def _named(code: str) -> str:
    """``French (fr)``; a code without a name here as the tag it is (``the language fi``)."""
    name = language_name(code)
    return f"the language {code}" if name == code else f"{name} ({code})"


_WINDOWS_1252_LABELS = frozenset({"iso8859-1", "ascii"})  # codecs' names of the labels browsers read so
_C1 = "absatz-c1"


def _c1_controls(exc: UnicodeError) -> tuple[str, int]:
    """windows-1252's five undefined bytes as the C1 controls WHATWG maps them to: one
    such byte had sent the whole page back to strict Latin-1, its "€" lost again."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error(_C1, _c1_controls)


def _decoded(html: bytes, charset: str) -> str | bytes:
    """The page as text, or its bytes when nothing here can tell how to decode them (then
    trafilatura's detection decides).

    A byte order mark wins over everything, as in browsers. Bytes that are valid UTF-8 and
    not plain ASCII are UTF-8 whatever the header says: servers often name Latin-1 for UTF-8
    pages, and Latin-1 text almost never forms valid multi-byte sequences by chance; read as
    Latin-1 it would be stored as mojibake ("FÃ¼r"). Only then is the header's charset tried,
    a Latin-1 or ASCII one read as windows-1252, as browsers do (WHATWG's Encoding
    standard): legacy German sites name ISO-8859-1 and write "€", „…“ and "–" in
    windows-1252, which strict Latin-1 stored as control characters, shown as spaces.
    """
    for bom, encoding in _BOMS:
        if html.startswith(bom):
            return html[len(bom) :].decode(encoding, errors="replace")
    if not html.isascii():
        with contextlib.suppress(UnicodeDecodeError):
            return html.decode("utf-8")
    if charset:
        with contextlib.suppress(LookupError):
            if codecs.lookup(charset).name in _WINDOWS_1252_LABELS:
                return html.decode("cp1252", errors=_C1)
        with contextlib.suppress(LookupError, UnicodeDecodeError):
            return html.decode(charset)
    return html


_CHAR_REFERENCE = r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));?"


def _legal_references(html: str | bytes) -> str | bytes:
    """The page without character references to what XML cannot hold (``&#1;``,
    ``&#xfffe;``): lxml keeps them in the tree, and trafilatura's XML body then comes out
    empty, so one such reference cost the whole article. They stand for nothing readable."""

    def legal(m: re.Match[Any]) -> Any:
        hex_digits, digits = (g.decode("ascii") if isinstance(g, bytes) else g for g in (m[1], m[2]))
        if len((hex_digits or digits).lstrip("0")) > 8:  # past U+10FFFF, and int() refuses thousands of digits
            return m[0][:0]
        point = int(hex_digits, 16) if hex_digits else int(digits)
        readable = point in (0x9, 0xA, 0xD) or 0x20 <= point <= 0xD7FF or 0xE000 <= point <= 0xFFFD
        return m[0] if readable or 0x10000 <= point <= 0x10FFFF else m[0][:0]

    if isinstance(html, bytes):
        return re.sub(_CHAR_REFERENCE.encode("ascii"), legal, html)
    return re.sub(_CHAR_REFERENCE, legal, html)


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
    return _collapsed(_raw_text(element))


def _collapsed(pieces: Iterable[str]) -> str:
    return " ".join("".join(pieces).split())


_SEPARATE = {"lb", "p", "head", "quote", "item", "list"}  # elements whose start ends the word before


def _raw_text(element: _Element) -> Iterator[str]:
    """The text under ``element`` in reading order, without its own tail. A line break
    (trafilatura's ``<lb/>`` for ``<br>``) and a block (two ``<p>`` in one list item)
    separate words; inline markup (``<hi>``, ``<ref>``) does not, so "Wort<b>teil</b>"
    stays one word. Comments hold no text.
    """
    if element.tag in _SEPARATE:
        yield " "
    if isinstance(element.tag, str):
        yield element.text or ""
    for child in element:
        yield from _raw_text(child)
        yield child.tail or ""


def _item_texts(item: _Element) -> Iterator[str]:
    """A list item's own words, then the items of a list nested in it, in reading order:
    the item is cut where a nested list stands, so neither its words nor the nested
    items are lost or read twice."""
    pieces = [item.text or ""]
    for child in item:
        if child.tag == "list":
            yield _collapsed(pieces)
            pieces = []
            for nested in child.iterchildren("item"):
                yield from _item_texts(nested)
        else:
            pieces.extend(_raw_text(child))
        pieces.append(child.tail or "")
    yield _collapsed(pieces)


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
                for item in child.iterchildren("item"):
                    for text in _item_texts(item):
                        _paragraph(text)
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


def _canonical(tree: HtmlElement, fetched: str) -> str:
    """The page's own canonical URL (``<link rel=canonical>``, else ``og:url``; a relative
    one read against the fetched URL) when it is believable, else the URL it was fetched
    from; either way in canonical form."""
    declared = [
        *tree.xpath('//head//link[@rel="canonical"]/@href'),
        *tree.xpath('//head//meta[@property="og:url"]/@content'),
    ]
    for href in declared:
        url = _joined(fetched, href)
        if url and _believable(url, fetched):
            return canonical_or_none(url) or canonical_url(fetched)
    return canonical_url(fetched)


def _joined(base: str, href: str) -> str | None:
    """``href`` read against ``base``, or None for one that is no URL (``http://[x``)."""
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return None


def _believable(declared: str, fetched: str) -> bool:
    """Whether a page's claim to be ``declared`` can be its article's identity. One on
    another site could take over that site's article file. A misconfigured template
    names every article of the site alike, so each would overwrite the last: the
    homepage, a section above the fetched page (``/politik/`` of
    ``/politik/artikel-100.html``), or the fetched path without the query that picks the
    article (``/artikel.php`` of ``/artikel.php?id=123``). Above the page is believed
    where only a variant's last segment is dropped (``…/artikel-100/amp``) or the claim
    ends in an article number (``/news/12345`` of ``/news/12345/slug``)."""
    if not declared.startswith(("http://", "https://")) or not same_site(declared, fetched):
        return False
    claimed, path = _segments(declared), _segments(fetched)
    if not claimed:
        return False
    if claimed == path and not urlsplit(declared).query:
        chosen = urlsplit(canonical_or_none(fetched) or fetched).query  # tracking parameters dropped
        return {k.lower() for k, _ in parse_qsl(chosen)} <= _RENDERING_PARAMETERS
    above = len(claimed) < len(path) and path[: len(claimed)] == claimed
    if not above:
        return True
    dropped = {s.lower() for s in path[len(claimed) :]}
    return dropped <= _VARIANT_SEGMENTS or _ARTICLE_NUMBER.fullmatch(claimed[-1]) is not None


# The last segment of a page's other renderings: for print, AMP, the comments.
_VARIANT_SEGMENTS = {"amp", "print", "druck", "druckansicht", "druckversion", "comments", "kommentare"}
# Query parameters that choose how or from where a page is shown, not which article it is.
_RENDERING_PARAMETERS = {"page", "seite", "from", "ref", "source", "view", "output", "amp", "print", "comments"}
_ARTICLE_NUMBER = re.compile(r"\d{5,}")  # longer than a year, as in /news/12345


def _segments(url: str) -> list[str]:
    return [unquote(s) for s in urlsplit(url).path.split("/") if s]
