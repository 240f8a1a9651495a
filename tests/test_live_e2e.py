"""End to end: a feed on the loopback server is polled into a corpus folder, the real
ingest embeds it into an embedded Chroma (bundled embedder), and a question is answered
with a citation of the feed's article."""

from __future__ import annotations

import shutil

from absatz.answer import answer
from ingest.live.fetch import Fetcher, FetchPolicy
from ingest.live.poller import Poller
from ingest.live.registry import FeedRegistry
from ingest.pipeline import ingest_paths
from vectorstore.chroma import Chroma
from vectorstore.search import Searcher

from .conftest import CORPUS, settings_for
from .web_server import expected_page, web


async def test_a_feed_article_is_answered_with_a_citation(tmp_path, web, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)  # the sample corpus: the feed's articles join other news
    waerme = web.page("waermenetz")
    web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    registry = FeedRegistry(tmp_path / "bot.sqlite3")
    registry.add(web.url("/feeds/rss20.xml"))
    async with Fetcher(FetchPolicy(allow_private=True, timeout_s=60)) as fetcher:
        report = await Poller(registry, corpus, fetcher).poll_due()
    registry.close()
    written = {a.url: a for a in report.written}
    assert len(written) == 2

    store = Chroma(settings_for(tmp_path / "chroma"))
    ingest = ingest_paths(store, embedder, [corpus])
    assert ingest.failed == []
    assert {a.article_id for a in written.values()} <= set(ingest.added)
    assert len(ingest.added) == len(list(CORPUS.glob("*.*"))) + 2

    searcher = Searcher(store, embedder)
    result = answer(
        searcher,
        "Wie viele Haushalte sollen bis zum Ende des Jahrzehnts an das Fernwärmenetz in Lindenau angeschlossen sein?",
    )
    assert not result.abstained
    cited = result.citations[0]
    assert cited.id == f"{written[waerme].article_id}#2"
    assert "21.000 Haushalte" in cited.text and "21.000" in result.answer
    assert (cited.title, cited.date, cited.url) == (expected_page("waermenetz")["title"], "2025-03-14", waerme)
    stored = searcher.view().index.article(written[waerme].article_id)
    assert (stored.url, stored.source) == (waerme, "Rheinische Abendpost")

    # a second poll of the unchanged feed writes nothing, so the next ingest embeds nothing
    registry = FeedRegistry(tmp_path / "bot.sqlite3")
    async with Fetcher(FetchPolicy(allow_private=True, timeout_s=60)) as fetcher:
        assert (await Poller(registry, corpus, fetcher).poll_feed(web.url("/feeds/rss20.xml"))).written == ()
    registry.close()
    again = ingest_paths(store, embedder, [corpus])
    assert (again.added, again.updated, again.paragraphs_embedded) == ([], [], 0)
