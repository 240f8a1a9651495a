"""Polling real feeds on the loopback server into a corpus folder: every format, items
added, edited and removed between polls, duplicates, bad feeds and bad items (each with
its status line), backoff on simulated time, and a hanging feed that delays nobody.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ingest.live import poller as poller_module
from ingest.live.extract import ExtractError
from ingest.live.feeds import parse_feed
from ingest.live.fetch import Fetcher, FetchPolicy, Refused
from ingest.live.poller import Poller, PollReport
from ingest.live.registry import FeedRegistry
from ingest.parse import parse_markdown
from ingest.sources import load_articles

from .live_helpers import wait_until
from .test_live_registry import SimClock
from .web_server import PAGES, WEB_DATA, expected_page, rss, web

FEED_TYPE = "application/rss+xml; charset=utf-8"


@dataclass
class Live:
    web: object
    clock: SimClock
    registry: FeedRegistry
    corpus: Path


@pytest.fixture
def live(tmp_path, web):
    clock = SimClock()
    registry = FeedRegistry(tmp_path / "bot.sqlite3", clock=clock)
    yield Live(web, clock, registry, tmp_path / "corpus")
    registry.close()


@contextlib.asynccontextmanager
async def poller_for(live: Live, timeout_s: float = 30, **options: int):
    async with Fetcher(FetchPolicy(allow_private=True, timeout_s=timeout_s)) as fetcher:
        yield Poller(live.registry, live.corpus, fetcher, clock=live.clock, **options)


def expected_paragraphs(name: str) -> list[tuple[str, str]]:
    """(heading, text) of each paragraph of a test page, as the corpus parser numbers them."""
    heading, out = "", []
    for block in expected_page(name)["blocks"]:
        if "heading" in block:
            heading = block["heading"]
        else:
            out.append((heading, block["paragraph"]))
    return out


def by_url(corpus: Path) -> dict:
    articles, failures = load_articles([corpus])
    assert failures == []
    return {a.url: a for a in articles}


async def test_every_feed_format_becomes_article_files(live):
    web = live.web
    pages = {name: web.page(name) for name in ("waermenetz", "hochwasser", "tarif", "english")}
    for path in ("/feeds/rss20.xml", "/feeds/rss10.rdf", "/feeds/atom.xml", "/feeds/fulltext.xml", "/feeds/latin1.xml"):
        web.fixture(path, "feeds" + path[6:], content_type=FEED_TYPE)  # latin1.xml: Latin-1 bytes, a UTF-8 header
        live.registry.add(web.url(path))
    async with poller_for(live) as poller:
        report = await poller.poll_due()

    assert [o.line() for o in report.outcomes if not o.ok] == []
    assert len(report.written) == 6 and all(a.created for a in report.written)
    assert sorted(p.relative_to(live.corpus).parts[:2] for p in live.corpus.rglob("*.md")) == [("web", "127-0-0-1")] * 6
    # hochwasser is in two feeds (RSS 2.0 and Atom), waermenetz twice in one: each page fetched once
    for name in pages:
        assert web.hits[expected_page(name)["path"]] == 1, name
    # items that carry their text are never fetched
    assert web.hits["/landtag/schulgesetz-2025.html"] == 0 and web.hits["/lokales/buecherei-sonntag-77.html"] == 0

    stored = by_url(live.corpus)
    for name, url in pages.items():
        article = stored[url]
        assert [(p.heading, p.text) for p in article.paragraphs] == expected_paragraphs(name), name
        assert (article.title, article.source) == (expected_page(name)["title"], expected_page(name)["site"])
    assert (
        stored[pages["tarif"]].date == "2025-02-20" and stored[pages["tarif"]].author_code == "Lena Vogt; Deniz Aydin"
    )
    assert stored[pages["waermenetz"]].category == "Wirtschaft"

    schule = stored[web.url("/landtag/schulgesetz-2025.html")]
    assert (schule.title, schule.date, schule.source) == (
        "Landtag beschließt verlässliche Ganztagsbetreuung an Grundschulen",
        "2025-06-11",
        "Landtagsdienst Sachsen-Anhalt",
    )
    assert schule.headings == ["600 zusätzliche Stellen"] and len(schule.paragraphs) == 3
    buecherei = stored[web.url("/lokales/buecherei-sonntag-77.html")]
    assert buecherei.title == "Stadtbücherei Grünstadt öffnet künftig auch sonntags"
    assert "Bürgermeister Jürgen Köhler" in buecherei.paragraphs[0].text
    assert buecherei.headings == ["Ehrenamtliche übernehmen die Aufsicht"]

    latin1 = live.registry.get(web.url("/feeds/latin1.xml"))
    assert "charset: document declared as utf-8" in latin1.status_line()
    assert sum(f.articles_ingested for f in live.registry.feeds()) == 6
    announced = {a.url: a for a in report.written}[pages["waermenetz"]]
    assert announced.lead.startswith("Die Stadtwerke Lindenau wollen ihr Fernwärmenetz")
    assert announced.source == "Rheinische Abendpost"


async def test_news_sitemap_with_a_future_date(live):
    web = live.web
    waerme, tarif = web.page("waermenetz"), web.page("tarif")
    web.fixture("/sitemap-news.xml", "feeds/news-sitemap.xml", content_type="application/xml")
    live.registry.add(web.url("/sitemap-news.xml"))
    async with poller_for(live) as poller:
        report = await poller.poll_due()
    assert sorted(a.url for a in report.written) == sorted([waerme, tarif])
    stored = by_url(live.corpus)
    assert stored[waerme].date == "2025-03-14"
    assert stored[tarif].date == "2025-06-15"  # 2099 in the sitemap: the fetch day
    line = live.registry.get(web.url("/sitemap-news.xml")).status_line()
    assert f"item {tarif}: date 2099-01-01 is in the future; dated 2025-06-15 (the fetch day)" in line
    assert "2 article(s) ingested" in line
    # The next day the sitemap has changed (a news sitemap always does), but that item
    # has not: dated once, not fetched again and dated anew as each day's news.
    sitemap = (WEB_DATA / "feeds/news-sitemap.xml").read_text(encoding="utf-8").replace("{base}", web.base)
    web.set("/sitemap-news.xml", sitemap + "\n<!-- neu -->\n", "application/xml")
    async with poller_for(live) as poller:
        live.clock.advance(86400)
        later = await poller.poll_due()
    assert later.outcomes and later.written == [] and by_url(live.corpus)[tarif].date == "2025-06-15"


async def test_items_added_edited_and_removed_between_polls(live):
    web = live.web
    a_url, b_url, c_url = web.page("waermenetz"), web.page("hochwasser"), web.page("tarif")
    a_path, b_path, c_path = (expected_page(n)["path"] for n in ("waermenetz", "hochwasser", "tarif"))
    item_a = {
        "title": "Wärmenetz",
        "link": a_url,
        "date": "Fri, 14 Mar 2025 06:30:00 +0100",
        "description": "Fassung 1",
    }
    item_b = {"title": "Hochwasser", "link": b_url, "date": "Fri, 02 May 2025 17:45:00 +0200"}
    item_c = {"title": "Tarif", "link": c_url, "date": "Thu, 20 Feb 2025 12:05:00 +0100"}

    def publish(*items):
        web.set("/feeds/live.xml", rss("Live", list(items)), FEED_TYPE)

    publish(item_a, item_b)
    live.registry.add(web.url("/feeds/live.xml"), interval_s=300)
    async with poller_for(live) as poller:
        first = await poller.poll_due()
        files = {a.url: a.path for a in first.written}
        assert sorted(files) == sorted([a_url, b_url])
        b_mtime = files[b_url].stat().st_mtime_ns

        live.clock.advance(299)
        assert (await poller.poll_due()).outcomes == ()  # not due yet

        live.clock.advance(1)
        web.reset_counts()
        unchanged = await poller.poll_due()
        assert [o.status for o in unchanged.outcomes] == ["not-modified"] and unchanged.written == []
        assert dict(web.hits) == {"/feeds/live.xml": 1}  # one request, a 304 without a body
        assert web.bytes_sent["/feeds/live.xml"] <= 300

        # edit A (the item and its page), remove B, add C
        page = (PAGES / "waermenetz.html").read_text(encoding="utf-8").replace("{base}", web.base)
        update = "Update: Die Stadtwerke haben den Baubeginn auf Juni verschoben."
        web.set(
            a_path,
            page.replace("<p>Der Stadtrat soll im April", f"<p>{update}</p>\n<p>Der Stadtrat soll im April"),
            "text/html",
        )
        publish({**item_a, "description": "Fassung 2"}, item_c)
        live.clock.advance(300)
        web.reset_counts()
        third = await poller.poll_due()
        assert {a.url: a.created for a in third.written} == {a_url: False, c_url: True}
        assert web.hits[b_path] == 0  # the removed item is not fetched …
        assert files[b_url].exists() and files[b_url].stat().st_mtime_ns == b_mtime  # … and its article stays
        edited = parse_markdown(files[a_url].read_text(encoding="utf-8"), "x")
        assert [p.text for p in edited.paragraphs][-2:] == [update, expected_paragraphs("waermenetz")[-1][1]]

        # the item changes, its page does not: fetched, but the file is not rewritten
        a_mtime = files[a_url].stat().st_mtime_ns
        publish({**item_a, "description": "Fassung 3"}, item_c)
        live.clock.advance(300)
        web.reset_counts()
        fourth = await poller.poll_due()
        assert fourth.written == [] and [o.status for o in fourth.outcomes] == ["ok"]
        assert web.hits[a_path] == 1 and web.hits[c_path] == 0  # the unchanged item is not even fetched
        assert files[a_url].stat().st_mtime_ns == a_mtime
    assert live.registry.get(web.url("/feeds/live.xml")).articles_ingested == 3  # A, B, C: an edit is no new article


async def test_duplicates_across_feeds_are_one_article_also_in_later_rounds(live):
    web = live.web
    url = web.page("waermenetz")
    web.set("/feeds/one.xml", rss("Eins", [{"title": "W", "link": url}]), FEED_TYPE)
    live.registry.add(web.url("/feeds/one.xml"))
    async with poller_for(live) as poller:
        assert len((await poller.poll_due()).written) == 1
        web.set("/feeds/two.xml", rss("Zwei", [{"title": "W", "link": url + "?utm_source=zwei#top"}]), FEED_TYPE)
        live.registry.add(web.url("/feeds/two.xml"))
        second = await poller.poll_due()
    assert second.written == [] and [o.status for o in second.outcomes] == ["ok"]
    assert web.hits[expected_page("waermenetz")["path"]] == 1  # known from the first feed: not fetched again
    assert len(list(live.corpus.rglob("*.md"))) == 1


async def test_a_feed_s_text_for_another_site_s_link_is_not_that_site_s_article(live):
    """A feed carrying its own full text for a link on another site (``localhost`` here,
    the feed on ``127.0.0.1``) would write that text as the other site's article: the
    page itself is fetched instead."""
    web = live.web
    page = web.page("waermenetz")
    foreign = page.replace("127.0.0.1", "localhost")
    made_up = (
        "<p>" + "Die Stadt hat heute überraschend alle Gebühren abgeschafft, teilte ein Sprecher mit. " * 8 + "</p>"
    )
    web.set("/feeds/fremd.xml", rss("Fremd", [{"title": "Wärmenetz", "link": foreign, "content": made_up}]), FEED_TYPE)
    live.registry.add(web.url("/feeds/fremd.xml"))
    async with poller_for(live) as poller:
        report = await poller.poll_due()
    assert [o.status for o in report.outcomes] == ["ok"] and len(report.written) == 1
    assert web.hits[expected_page("waermenetz")["path"]] == 1
    (article,) = load_articles([live.corpus])[0]
    assert [(p.heading, p.text) for p in article.paragraphs] == expected_paragraphs("waermenetz")
    # registered on the link's site, but redirected to another one that serves the text
    flood = web.page("hochwasser").replace("127.0.0.1", "localhost")
    web.set("/feeds/dort.xml", rss("Dort", [{"title": "Hochwasser", "link": flood, "content": made_up}]), FEED_TYPE)
    web.set("/feeds/weiter", "", "text/plain", status=302, Location=web.url("/feeds/dort.xml"))
    live.registry.add(web.url("/feeds/weiter").replace("127.0.0.1", "localhost"))
    async with poller_for(live) as poller:
        report = await poller.poll_due()
    assert len(report.written) == 1 and web.hits[expected_page("hochwasser")["path"]] == 1
    stored = {a.url: a for a in load_articles([live.corpus])[0]}
    assert [(p.heading, p.text) for p in stored[flood].paragraphs] == expected_paragraphs("hochwasser")


async def test_a_feed_s_declared_language_judges_a_text_too_short_to_tell(live):
    """A short Finnish text in a feed that says ``<language>fi</language>`` had passed
    ``FEEDS_LANGUAGES=de,en``: the text alone cannot be named, and the feed's word was not
    heard. A text that shows its language clearly is judged by itself."""
    web = live.web
    finnish = (
        "<p>Hallitus kertoi keskiviikkona, että pienten yritysten verotus kevenee ensi vuonna. Ministeriön "
        "mukaan muutos on tärkeä askel talouden kannalta, ja sitä seuraavat muut toimet syksyllä.</p>" * 3
    )
    german = "<p>" + "Die Stadt hat am Montag die neue Brücke über den Fluss eröffnet, teilte ein Sprecher mit. " * 6
    items = [
        {"title": "Verotus", "link": web.url("/uutiset/verotus"), "content": finnish},
        {"title": "Brücke", "link": web.url("/nachrichten/bruecke"), "content": german + "</p>"},
    ]
    web.set("/feeds/suomi.xml", rss("Uutiset", items, language="fi-FI"), FEED_TYPE)
    live.registry.add(web.url("/feeds/suomi.xml"))
    async with poller_for(live) as poller:
        report = await poller.poll_due()
    (outcome,) = report.outcomes
    assert [a.url for a in outcome.written] == [web.url("/nachrichten/bruecke")]
    refusal = "the article is in the language fi; only German and English articles are ingested"
    assert f"item {web.url('/uutiset/verotus')}: {refusal}" in outcome.notes


async def test_an_article_already_in_the_corpus_is_known_to_every_feed(live):
    web = live.web
    url = web.page("tarif")
    path = expected_page("tarif")["path"]
    async with poller_for(live) as poller:
        assert (await poller.fetch_page(url)) is not None  # an admin ingested the page by hand
        web.set("/feeds/one.xml", rss("Eins", [{"title": "T", "link": url}]), FEED_TYPE)
        live.registry.add(web.url("/feeds/one.xml"))
        first = await poller.poll_due()
        assert first.written == [] and web.hits[path] == 2  # fetched, the file was up to date
        web.set("/feeds/two.xml", rss("Zwei", [{"title": "T", "link": url}]), FEED_TYPE)
        live.registry.add(web.url("/feeds/two.xml"))
        live.clock.advance(900)
        await poller.poll_due()
    assert web.hits[path] == 2  # the second feed knows the article from the first


async def test_a_latin1_page_named_only_by_its_header(live):
    web = live.web
    html = (PAGES / "hochwasser.html").read_text(encoding="utf-8").replace('<meta charset="utf-8">', "")
    for typographic, plain in (("„", '"'), ("“", '"'), ("–", "-"), ("€", "EUR")):  # Latin-1 has none of them
        html = html.replace(typographic, plain)
    html = html.replace("{base}", web.base)
    web.set("/latin1/hochwasser.html", html.encode("iso-8859-1"), "text/html; charset=iso-8859-1")
    async with poller_for(live) as poller:
        written = await poller.fetch_page(web.url("/latin1/hochwasser.html"))
    article = parse_markdown(written.path.read_text(encoding="utf-8"), written.article_id)
    assert article.title == "Hochwasserschutz an der Mosel: Land gibt Deiche frei"
    assert article.paragraphs[1].text.startswith(
        "Das Umweltministerium in Mainz hat am Freitag die Pläne für den Hochwasserschutz"
    )


BAD_FEEDS = {
    "/hang": "no complete response within 2 s",
    "/status/404": "HTTP 404",
    "/status/500": "HTTP 500",
    "/status/429": "HTTP 429 (retry after 7200 s)",
    "/loop/a": "redirect loop back to",
    "/not-xml": 'not XML (starts with \'{"items": [], "note": "this is JSON"}\')',
    "/not-feed.xml": "XML but not a feed (root element <config>)",
    "/html-page": "an HTML page, not a feed",
    "/huge": "the response is larger than the limit of 5 MB",
}


async def test_bad_feeds_fail_alone_each_with_one_status_line(live):
    web = live.web
    web.page("waermenetz"), web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    live.registry.add(web.url("/feeds/rss20.xml"))
    for path in BAD_FEEDS:
        live.registry.add(web.url(path))
    async with poller_for(live, timeout_s=2) as poller:
        report = await poller.poll_due()  # the hanging feed times out in the same round

    outcomes = {o.feed_url: o for o in report.outcomes}
    good = outcomes[web.url("/feeds/rss20.xml")]
    assert good.ok and len(good.written) == 2 and all(a.path.exists() for a in good.written)
    good_line = live.registry.get(web.url("/feeds/rss20.xml")).status_line()
    assert "last success 2025-06-15 15:06 UTC" in good_line and "2 article(s) ingested" in good_line
    for path, reason in BAD_FEEDS.items():
        outcome = outcomes[web.url(path)]
        assert outcome.status == "failed" and reason in outcome.error, path
        assert "\n" not in outcome.line()
        feed = live.registry.get(web.url(path))
        assert feed.failures == 1
        line = feed.status_line()
        assert "last success never" in line and reason in line and "0 article(s) ingested" in line, line
    throttled = live.registry.get(web.url("/status/429"))
    assert throttled.next_poll == live.clock() + 7200  # Retry-After is longer than the backoff (1800 s)
    assert live.registry.get(web.url("/status/500")).next_poll == live.clock() + 1800


async def test_item_problems_are_noted_and_the_rest_is_ingested(live):
    web = live.web
    waerme, hoch = web.page("waermenetz"), web.page("hochwasser")
    web.fixture("/fr/budget.html", "pages/francais.html")
    web.fixture("/video/sturm.html", "pages/video.html")
    web.fixture("/private/artikel.html", "pages/tarif.html")
    bad = {
        web.url("/fr/budget.html"): "the article is in French (fr); only German and English articles are ingested",
        web.url("/video/sturm.html"): "no article text found on the page (only",
        web.url("/private/artikel.html"): "robots.txt disallows fetching this page",
        web.url("/status/404"): "HTTP 404",
        web.url("/status/500"): "HTTP 500",
    }
    items = [
        {"title": "ohne Datum", "link": waerme},
        {"title": "aus der Zukunft", "link": hoch, "date": "Sat, 01 Jan 2033 10:00:00 +0000"},
    ] + [
        {"title": f"schlecht {i}", "link": url, "date": "Mon, 09 Jun 2025 10:00:00 +0200"} for i, url in enumerate(bad)
    ]
    web.set("/feeds/mixed.xml", rss("Gemischt", items), FEED_TYPE)
    live.registry.add(web.url("/feeds/mixed.xml"), interval_s=600)
    async with poller_for(live) as poller:
        report = await poller.poll_due()
        (outcome,) = report.outcomes
        assert outcome.ok and sorted(a.url for a in outcome.written) == sorted([waerme, hoch])
        for url, reason in bad.items():
            assert any(n.startswith(f"item {url}: {reason}") for n in outcome.notes), url
        assert f"item {hoch}: date 2033-01-01 is in the future; dated 2025-06-15 (the fetch day)" in outcome.notes
        stored = by_url(live.corpus)
        assert stored[waerme].date == "2025-03-14"  # no date in the item: the page's
        assert stored[hoch].date == "2025-06-15"
        feed = live.registry.get(web.url("/feeds/mixed.xml"))
        assert (feed.failures, feed.articles_ingested) == (0, 2)
        assert feed.last_error.startswith("6 notes; first: item ")

        # next time the feed changes: pages that cannot become articles are not asked again,
        # a server error is
        web.set(
            "/feeds/mixed.xml",
            rss("Gemischt", [*items, {"title": "neu", "link": web.url("/status/404?neu")}]),
            FEED_TYPE,
        )
        live.clock.advance(600)
        web.reset_counts()
        await poller.poll_due()
    assert web.hits["/fr/budget.html"] == web.hits["/video/sturm.html"] == web.hits[waerme[len(web.base) :]] == 0
    assert web.hits["/status/500"] == 1 and web.hits["/status/404"] == 1  # the 404 is the new item's


async def test_an_item_whose_page_failed_for_now_is_retried_while_the_feed_is_unchanged(live):
    web = live.web
    path = expected_page("waermenetz")["path"]
    web.set(path, "Wartung, bitte später", "text/plain", status=503)
    item = {"title": "Wärmenetz", "link": web.url(path), "date": "Fri, 14 Mar 2025 06:30:00 +0100"}
    web.set("/feeds/live.xml", rss("Live", [item]), FEED_TYPE)
    live.registry.add(web.url("/feeds/live.xml"), interval_s=300)
    async with poller_for(live) as poller:
        (first,) = (await poller.poll_due()).outcomes
        assert first.written == () and first.notes == (f"item {web.url(path)}: HTTP 503; trying again later",)
        url = web.page("waermenetz")  # the page is back, the feed unchanged
        live.clock.advance(300)
        (second,) = (await poller.poll_due()).outcomes
        assert second.status == "ok" and [a.url for a in second.written] == [url]
        live.clock.advance(300)
        (third,) = (await poller.poll_due()).outcomes
    assert third.status == "not-modified"  # nothing left to retry: the feed's validators count again
    assert web.hits[path] == 2


async def test_an_item_redirected_to_an_address_no_lookup_can_find_is_not_fetched_again(live):
    """ "Location: http://[bad" is read as the host "%5bbad": its DNS failure had been taken
    for one that passes, and the item fetched again at every poll."""
    web = live.web
    web.set("/weiter", "", "text/plain", status=302, Location="http://[bad")
    item = {"title": "Weiter", "link": web.url("/weiter"), "date": "Fri, 14 Mar 2025 06:30:00 +0100"}
    web.set("/feeds/live.xml", rss("Live", [item]), FEED_TYPE)
    live.registry.add(web.url("/feeds/live.xml"), interval_s=300)
    async with poller_for(live) as poller:
        (first,) = (await poller.poll_due()).outcomes
        assert first.notes == (
            f"item {web.url('/weiter')}: redirected to http://[bad: its host is not a valid host name",
        )
        live.clock.advance(300)
        (second,) = (await poller.poll_due()).outcomes
    assert second.notes == () and web.hits["/weiter"] == 1


async def test_an_item_refused_while_robots_txt_was_unavailable_is_tried_again(live):
    """'robots.txt unavailable; trying again later' must be true for the item too."""
    web = live.web
    url = web.page("waermenetz")
    web.set("/robots.txt", "Wartung", "text/plain", status=503)
    item = {"title": "Wärmenetz", "link": url, "date": "Fri, 14 Mar 2025 06:30:00 +0100"}
    web.set("/feeds/live.xml", rss("Live", [item]), FEED_TYPE)
    live.registry.add(web.url("/feeds/live.xml"), interval_s=300)
    async with Fetcher(FetchPolicy(allow_private=True, timeout_s=30), monotonic=live.clock) as fetcher:
        poller = Poller(live.registry, live.corpus, fetcher, clock=live.clock)
        (first,) = (await poller.poll_due()).outcomes
        assert first.written == () and first.notes[0].endswith("robots.txt unavailable (HTTP 503); trying again later")
        web.set("/robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        live.clock.advance(600)
        (second,) = (await poller.poll_due()).outcomes
    assert [a.url for a in second.written] == [url]


async def test_a_long_feed_is_read_newest_first_and_the_rest_at_the_next_poll(live):
    """Oldest first, as news sitemaps often are; an item without a date comes after the dated ones."""
    web = live.web
    days = ["01", "02", "", "03", "04"]
    items = [
        {"title": f"Nr. {i}", "link": web.url(f"/a/{i}.html"), "date": f"{day} Jun 2025 10:00:00 +0000" if day else ""}
        for i, day in enumerate(days)
    ]  # no such pages: each one a note, and not asked for again
    web.set("/feeds/long.xml", rss("Lang", items), FEED_TYPE)
    live.registry.add(web.url("/feeds/long.xml"), interval_s=300)

    def asked() -> list[int]:
        return [i for i in range(len(days)) if web.hits[f"/a/{i}.html"]]

    async with poller_for(live, max_items=3) as poller:
        (first,) = (await poller.poll_due()).outcomes
        assert asked() == [1, 3, 4] and first.items == 3
        note = "5 new or changed items: the newest 3 read, 2 left for the next poll"
        assert first.notes[0] == note and note in first.line()
        assert live.registry.get(web.url("/feeds/long.xml")).last_error == f"4 notes; first: {note}"
        web.reset_counts()
        live.clock.advance(300)
        (second,) = (await poller.poll_due()).outcomes
        assert asked() == [0, 2] and second.items == 5 and not any("left for" in n for n in second.notes)
        live.clock.advance(300)
        (third,) = (await poller.poll_due()).outcomes
    assert third.status == "not-modified"


async def test_a_feed_removed_while_it_is_polled_stops_no_other_feed(live):
    """The real loop: the removed feed's poll ends quietly and the others are polled on."""
    web = live.web
    web.set("/feeds/live.xml", rss("Live", []), FEED_TYPE)
    live.registry.add(web.url("/hang"))
    live.registry.add(web.url("/feeds/live.xml"))
    reports: asyncio.Queue[PollReport] = asyncio.Queue()
    stop = asyncio.Event()
    async with poller_for(live) as poller:
        loop = asyncio.create_task(poller.run_forever(stop, reports.put))

        async def next_report() -> PollReport:
            """The loop's next report, or what ended the loop instead."""
            got = asyncio.ensure_future(reports.get())
            await asyncio.wait([got, loop], timeout=60, return_when=asyncio.FIRST_COMPLETED)
            if got.done():
                return got.result()
            got.cancel()
            if loop.done():
                loop.result()
            raise AssertionError(f"no report within 60 s; the loop: {loop}")

        first = await next_report()
        assert [o.feed_url for o in first.outcomes] == [web.url("/feeds/live.xml")]
        await wait_until(lambda: web.hits["/hang"] == 1, 60, "the hanging feed's request")
        live.registry.remove(web.url("/hang"))
        web.release.set()
        (removed,) = (await next_report()).outcomes
        assert (removed.status, removed.line()) == ("removed", f"{web.url('/hang')}: removed, skipped")
        assert live.registry.get(web.url("/hang")) is None
        live.clock.advance(900)
        poller.wake()
        (again,) = (await next_report()).outcomes
        assert (again.feed_url, again.status) == (web.url("/feeds/live.xml"), "not-modified")
        stop.set()
        await asyncio.wait_for(loop, 30)


async def test_a_failing_feed_backs_off_on_simulated_time(live):
    web = live.web
    live.registry.add(web.url("/status/500"), interval_s=60)
    waits = [120, 240, 480, 960, 1920, 3840, 7680, 15360, 30720, 61440, 86400, 86400]
    async with poller_for(live) as poller:
        for wait in waits:
            assert [o.status for o in (await poller.poll_due()).outcomes] == ["failed"]
            live.clock.advance(wait - 1)
            assert (await poller.poll_due()).outcomes == ()
            live.clock.advance(1)
        assert web.hits["/status/500"] == len(waits)
        assert live.registry.get(web.url("/status/500")).failures == len(waits)
        web.set("/status/500", rss("Wieder da", []), FEED_TYPE)  # the feed recovers
        (back,) = (await poller.poll_due()).outcomes
    assert back.ok
    feed = live.registry.get(web.url("/status/500"))
    assert (feed.failures, feed.next_poll) == (0, live.clock() + 60)
    assert "last success 2025-" in feed.status_line() and "HTTP 500" in feed.status_line()


async def test_a_feed_slow_to_parse_delays_no_other(live, monkeypatch):
    """Parsing runs beside the loop, as extraction does: a feed of 1,000 long items takes
    seconds to parse, and had held every other feed's fetches (and their timeouts) meanwhile."""
    web = live.web
    web.page("waermenetz"), web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml", content_type=FEED_TYPE)
    web.set("/feeds/langsam.xml", rss("Langsam", []), FEED_TYPE)
    for path in ("/feeds/langsam.xml", "/feeds/rss20.xml"):
        live.registry.add(web.url(path))
    other_page = expected_page("hochwasser")["path"]
    parsed_after_the_other: list[bool] = []

    def slow_parse(data, url, **kw):
        if url.endswith("/langsam.xml"):  # busy until the other feed's page was fetched
            deadline = time.monotonic() + 60
            while not web.hits[other_page] and time.monotonic() < deadline:
                time.sleep(0.05)
            parsed_after_the_other.append(bool(web.hits[other_page]))
        return parse_feed(data, url, **kw)

    monkeypatch.setattr(poller_module, "parse_feed", slow_parse)
    async with poller_for(live) as poller:
        report = await poller.poll_due()
    assert parsed_after_the_other == [True] and len(report.written) == 2


async def test_a_hanging_feed_never_delays_the_others(tmp_path, web):
    """The real loop: the good feed is reported while the other one still hangs."""
    registry = FeedRegistry(tmp_path / "bot.sqlite3")  # real time
    web.page("waermenetz"), web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    registry.add(web.url("/hang"))
    registry.add(web.url("/feeds/rss20.xml"))
    reports: asyncio.Queue = asyncio.Queue()
    stop = asyncio.Event()
    async with Fetcher(FetchPolicy(allow_private=True, timeout_s=120)) as fetcher:
        poller = Poller(registry, tmp_path / "corpus", fetcher)
        loop = asyncio.create_task(poller.run_forever(stop, reports.put))
        first = await asyncio.wait_for(reports.get(), 60)
        assert [o.feed_url for o in first.outcomes] == [web.url("/feeds/rss20.xml")]
        assert len(first.written) == 2 and all(p.exists() for p in first.paths)
        assert web.hits["/hang"] == 1  # still waiting for its answer
        web.release.set()
        second = await asyncio.wait_for(reports.get(), 60)
        assert [o.feed_url for o in second.outcomes] == [web.url("/hang")]
        assert poller.seconds_until_due(max_sleep_s=3600) > 800  # both polled: next one in about 15 min
        stop.set()
        await asyncio.wait_for(loop, 30)
    registry.close()


async def test_fetch_page_writes_one_web_article(live):
    web = live.web
    url = web.page("tarif")
    web.fixture("/fr/budget.html", "pages/francais.html")
    web.fixture("/private/artikel.html", "pages/tarif.html")
    async with poller_for(live) as poller:
        first = await poller.fetch_page(url + "?utm_source=share", category="Wirtschaft")
        assert first.created and first.url == url and first.path.exists()
        assert first.lead.startswith("Nach drei Warnstreiks")
        parsed = parse_markdown(first.path.read_text(encoding="utf-8"), first.article_id)
        assert (parsed.category, parsed.author_code, parsed.date) == (
            "Wirtschaft",
            "Lena Vogt; Deniz Aydin",
            "2025-02-20",
        )
        assert await poller.fetch_page(url, category="Wirtschaft") is None  # unchanged: nothing written
        with pytest.raises(ExtractError, match=r"is in French \(fr\)"):
            await poller.fetch_page(web.url("/fr/budget.html"))
        with pytest.raises(Refused, match=r"robots\.txt disallows"):
            await poller.fetch_page(web.url("/private/artikel.html"))
    assert len(list(live.corpus.rglob("*.md"))) == 1
