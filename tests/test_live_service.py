"""The live corpus as a service (absatz.live): a watched folder of real files, ingests
one at a time through the core's write protocol, feeds and pages, follows.

The watched-folder test runs the ingest in a child process, as ``absatz serve`` does;
the others ingest in this process (same protocol, faster) unless they test the
child's lock."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from absatz.db.follows import FollowExists, FollowLimit, FollowStore, UnknownFollow
from absatz.follows import match_follows
from absatz.live import LiveService, LiveSettings, parse_interval
from ingest.live.registry import BadInterval
from ingest.lock import IngestBusy, IngestLock, lock_path
from vectorstore.errors import StoreUnavailable

from .live_helpers import (
    SOLAR,
    SOLAR_QUESTION,
    WAERME_QUESTION,
    WAIT_S,
    build_core,
    copy_corpus,
    wait_until,
)
from .web_server import expected_page, web


def live_settings(**changes) -> LiveSettings:
    values = dict(allow_private=True, watch=True, poll=False, watch_quiet_ms=300, timeout_s=60)
    values.update(changes)
    return LiveSettings(**values)


class Running:
    """A LiveService watching its corpus folder in a task; batches land in a queue."""

    def __init__(self, core, settings: LiveSettings, **kwargs):
        self.batches: asyncio.Queue = asyncio.Queue()
        self.service = LiveService(core, settings, on_batch=self.batches.put, **kwargs)
        self.stop = asyncio.Event()
        self.task: asyncio.Task | None = None

    async def __aenter__(self) -> Running:
        await self.service.__aenter__()
        ready = asyncio.Event()
        self.task = asyncio.create_task(self.service.run(self.stop, ready))
        await asyncio.wait_for(ready.wait(), WAIT_S)
        return self

    async def __aexit__(self, *exc) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, WAIT_S)
        await self.service.__aexit__(*exc)
        self.service.close()

    async def next(self):
        return await asyncio.wait_for(self.batches.get(), WAIT_S)


def cited(answer) -> list[str]:
    return [c.id for c in answer.citations]


async def test_a_watched_folder_of_real_files_ingested_in_a_child_process(tmp_path, embedder):
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    inbox = corpus / "inbox"
    inbox.mkdir()
    async with Running(core, live_settings(), isolated=True) as live:
        # a new file: ingested (in a child process) and answerable
        path = inbox / "solar.txt"
        path.write_text(SOLAR, encoding="utf-8")
        batch = await live.next()
        assert batch.report.added == ["solar"] and batch.report.failed == []
        assert [a.first_citation for a in batch.articles] == ["solar#1"]
        assert batch.articles[0].title.startswith("In Rostock hat die erste schwimmende Solaranlage")
        assert "solar#2" in cited(core.ask(SOLAR_QUESTION))

        # the file turns unreadable (binary garbage): reported, and nothing stored is lost
        path.write_bytes(b"\x00\xff\xfe" * 200)
        batch = await live.next()
        assert batch.report.removed == [] and batch.report.added == []
        assert [f.path.endswith("solar.txt") for f in batch.report.failed] == [True]
        assert "solar#2" in cited(core.ask(SOLAR_QUESTION))

        # deleted: gone from the index (its folder is what the ingest reads)
        path.unlink()
        batch = await live.next()
        assert batch.report.removed == ["solar"]
        assert not any(c.startswith("solar#") for c in cited(core.ask(SOLAR_QUESTION)))
    actions = {(e.actor, e.action) for e in core.audit.recent(20)}
    assert ("live:watcher", "watch") in actions  # every ingest audited, by the core


async def test_changes_during_an_ingest_wait_and_go_in_one_batch(tmp_path, embedder):
    """One ingest at a time: files that arrive while one runs are ingested together next."""
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    running, overlaps, calls = [0], [], []
    first_started, release = threading.Event(), threading.Event()
    real_ingest = core.ingest

    def ingest(paths, **kwargs):  # the core's ingest, instrumented: never two at once
        running[0] += 1
        overlaps.append(running[0])
        calls.append(sorted(p.name for p in paths))
        try:
            if len(calls) == 1:
                first_started.set()
                assert release.wait(WAIT_S)  # the first ingest lasts until the others are queued
            return real_ingest(paths, **kwargs)
        finally:
            running[0] -= 1

    core.ingest = ingest
    async with Running(core, live_settings(), isolated=False) as live:
        (corpus / "a.txt").write_text(SOLAR.replace("Rostock", "Wismar"), encoding="utf-8")
        await asyncio.to_thread(first_started.wait, WAIT_S)
        (corpus / "b.txt").write_text(SOLAR.replace("Rostock", "Stralsund"), encoding="utf-8")
        (corpus / "c.txt").write_text(SOLAR.replace("Rostock", "Greifswald"), encoding="utf-8")
        # both are seen by the watcher and queued while the first ingest still runs
        await wait_until(lambda: sum(len(j.paths) for j in live.service._state.queue) >= 2, what="b and c queued")
        release.set()
        first, second = await live.next(), await live.next()
    assert first.report.added == ["a"]
    assert sorted(second.report.added) == ["b", "c"]
    assert calls == [["a.txt"], ["b.txt", "c.txt"]] and max(overlaps) == 1


async def test_a_live_ingest_waits_while_another_process_holds_the_lock(tmp_path, embedder):
    """Its attempts while it waits are one line in the audit log: each had been one, and
    during a long rebuild they filled the five entries /stats shows the admins."""
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    tries = []
    real_ingest = core.ingest

    def ingest(paths, **kwargs):
        tries.append(1)
        return real_ingest(paths, **kwargs)

    core.ingest = ingest
    async with Running(core, live_settings(), isolated=True, busy_retry_s=0.2) as live:
        with IngestLock(lock_path(core.settings.store), "admin#1, reingest since 12:00:00"):
            (corpus / "solar.txt").write_text(SOLAR, encoding="utf-8")
            await wait_until(lambda: len(tries) >= 3, what="three refused attempts")
            assert live.batches.empty()
        batch = await live.next()  # tried again once the lock is free
    assert batch.report.added == ["solar"]
    refused = [e for e in core.audit.recent(10) if e.result.startswith("refused")]
    assert len(refused) == 1 and "admin#1, reingest" in refused[0].result
    # A person's refusals are each theirs to see, the same twice too.
    with IngestLock(lock_path(core.settings.store), "admin#1, reingest since 12:05:00"):
        for _ in range(2):
            with pytest.raises(IngestBusy):
                core.ingest([corpus / "solar.txt"], actor="cli:redaktion")
    assert [e.actor for e in core.audit.recent(2)] == ["cli:redaktion"] * 2


async def test_a_live_ingest_that_failed_is_tried_again_without_another_change(tmp_path, embedder):
    """A watched file is written once: when its ingest fails (the store briefly
    unreachable), it must not wait for an admin's /reingest."""
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    calls = []
    real_ingest = core.ingest

    def ingest(paths, **kwargs):  # the core's ingest; its first run finds the store down
        calls.append(sorted(p.name for p in paths))
        if len(calls) == 1:
            raise StoreUnavailable("Chroma server http://127.0.0.1:9 is not reachable: connection refused")
        return real_ingest(paths, **kwargs)

    core.ingest = ingest
    async with Running(core, live_settings(), isolated=False, busy_retry_s=0.2) as live:
        (corpus / "solar.txt").write_text(SOLAR, encoding="utf-8")
        batch = await live.next()
    assert batch.report.added == ["solar"] and calls == [["solar.txt"], ["solar.txt"]]
    assert "solar#2" in cited(core.ask(SOLAR_QUESTION))


async def test_a_feeds_articles_whose_ingest_failed_are_tried_again_without_a_watcher(tmp_path, embedder, web):
    """With WATCH_CORPUS=false a feed's files are ingested directly, and one failed ingest
    (the store briefly unreachable) had left them out of the index: the poll had marked
    the items seen, and only a watcher's job was tried again."""
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    web.page("waermenetz")
    web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    calls = []
    real_ingest = core.ingest

    def ingest(paths, **kwargs):
        calls.append(len(paths))
        if len(calls) == 1:
            raise StoreUnavailable("Chroma server http://127.0.0.1:9 is not reachable: connection refused")
        return real_ingest(paths, **kwargs)

    core.ingest = ingest
    async with LiveService(core, live_settings(watch=False), isolated=False, busy_retry_s=0.2) as live:
        added = await live.add_feed(web.url("/feeds/rss20.xml"), actor="admin#1")
        with pytest.raises(StoreUnavailable):
            await added.ingested  # the admin who added it is told
        await wait_until(lambda: len(calls) == 2, what="the ingest tried again")
        await wait_until(lambda: len(core.stored_paths()) == 10, what="the feed's two articles stored")
    assert calls == [2, 2] and core.ask(WAERME_QUESTION).citations[0].url == web.page("waermenetz")


async def test_a_file_copied_before_its_original_is_deleted_takes_its_article_over(tmp_path, embedder):
    """The copy is refused as a duplicate while the original holds the id; the deletion
    then removes the article, and the copy is ingested in its place."""
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    (corpus / "2023").mkdir()
    (corpus / "archiv").mkdir()
    async with Running(core, live_settings(), isolated=False) as live:
        (corpus / "2023" / "solar.txt").write_text(SOLAR, encoding="utf-8")
        assert (await live.next()).report.added == ["solar"]
        (corpus / "archiv" / "solar.txt").write_text(SOLAR, encoding="utf-8")
        refused = (await live.next()).report
        assert [f.article_id for f in refused.failed] == ["solar"] and refused.changed is False
        (corpus / "2023" / "solar.txt").unlink()
        assert (await live.next()).report.removed == ["solar"]
        assert (await live.next()).report.added == ["solar"]
    assert "solar#2" in cited(core.ask(SOLAR_QUESTION))
    assert core.stored_paths()["solar"].endswith("archiv/solar.txt")


async def test_feeds_and_pages_without_a_watcher(tmp_path, embedder, web):
    """``absatz feed poll`` and ``absatz ingest URL``: written files are ingested directly;
    the articles carry their URL into citations; bad input is refused and audited."""
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    waerme = web.page("waermenetz")
    web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    async with LiveService(core, live_settings(watch=False), isolated=False) as live:
        added = await live.add_feed(web.url("/feeds/rss20.xml"), actor="admin#1", interval="30m", category="Region")
        assert (added.feed.interval_s, added.feed.category) == (1800, "Region")
        assert added.outcome.ok and len(added.outcome.written) == 2
        batch = await added.ingested  # no watcher: the first poll's files are ingested directly
        assert len(batch.report.added) == 2
        by_url = {a.url: a for a in batch.articles}
        assert by_url[waerme].lead.startswith("Die Stadtwerke Lindenau wollen ihr Fernwärmenetz")
        assert by_url[waerme].title == expected_page("waermenetz")["title"]

        # a second round: unchanged, nothing to ingest
        report, nothing = await live.poll_all(actor="cli:test")
        assert nothing is None and [o.status for o in report.outcomes] == ["not-modified"]

        # refused: the metadata address (even with FEEDS_ALLOW_PRIVATE), a page that is no feed, a bad interval
        for url, key in (
            ("http://169.254.169.254/latest/meta-data/", "fetch_refused"),
            (web.url("/html-page"), "feed"),
            (web.url("/feeds/rss20.xml"), "feed_exists"),
        ):
            with pytest.raises(Exception) as err:
                await live.add_feed(url, actor="admin#1")
            assert err.value.key == key
        with pytest.raises(BadInterval):
            await live.add_feed(web.url("/feeds/other.xml"), actor="admin#1", interval="30s")
        assert [f.url for f in live.feeds()] == [added.feed.url]
        live.remove_feed(added.feed.url, actor="admin#1")
        assert live.feeds() == []

        # a single page
        page = await live.ingest_page(web.page("tarif"), actor="admin#1")
        assert page.batch.report.added == [page.article.article_id] and page.article.paragraphs >= 2

    answer = core.ask(WAERME_QUESTION)
    assert answer.citations[0].url == waerme  # citations link to the source
    assert answer.as_dict()["citations"][0]["url"] == waerme
    assert core.source(answer.citations[0].id).paragraph.meta.url == waerme
    results = [(e.actor, e.action, e.result.split(":")[0]) for e in reversed(core.audit.recent(30))]
    assert ("admin#1", "feed add", "added, every 30 min; first poll") in results
    assert sum(1 for a, act, r in results if act == "feed add" and r == "rejected") == 4  # 3 URLs and the interval
    assert ("admin#1", "feed remove", "removed (2 article(s) it brought stay in the corpus)") in results


async def test_follows_match_new_articles_above_the_threshold_once(tmp_path, embedder, web):
    corpus = copy_corpus(tmp_path)
    core = build_core(tmp_path, embedder, corpus)
    waerme = web.page("waermenetz")
    async with LiveService(core, live_settings(watch=False), isolated=False) as live:
        heat = live.follow(1, "Fernwärmenetz Lindenau Ausbau Haushalte")
        live.follow(2, "Wer gewann das Pokalfinale im Elfmeterschießen?")  # the sample corpus; not this page
        live.follow(3, "Wie backe ich ein Sauerteigbrot?")  # nothing answers this
        page = await live.ingest_page(waerme, actor="admin#1")
        matches = page.batch.matches
        assert [m.follow.id for m in matches] == [heat.id]
        m = matches[0]
        assert m.article_id == page.article.article_id and m.url == waerme and m.evidence >= m.threshold
        assert m.quote in m.text and m.citation_id.startswith(f"{m.article_id}#")
        # told once: the same article again (edited) or matched again gives nothing new
        assert match_follows(core.searcher, [heat], [m.article_id])  # it still matches…
        assert not live.follows.first_notice(heat.id, m.article_id)  # …but was notified already


def test_follow_store_limits_and_names(tmp_path):
    store = FollowStore(tmp_path / "bot.sqlite3", limit=2)
    first = store.add(7, "  Wärmenetz   Lindenau ")
    assert first.query == "Wärmenetz Lindenau"
    with pytest.raises(FollowExists):
        store.add(7, "wärmenetz lindenau")
    with pytest.raises(FollowExists):
        store.add(7, "WÄRMENETZ LINDENAU")  # not only ASCII letters fold
    store.add(7, "Hochwasser Mosel")
    with pytest.raises(FollowLimit) as err:
        store.add(7, "Bahn")
    assert err.value.params == {"limit": 2}
    assert store.add(8, "Bahn").user_id == 8  # the limit is per user
    assert store.remove(7, f"#{first.id}").query == "Wärmenetz Lindenau"
    assert store.remove(7, "hochwasser mosel").query == "Hochwasser Mosel"
    with pytest.raises(UnknownFollow):
        store.remove(7, "Bahn")  # someone else's
    with pytest.raises(UnknownFollow):
        store.remove(7, "²")  # a digit int() refuses
    assert [f.query for f in store.all()] == ["Bahn"]
    store.close()


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("15m", 900),
        ("1h", 3600),
        ("90s", 90),
        ("1h30m", 5400),
        ("2d", 172800),
        ("20", 1200),
        ("000000000015", 900),
        (None, 900),
        ("", 900),
    ],
)
def test_intervals_as_people_type_them(text, seconds):
    assert parse_interval(text, 900) == seconds


@pytest.mark.parametrize("text", ["30s", "8d", "oft", "15 minutes", "1x", "²", "1" * 5000, "1" * 5000 + "m"])
def test_bad_intervals_are_refused(text):
    with pytest.raises(BadInterval):
        parse_interval(text, 900)


def test_interval_text_is_worded_in_both_languages():
    from absatz.texts import error_text

    with pytest.raises(BadInterval) as err:
        parse_interval("30s", 900)
    assert "1 Minute bis 7 Tage" in error_text(err.value, "de") and "1 minute to 7 days" in error_text(err.value, "en")


def test_every_live_error_key_has_both_languages():
    from absatz.db import follows
    from absatz.texts import TEXTS
    from ingest.live import errors, extract, feeds, fetch, registry

    classes = set()
    for module in (errors, extract, feeds, fetch, registry, follows):
        for value in vars(module).values():
            if isinstance(value, type) and hasattr(value, "key") and value.__module__ == module.__name__:
                classes.add(value)
    keys = {cls.key for cls in classes}
    assert {"fetch_refused", "feed", "extract", "feed_exists", "follow_limit"} <= keys
    for key in keys:
        assert set(TEXTS[f"error.{key}"]) == {"de", "en"}, key
