"""The feed registry in SQLite: adding, listing, removing, status lines, backoff."""

from __future__ import annotations

import pytest

from ingest.live.registry import (
    MAX_BACKOFF_S,
    FeedRegistry,
    FeedRegistryError,
    backoff_s,
)


class SimClock:
    def __init__(self, t: float = 1_750_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def registry(tmp_path):
    reg = FeedRegistry(tmp_path / "bot.sqlite3", clock=SimClock())
    yield reg
    reg.close()


def test_add_list_remove(registry):
    feed = registry.add("https://www.tagesschau.de/xml/rss2/", category="Inland", added_by="admin#1")
    assert (feed.url, feed.interval_s, feed.category, feed.added_by) == (
        "https://www.tagesschau.de/xml/rss2/",
        900,
        "Inland",
        "admin#1",
    )
    assert feed.next_poll == registry._clock()  # due at once
    registry.add("https://www.spiegel.de/schlagzeilen/index.rss", interval_s=60)
    assert [f.url for f in registry.feeds()] == [
        "https://www.tagesschau.de/xml/rss2/",
        "https://www.spiegel.de/schlagzeilen/index.rss",
    ]
    registry.mark_seen(feed.url, "https://www.tagesschau.de/a.html", "h1", "tagesschau-de-abc")
    removed = registry.remove("https://www.tagesschau.de/xml/rss2/")
    assert removed.url == feed.url
    assert [f.url for f in registry.feeds()] == ["https://www.spiegel.de/schlagzeilen/index.rss"]
    assert registry.seen_count(feed.url) == 0


@pytest.mark.parametrize(
    "url, interval, message",
    [
        ("ftp://example.com/feed", 900, "ftp://example.com/feed: only http and https URLs are fetched, not ftp"),
        ("file:///etc/passwd", 900, "file:///etc/passwd: only http and https URLs are fetched, not file"),
        ("kein link", 900, "kein link: only http and https URLs are fetched, not a relative URL"),
        (
            "https://user:pw@example.com/rss",
            900,
            "https://user:***@example.com/rss: URLs with a user name or password are not fetched",
        ),
        ("https://example.com/rss", 59, "interval 59 s is below the minimum of 60 s (1 min)"),
        ("https://example.com/rss", 8 * 86400, "interval 691200 s is above the maximum of 604800 s (7 days)"),
        ("https://example.com/rss", "oft", "interval 'oft' is not a number of seconds"),
    ],
)
def test_bad_additions_are_refused_with_a_reason(registry, url, interval, message):
    with pytest.raises(FeedRegistryError) as err:
        registry.add(url, interval_s=interval)
    assert str(err.value) == message
    assert registry.feeds() == []


def test_duplicates_are_refused_also_in_another_spelling(registry):
    registry.add("https://example.com/rss.xml")
    for spelling in ("https://example.com/rss.xml", "HTTPS://EXAMPLE.COM:443/rss.xml?utm_source=x#top"):
        with pytest.raises(FeedRegistryError) as err:
            registry.add(spelling)
        assert str(err.value) == "https://example.com/rss.xml: this feed is already registered"


def test_removing_an_unknown_feed(registry):
    with pytest.raises(FeedRegistryError) as err:
        registry.remove("https://example.com/nope.xml")
    assert str(err.value) == "https://example.com/nope.xml: no such feed is registered"


def test_backoff_doubles_per_failure_capped_at_a_day():
    assert [backoff_s(900, n) for n in range(8)] == [900, 1800, 3600, 7200, 14400, 28800, 57600, 86400]
    assert backoff_s(60, 100) == MAX_BACKOFF_S


def test_a_failing_feed_is_never_asked_more_often_than_a_working_one(registry):
    week = 7 * 86400
    assert [backoff_s(week, n) for n in (1, 5, 100)] == [week] * 3
    assert [backoff_s(2 * 86400, n) for n in (0, 1, 2)] == [2 * 86400] * 3
    registry.add("https://example.com/weekly.xml", interval_s=week)
    failed = registry.record_failure("https://example.com/weekly.xml", "HTTP 503", retry_after_s=3600)
    assert failed.next_poll == registry._clock() + week


def test_failures_back_off_and_a_success_resets(registry):
    clock = registry._clock
    registry.add("https://example.com/rss.xml", interval_s=600)
    start = clock()
    first = registry.record_failure("https://example.com/rss.xml", "HTTP 500")
    assert (first.failures, first.next_poll) == (1, start + 1200)
    assert registry.due(start + 1199) == [] and len(registry.due(start + 1200)) == 1
    clock.advance(1200)
    second = registry.record_failure("https://example.com/rss.xml", "HTTP 500")
    assert (second.failures, second.next_poll) == (2, clock() + 2400)
    throttled = registry.record_failure(
        "https://example.com/rss.xml", "HTTP 429 (retry after 20000 s)", retry_after_s=20000
    )
    assert throttled.next_poll == clock() + 20000  # the server's wish is longer than the backoff
    ok = registry.record_success("https://example.com/rss.xml", etag='"v2"', articles=3, title="Beispiel")
    assert (ok.failures, ok.next_poll, ok.etag, ok.articles_ingested, ok.title) == (
        0,
        clock() + 600,
        '"v2"',
        3,
        "Beispiel",
    )
    assert ok.last_error == "HTTP 429 (retry after 20000 s)"  # the last error stays visible with its time


def test_status_line(registry):
    registry.add("https://example.com/rss.xml", interval_s=900, category="Sport")
    registry.record_failure("https://example.com/rss.xml", "https://example.com/rss.xml: HTTP 404")
    line = registry.get("https://example.com/rss.xml").status_line()
    assert line == (
        "https://example.com/rss.xml · every 15 min · category Sport · last success never · "
        "last error 2025-06-15 15:06 UTC: https://example.com/rss.xml: HTTP 404 · "
        "1 failure(s) in a row, next try 2025-06-15 15:36 UTC · 0 article(s) ingested"
    )


def test_seen_items(registry):
    registry.add("https://a.example/rss")
    registry.add("https://b.example/rss")
    assert registry.seen_hash("https://a.example/rss", "https://n.example/1") is None
    registry.mark_seen("https://a.example/rss", "https://n.example/1", "h1", "n-example-1")
    registry.mark_seen("https://a.example/rss", "https://n.example/1", "h2", "n-example-1")
    assert registry.seen_hash("https://a.example/rss", "https://n.example/1") == "h2"
    assert registry.article_for("https://n.example/1") == "n-example-1"
    assert registry.article_for("https://n.example/2") is None


def test_a_poll_that_outlives_its_feed_leaves_no_seen_items(registry):
    registry.add("https://a.example/rss")
    registry.remove("https://a.example/rss")
    registry.mark_seen("https://a.example/rss", "https://n.example/1", "h1", "n-example-1")
    assert registry.seen_count("https://a.example/rss") == 0
    assert registry.article_for("https://n.example/1") is None


def test_the_registry_survives_a_reopen(tmp_path):
    path = tmp_path / "bot.sqlite3"
    first = FeedRegistry(path)
    first.add("https://example.com/rss.xml", interval_s=120)
    first.close()
    again = FeedRegistry(path)
    assert [(f.url, f.interval_s) for f in again.feeds()] == [("https://example.com/rss.xml", 120)]
    again.close()
