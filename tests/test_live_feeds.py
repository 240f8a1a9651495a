"""Feed documents → items, with every kind of bad document one clear error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.live.feeds import FeedError, parse_feed, root_element

from .web_server import FEEDS

BASE = "https://news.example.de"
NOW = datetime(2025, 6, 12, 9, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FEEDS / name).read_bytes().replace(b"{base}", BASE.encode())


def test_rss20_items_with_duplicates_merged():
    feed = parse_feed(fixture("rss20.xml"), BASE + "/feeds/rss20.xml", now=NOW)
    assert feed.kind == "rss20" and feed.title == "Rheinische Abendpost – Wirtschaft"
    assert [i.url for i in feed.items] == [
        BASE + "/wirtschaft/waermenetz-lindenau-100.html",  # utm_* and the #fragment dropped
        BASE + "/region/hochwasserschutz-mosel-a-41234.html",
    ]
    first = feed.items[0]
    assert (first.title, first.date, first.category) == (
        "Wärmenetz: Stadtwerke Lindenau investieren 120 Millionen Euro",
        "2025-03-14",
        "Wirtschaft",
    )
    assert not first.has_full_text
    assert "1 duplicate item(s) merged" in feed.notes


def test_rss10_rdf():
    feed = parse_feed(fixture("rss10.rdf"), BASE + "/feeds/rss10.rdf", now=NOW)
    assert feed.kind == "rss10"
    assert [(i.url, i.date) for i in feed.items] == [(BASE + "/nachrichten/tarif-nahverkehr-55.html", "2025-02-20")]


def test_atom_relative_links_and_dates():
    feed = parse_feed(fixture("atom.xml"), BASE + "/feeds/atom.xml", now=NOW)
    assert feed.kind == "atom10" and feed.title == "Moselbote – Region"
    assert [(i.url, i.date, i.author) for i in feed.items] == [
        (BASE + "/region/hochwasserschutz-mosel-a-41234.html", "2025-05-02", "Tobias Reuter"),
        (BASE + "/business/port-rail-share.html", "2025-04-08", ""),
    ]


def test_the_date_is_the_publishers_day():
    late = (
        b'<rss version="2.0"><channel><title>t</title><item><title>a</title><link>https://x.de/a</link>'
        b"<pubDate>Thu, 13 Mar 2025 00:30:00 +0100</pubDate></item></channel></rss>"
    )
    # 00:30 in Berlin is still the 12th in UTC: the article is dated as its publisher dated it
    assert parse_feed(late, "https://x.de/feed", now=NOW).items[0].date == "2025-03-13"


def test_news_sitemap():
    feed = parse_feed(fixture("news-sitemap.xml"), BASE + "/sitemap-news.xml", now=NOW)
    assert feed.kind == "news-sitemap" and feed.title == "Rheinische Abendpost"
    assert [(i.url, i.title, i.date) for i in feed.items] == [
        (
            BASE + "/wirtschaft/waermenetz-lindenau-100.html",
            "Wärmenetz: Stadtwerke Lindenau investieren 120 Millionen Euro",
            "2025-03-14",
        ),
        (
            BASE + "/nachrichten/tarif-nahverkehr-55.html",
            "Tarifeinigung im Nahverkehr: Busfahrer bekommen mehr Geld",
            "2025-06-12",
        ),
    ]
    assert feed.items[0].category == "Energie"
    assert any("date 2099-01-01 is in the future; dated 2025-06-12 (the fetch day)" in n for n in feed.notes)
    assert "1 sitemap entry without <news:news> skipped" in feed.notes


def test_full_text_items():
    feed = parse_feed(fixture("fulltext.xml"), BASE + "/feeds/fulltext.xml", now=NOW)
    item = feed.items[0]
    assert item.has_full_text
    assert "<h2>600 zusätzliche Stellen</h2>" in item.content_html


def test_latin1_with_a_wrong_charset_header():
    data = fixture("latin1.xml")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the bytes really are Latin-1
    feed = parse_feed(
        data, BASE + "/feeds/latin1.xml", now=NOW, headers={"content-type": "application/rss+xml; charset=utf-8"}
    )
    assert feed.title == "Südkurier Grünstadt"
    assert feed.items[0].title == "Stadtbücherei Grünstadt öffnet künftig auch sonntags"
    assert "Bürgermeister Jürgen Köhler" in feed.items[0].content_html
    assert any(n.startswith("charset: document declared as utf-8") for n in feed.notes)


def test_missing_and_future_dates():
    doc = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>ohne Datum</title><link>https://x.de/a</link></item>"
        b"<item><title>Zukunft</title><link>https://x.de/b</link>"
        b"<pubDate>Sat, 01 Jan 2033 10:00:00 +0000</pubDate></item>"
        b"<item><title>gleich</title><link>https://x.de/c</link>"
        b"<pubDate>Thu, 12 Jun 2025 09:30:00 +0000</pubDate></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(doc, "https://x.de/feed", now=NOW)
    assert [(i.url[-1], i.date) for i in feed.items] == [("a", ""), ("b", "2025-06-12"), ("c", "2025-06-12")]
    assert (
        feed.items[1].note == "item https://x.de/b: date 2033-01-01 is in the future; dated 2025-06-12 (the fetch day)"
    )
    assert feed.items[2].note == ""  # half an hour ahead is clock skew, not the future


def test_a_day_no_calendar_has_leaves_the_item_undated():
    """feedparser had moved "31 Jun" on to 1 July, and the item was dated a day it never had."""
    doc = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>ISO</title><link>https://x.de/iso</link><pubDate>2025-06-31T10:00:00Z</pubDate></item>"
        b"<item><title>RFC</title><link>https://x.de/rfc</link>"
        b"<pubDate>Mon, 30 Feb 2025 10:00:00 +0000</pubDate></item>"
        b"<item><title>gut</title><link>https://x.de/gut</link>"
        b"<pubDate>Tue, 10 Jun 2025 10:00:00 +0000</pubDate></item>"
        b"</channel></rss>"
    )
    feed = parse_feed(doc, "https://x.de/feed", now=NOW)
    assert [(i.url[-3:], i.date) for i in feed.items] == [("iso", ""), ("rfc", ""), ("gut", "2025-06-10")]


def test_items_without_usable_links_are_skipped_with_a_note():
    doc = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>kein Link</title></item>"
        b"<item><title>mailto</title><link>mailto:redaktion@x.de</link></item>"
        b"<item><title>gut</title><link>https://x.de/gut</link></item></channel></rss>"
    )
    feed = parse_feed(doc, "https://x.de/feed", now=NOW)
    assert [i.url for i in feed.items] == ["https://x.de/gut"]
    assert "item 'kein Link' has no link: skipped" in feed.notes
    assert "item link 'mailto:redaktion@x.de' is not http(s): skipped" in feed.notes


def test_a_zero_date_or_a_port_that_is_no_port_skips_only_its_item():
    doc = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>Nulldatum</title><link>https://x.de/null</link>"
        b"<pubDate>0000-00-00 00:00:00</pubDate></item>"
        b"<item><title>Port</title><link>http://x.de:99999/port</link></item>"
        b"<item><title>gut</title><link>https://x.de/gut</link></item></channel></rss>"
    )
    feed = parse_feed(doc, "https://x.de/feed", now=NOW)
    assert [(i.url, i.date) for i in feed.items] == [("https://x.de/null", ""), ("https://x.de/gut", "")]
    assert "item link 'http://x.de:99999/port' is malformed: skipped" in feed.notes
    sitemap = (
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        b"<url><loc>https://x.de:abc/a</loc><news:news><news:title>A</news:title></news:news></url>"
        b"<url><loc>https://x.de/b</loc><news:news><news:title>B</news:title></news:news></url></urlset>"
    )
    assert [i.url for i in parse_feed(sitemap, "https://x.de/sitemap.xml", now=NOW).items] == ["https://x.de/b"]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b'{"items": []}', "not XML (starts with '{\"items\": []}')"),
        (b"", "not XML (starts with '')"),
        (
            b"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>",
            "an HTML page, not a feed (look for the page's RSS link)",
        ),
        (b"<?xml version='1.0'?><config><a>1</a></config>", "XML but not a feed (root element <config>)"),
        (
            b"<?xml version='1.0'?><!-- c --><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'/>",
            "a sitemap index, not a news sitemap: add one of the sitemaps it lists",
        ),
        (b"<rss version='2.0'><channel><title>kaputt</titel>", "malformed feed (mismatched tag at line"),
        (
            b"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>https://x.de/a</loc></url></urlset>",
            "a sitemap without <news:news> entries: not a news sitemap",
        ),
        (
            b"<?xml version='1.0'?><!DOCTYPE urlset [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
            b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>&b;</loc></url></urlset>",
            "the sitemap declares a DTD or entities: refused",
        ),
        (
            b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
            b"<rss version='2.0'><channel><title>&b;</title></channel></rss>",
            "the feed declares XML entities: refused",
        ),
        (
            b"<?xml version='1.0'?><!DOCTYPE rss [<!-- ] --><rss> " + b"x" * 70_000 + b" --><!ENTITY a 'b'>]>"
            b"<rss version='2.0'><channel><title>&a;</title></channel></rss>",
            "the feed declares XML entities: refused",
        ),
    ],
)
def test_bad_documents_are_one_clear_line(data, reason):
    with pytest.raises(FeedError) as err:
        parse_feed(data, "https://x.de/feed", now=NOW)
    assert str(err.value).startswith(f"https://x.de/feed: {reason}")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize(
    "document, reason",
    [
        (
            "<?xml version='1.0' encoding='{enc}'?><!DOCTYPE urlset [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;'>]>"
            "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'><url><loc>&b;</loc></url></urlset>",
            "the sitemap declares a DTD or entities: refused",
        ),
        (
            "<?xml version='1.0' encoding='{enc}'?><!DOCTYPE rss [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;'>]>"
            "<rss version='2.0'><channel><title>&b;</title></channel></rss>",
            "the feed declares XML entities: refused",
        ),
    ],
)
def test_entities_are_refused_in_every_encoding_a_parser_reads(encoding, document, reason):
    """A UTF-16 document holds no ``<!ENTITY`` in bytes, yet its parser expands the
    entities all the same (4 MB of UTF-16 sitemap had made a 300-million-character title)."""
    data = ("\ufeff" + document.format(enc="UTF-16")).encode(encoding)
    with pytest.raises(FeedError) as err:
        parse_feed(data, "https://x.de/feed", now=NOW)
    assert str(err.value) == f"https://x.de/feed: {reason}"


def test_a_malformed_feed_with_items_is_read_leniently_with_a_note():
    doc = b"<rss version='2.0'><channel><title>t</title><item><title>a</title><link>https://x.de/a</link></item><item><title>b</titel>"
    feed = parse_feed(doc, "https://x.de/feed", now=NOW)
    assert [i.url for i in feed.items] == ["https://x.de/a"]
    assert feed.notes[0].startswith("malformed feed read leniently (mismatched tag at line")


def test_rss091_with_its_doctype_is_read():
    doc = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"><channel><title>Alt</title>'
        b"<item><title>a</title><link>https://x.de/a</link></item></channel></rss>"
    )
    feed = parse_feed(doc, "https://x.de/feed", now=NOW)
    assert feed.kind == "rss091n" and [i.url for i in feed.items] == ["https://x.de/a"]


def test_an_empty_feed_is_no_error():
    feed = parse_feed(b"<rss version='2.0'><channel><title>leer</title></channel></rss>", "https://x.de/feed", now=NOW)
    assert (feed.title, feed.items, feed.notes) == ("leer", (), ())


def test_root_element_skips_the_prolog():
    assert (
        root_element(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- x -->\n<!DOCTYPE rss [<!ENTITY a 'b'>]>\n<rss/>")
        == "rss"
    )
    assert root_element(b"<rdf:RDF xmlns:rdf='x'/>") == "rdf:RDF"
    assert root_element(b"hello") is None
    assert root_element("<?xml version='1.0' encoding='utf-16'?><feed/>".encode("utf-16")) == "feed"


def test_content_hash_changes_with_an_edit():
    feed = parse_feed(fixture("rss20.xml"), BASE + "/feeds/rss20.xml", now=NOW)
    edited = parse_feed(
        fixture("rss20.xml").replace(b"mehr als verdoppeln.", b"mehr als verdreifachen."),
        BASE + "/feeds/rss20.xml",
        now=NOW,
    )
    assert feed.items[0].content_hash != edited.items[0].content_hash
    assert feed.items[1].content_hash == edited.items[1].content_hash


def test_the_language_a_feed_declares_reaches_its_items():
    """RSS ``<language>`` for every item; Atom ``xml:lang`` on the feed or on the text itself."""
    text = "Die Stadt hat am Montag die neue Brücke über den Fluss eröffnet, teilte ein Sprecher mit. " * 6
    rss = (
        "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>t</title>"
        "<language>de-AT</language><item><title>a</title><link>https://x.de/a</link>"
        f"<content:encoded><![CDATA[<p>{text}</p>]]></content:encoded></item></channel></rss>"
    )
    assert [i.language for i in parse_feed(rss.encode(), "https://x.de/feed", now=NOW).items] == ["de"]
    atom = (
        "<feed xmlns='http://www.w3.org/2005/Atom' xml:lang='fi'><title>t</title>"
        "<entry><title>a</title><link href='https://x.de/a'/><id>https://x.de/a</id></entry>"
        f"<entry><title>b</title><link href='https://x.de/b'/><id>https://x.de/b</id>"
        f"<content type='html' xml:lang='en-GB'>&lt;p&gt;{text}&lt;/p&gt;</content></entry></feed>"
    )
    assert [i.language for i in parse_feed(atom.encode(), "https://x.de/feed", now=NOW).items] == ["fi", "en"]


def test_a_link_holding_terminal_escape_sequences_reaches_no_note_or_url_as_such():
    """A hostile feed's link had come back in the notes that `absatz feed add` prints and
    the audit log keeps: it retitled the admin's window, cleared the screen and printed a
    fake red error."""
    hostile = "https://x.de/a\x1b]0;PWNED\x07\x1b[2J\x1b[31mFEHLER: Datenbank geloescht\x1b[0m"
    doc = (
        '<rss version="2.0"><channel><title>t</title>'
        f"<item><title>Zukunft</title><link>{hostile}</link>"
        "<pubDate>Sat, 01 Jan 2033 10:00:00 +0000</pubDate></item>"
        "<item><title>kaputt</title><link>https://x\x1b[2J.de/b</link></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(doc, "https://x.de/feed", now=NOW)
    (item,) = feed.items
    shown = [item.url, item.note, *feed.notes]
    assert item.url.startswith("https://x.de/a%1B]0;PWNED%07%1B[2J%1B[31mFEHLER")
    assert "PWNED" in item.note and not any(c in s for s in shown for c in "\x1b\x07"), shown
