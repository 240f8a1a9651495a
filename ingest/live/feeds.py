"""Feed documents → items: RSS 0.9x/1.0/2.0 and Atom (``feedparser``), and Google news
sitemaps (``<urlset>`` with ``<news:news>``, the standard library's XML parser).

Pure functions of the fetched bytes, the feed's URL and the current time, so every
bad input is tested directly: a document that is not XML, XML that is no feed, a wrong
charset header, duplicate items, items without a date or dated in the future.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from .errors import LiveError
from .language import declared_language
from .urls import canonical_or_none

MAX_ITEMS = 1000  # a news sitemap holds at most 1,000 URLs; a feed rarely 100
FUTURE_TOLERANCE = timedelta(hours=1)  # clock skew between publisher and us
FULLTEXT_MIN_CHARS = 400  # shorter content:encoded is a teaser: fetch the page instead

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_TAG = re.compile(r"<[^>]+>")
_ELEMENT = re.compile(r"<([A-Za-z_][\w.:-]*)")
# The encodings :func:`root_element` lets through: a UTF-16 document holds no
# ``<!ENTITY`` in bytes, yet its parser expands the entities all the same.
_XML_ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")


def _declaration(*keywords: str) -> re.Pattern[bytes]:
    """Searched through the whole document, not a head of it: a comment inside the
    DOCTYPE can push a declaration past any window while the root element still comes first."""
    forms = {f"<!{k}".encode(enc) for k in keywords for enc in _XML_ENCODINGS}
    return re.compile(b"|".join(re.escape(f) for f in sorted(forms)), re.IGNORECASE)


_ENTITY = _declaration("ENTITY")
_DTD = _declaration("DOCTYPE", "ENTITY")


class FeedError(LiveError):
    """The document is no feed absatz can read; the reason says what it is instead."""

    key = "feed"


@dataclass(frozen=True)
class FeedItem:
    url: str  # canonical
    title: str = ""
    date: str = ""  # YYYY-MM-DD, "" when the item has none
    summary: str = ""
    content_html: str = ""  # the article's full text, when the item carries it
    category: str = ""
    author: str = ""
    note: str = ""  # e.g. a future date that was clamped
    language: str = ""  # as the feed declares it (the text's xml:lang, the feed's <language>)
    stated_date: str = ""  # YYYY-MM-DD as the feed states it, a future one too

    @property
    def has_full_text(self) -> bool:
        return bool(self.content_html)

    @property
    def content_hash(self) -> str:
        """What an edit of the item changes: a new hash means fetch (or convert) again. The
        date as stated, not as clamped: an item dated in the future was dated each poll's
        day, and so fetched and rewritten every day as today's news."""
        h = hashlib.sha256()
        date = self.stated_date or self.date
        for part in (self.url, self.title, date, self.summary, self.content_html, self.category, self.author):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()


@dataclass(frozen=True)
class ParsedFeed:
    kind: str  # rss20, rss10, rss091u, atom10, …, or news-sitemap
    title: str
    items: tuple[FeedItem, ...]
    notes: tuple[str, ...] = ()  # what was dropped or changed, one line each


def parse_feed(data: bytes, url: str, *, now: datetime, headers: dict[str, str] | None = None) -> ParsedFeed:
    """The items of the feed document ``data`` fetched from ``url``.

    ``headers`` are the response's (``content-type`` decides the charset rules, as in
    RFC 3023); ``now`` dates the fetch, for dates in the future.
    """
    root = root_element(data)
    if root is None:
        raise FeedError(url, f"not XML (starts with {_preview(data)!r})")
    local = root.split(":")[-1].lower()
    if local == "html":
        raise FeedError(url, "an HTML page, not a feed (look for the page's RSS link)")
    if local == "urlset":
        return parse_news_sitemap(data, url, now=now)
    if local == "sitemapindex":
        raise FeedError(url, "a sitemap index, not a news sitemap: add one of the sitemaps it lists")
    if local not in ("rss", "rdf", "feed", "channel"):
        raise FeedError(url, f"XML but not a feed (root element <{root}>)")
    if _ENTITY.search(data):  # a feed needs none; they are how XML bombs work
        raise FeedError(url, "the feed declares XML entities: refused")
    return _parse_with_feedparser(data, url, now=now, headers=headers or {})


def root_element(data: bytes) -> str | None:
    """The name of the document's first element, skipping BOM, XML declaration,
    comments and DOCTYPE; ``None`` when the document does not start like XML at all."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data[:8192].decode("utf-16", "replace")
    else:
        text = data[:4096].removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
        elif text[pos : pos + 9].upper() == "<!DOCTYPE":
            end = _doctype_end(text, pos)
        else:
            break
        if end < 0:
            return None
        pos = end + 2
        while pos < len(text) and text[pos] == ">":
            pos += 1
    m = _ELEMENT.match(text, pos)
    return m.group(1) if m else None


def _doctype_end(text: str, pos: int) -> int:
    depth = 0
    for i in range(pos, len(text)):
        if text[i] == "[":
            depth += 1
        elif text[i] == "]":
            depth -= 1
        elif text[i] == ">" and depth <= 0:
            return i - 1
    return -1


def _preview(data: bytes) -> str:
    return " ".join(data[:40].decode("utf-8", "replace").split())


# --- RSS and Atom ---------------------------------------------------------------------------


def _parse_with_feedparser(data: bytes, url: str, *, now: datetime, headers: dict[str, str]) -> ParsedFeed:
    # A stream, never a string: feedparser would fetch a string that looks like a URL.
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-location": url, **{k.lower(): v for k, v in headers.items()}},
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    notes: list[str] = []
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        if isinstance(exc, feedparser.CharacterEncodingOverride):
            notes.append(f"charset: {exc}")
        elif isinstance(exc, feedparser.ThingsNobodyCaresAboutButMe):
            pass  # e.g. a missing or odd Content-Type: the document itself is fine
        elif not parsed.entries:
            raise FeedError(url, f"malformed feed ({_xml_problem(exc)})")
        else:
            notes.append(f"malformed feed read leniently ({_xml_problem(exc)})")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(url, "XML but not an RSS or Atom feed")
    items: list[FeedItem] = []
    language = parsed.feed.get("language", "") or ""
    for entry in parsed.entries[:MAX_ITEMS]:
        item, note = _item_from_entry(entry, url, now, language)
        if note:
            notes.append(note)
        if item:
            items.append(item)
    items, dupes = dedupe(items)
    if dupes:
        notes.append(f"{dupes} duplicate item(s) merged")
    if len(parsed.entries) > MAX_ITEMS:
        notes.append(f"only the first {MAX_ITEMS} of {len(parsed.entries)} items read")
    return ParsedFeed(
        kind=parsed.get("version") or "feed",
        title=_clean(parsed.feed.get("title", "")),
        items=tuple(items),
        notes=tuple(notes),
    )


def _xml_problem(exc: BaseException | None) -> str:
    if isinstance(exc, SAXParseException):
        return f"{exc.getMessage()} at line {exc.getLineNumber()}, column {exc.getColumnNumber()}"
    return f"{type(exc).__name__}: {exc}"


def _item_from_entry(entry: Any, feed_url: str, now: datetime, language: str) -> tuple[FeedItem | None, str]:
    link = entry.get("link") or ""
    if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
        link = entry["id"]  # RSS <guid isPermaLink="true"> without <link>
    title = _clean(entry.get("title", ""))
    if not link:
        return None, f"item {title[:60]!r} has no link: skipped"
    link = urljoin(feed_url, link.strip())
    if not link.startswith(("http://", "https://")):
        return None, f"item link {link[:80]!r} is not http(s): skipped"
    url = canonical_or_none(link)
    if url is None:
        return None, f"item link {link[:80]!r} is malformed: skipped"
    published = _entry_datetime(entry)
    day, note = clamp_date(published, now, url)
    content = ""
    for part in entry.get("content", []) or []:
        value = part.get("value", "") or ""
        if "html" in (part.get("type") or "text/html") and len(_TAG.sub("", value).strip()) >= FULLTEXT_MIN_CHARS:
            content = value
            language = part.get("language") or language
            break
    tags = entry.get("tags") or []
    category = _clean(tags[0].get("term", "") if tags else "")
    return (
        FeedItem(
            url=url,
            title=title,
            date=day,
            stated_date=_day(published),
            summary=_clean(_TAG.sub(" ", entry.get("summary", "") or "")),
            content_html=content,
            category=category,
            author=_clean(entry.get("author", "") or ""),
            note=note,
            language=declared_language(language),
        ),
        note,
    )


def _entry_datetime(entry: Any) -> datetime | None:
    """The item's publication time in its own time zone (so the date is the publisher's),
    from the raw string when it parses, else feedparser's UTC reading."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if raw:
            parsed = parse_datetime(raw)
            if parsed:
                return parsed
            if _impossible_day(raw):  # feedparser would move "31 Jun" on to 1 July
                continue
        struct = entry.get(f"{key}_parsed")
        if struct:
            try:
                return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
            except (ValueError, OverflowError, OSError):
                continue  # a database's zero date (0000-00-00) reads as year -1
    return None


_ISO_DAY = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_RFC_DAY = re.compile(
    r"(?<!\d)(\d{1,2})\s+(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\w*\.?\s+(\d{4})(?!\d)", re.I
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _impossible_day(raw: str) -> bool:
    """Whether ``raw`` names a day no calendar has (2025-06-31, 30 Feb 2025)."""
    days = [(int(y), int(m), int(d)) for y, m, d in _ISO_DAY.findall(raw)]
    days += [(int(y), _MONTHS.index(mon[:3].lower()) + 1, int(d)) for d, mon, y in _RFC_DAY.findall(raw)]
    for year, month, day in days:
        try:
            datetime(year, month, day)
        except ValueError:
            return True
    return False


def parse_datetime(raw: str) -> datetime | None:
    """RFC 822 (RSS) or ISO 8601 / W3C (Atom, sitemaps); a date alone counts as midnight UTC."""
    raw = raw.strip()
    try:
        value = datetime.fromisoformat(raw)  # 3.11+ reads a trailing Z
    except ValueError:
        try:
            value = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def clamp_date(published: datetime | None, now: datetime, url: str) -> tuple[str, str]:
    """``(YYYY-MM-DD, note)``: no date stays no date; a date in the future (beyond a little
    clock skew) becomes the fetch day, with a note saying so."""
    if published is None:
        return "", ""
    if published > now + FUTURE_TOLERANCE:
        today = now.date().isoformat()
        return today, f"item {url}: date {_day(published)} is in the future; dated {today} (the fetch day)"
    return _day(published), ""


def _day(published: datetime | None) -> str:
    return published.date().isoformat() if published else ""


def dedupe(items: list[FeedItem]) -> tuple[list[FeedItem], int]:
    """One item per canonical URL: the first (feeds list the newest first)."""
    seen: set[str] = set()
    out: list[FeedItem] = []
    for item in items:
        if item.url in seen:
            continue
        seen.add(item.url)
        out.append(item)
    return out, len(items) - len(out)


def _clean(text: str) -> str:
    return " ".join(str(text).split())


# --- news sitemaps ------------------------------------------------------------------------


def parse_news_sitemap(data: bytes, url: str, *, now: datetime) -> ParsedFeed:
    """A Google news sitemap: ``<url><loc>`` with ``<news:news>`` (title, publication date).

    A DTD is refused before parsing: a sitemap needs none, and entity definitions are how
    an XML document blows up its parser.
    """
    if _DTD.search(data):
        raise FeedError(url, "the sitemap declares a DTD or entities: refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FeedError(url, f"malformed sitemap XML ({exc})") from None
    if root.tag != f"{{{_SITEMAP_NS}}}urlset":
        raise FeedError(url, f"XML but not a sitemap (root element {root.tag})")
    notes: list[str] = []
    items: list[FeedItem] = []
    entries = root.findall(f"{{{_SITEMAP_NS}}}url")
    site = ""
    plain = 0
    for entry in entries[:MAX_ITEMS]:
        loc = (entry.findtext(f"{{{_SITEMAP_NS}}}loc") or "").strip()
        news = entry.find(f"{{{_NEWS_NS}}}news")
        if news is None:
            plain += 1
            continue
        if not loc.startswith(("http://", "https://")):
            notes.append(f"sitemap entry {loc[:80]!r} is not an http(s) URL: skipped")
            continue
        item_url = canonical_or_none(loc)
        if item_url is None:
            notes.append(f"sitemap entry {loc[:80]!r} is malformed: skipped")
            continue
        site = site or _clean(news.findtext(f"{{{_NEWS_NS}}}publication/{{{_NEWS_NS}}}name") or "")
        raw_date = news.findtext(f"{{{_NEWS_NS}}}publication_date") or ""
        published = parse_datetime(raw_date) if raw_date.strip() else None
        day, note = clamp_date(published, now, item_url)
        if note:
            notes.append(note)
        keywords = _clean(news.findtext(f"{{{_NEWS_NS}}}keywords") or "")
        items.append(
            FeedItem(
                url=item_url,
                title=_clean(news.findtext(f"{{{_NEWS_NS}}}title") or ""),
                date=day,
                stated_date=_day(published),
                category=keywords.split(",")[0].strip() if keywords else "",
                note=note,
            )
        )
    if entries and not items and plain:
        raise FeedError(url, "a sitemap without <news:news> entries: not a news sitemap")
    if plain:
        notes.append(f"{plain} sitemap entr{'y' if plain == 1 else 'ies'} without <news:news> skipped")
    items, dupes = dedupe(items)
    if dupes:
        notes.append(f"{dupes} duplicate item(s) merged")
    return ParsedFeed(kind="news-sitemap", title=site, items=tuple(items), notes=tuple(notes))
