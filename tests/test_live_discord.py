"""The live corpus in Discord, through simcord with the real bot: feed commands and who
may use them, announcements (a burst of 40 is at most two messages), follows and their
DMs (a closed DM is logged once, never retried), ``/upload url:``, citations that link
to their source, and ``/reingest`` during a watch run.

Every ingest runs in a child process, as in ``absatz serve``; waits are generous."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import discord
import pytest
from simcord import SetupError

from absatz.live import LiveSettings
from bot.embeds import citation_id_from_field
from bot.settings import BotSettings
from ingest.settings import IngestSettings
from vectorstore.search import Searcher

from .hostile import PHISH, link_targets
from .live_helpers import SOLAR, WAERME_QUESTION, WAIT_S, burst_feed, copy_corpus, wait_until
from .simcord_helpers import bot_with, dispatch_unsettled, reply_of
from .web_server import PAGES, web

pytestmark = pytest.mark.simcord(settle_timeout=WAIT_S)


def live_settings(**changes) -> LiveSettings:
    values = dict(allow_private=True, watch=False, poll=False, watch_quiet_ms=300, timeout_s=60)
    values.update(changes)
    return LiveSettings(**values)


@pytest.fixture
def live_corpus(tmp_path):
    return copy_corpus(tmp_path)


@pytest.fixture
def live_store(tmp_path, embedder, live_corpus):
    from ingest.pipeline import ingest_paths
    from vectorstore.chroma import Chroma

    from .conftest import settings_for

    settings = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(settings), embedder, [live_corpus])
    return settings


@pytest.fixture
def bot_settings(live_store, live_corpus, tmp_path) -> BotSettings:
    return BotSettings(
        store=live_store,
        shard_count=1,
        ingest=IngestSettings(corpus_dir=live_corpus),
        bot_db=tmp_path / "bot.sqlite3",
        cooldown_rate=100,
        cooldown_per_s=1,
        live=live_settings(),
    )


@pytest.fixture
async def simcord_bot(bot_settings, embedder):
    bot = bot_with(bot_settings, Searcher.open(bot_settings.store, embedder))
    yield bot
    live = bot.get_cog("Live")
    if live is not None:
        await live.shutdown()


@pytest.fixture
def newsroom(simcord_env, simcord_bot):
    env = simcord_env
    guild = env.create_guild()
    channel = guild.create_text_channel("redaktion")
    news = guild.create_text_channel("nachrichten")
    admins = guild.create_role("Redaktion", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    reader = guild.add_member(env.create_user("reader"))
    simcord_bot.settings = replace(simcord_bot.settings, news_channel_id=news.id)
    return env, guild, channel, news, admin, reader


def live_cog(bot):
    return bot.get_cog("Live")


async def delivered(bot, count: int):
    """Until the live cog has handled ``count`` batches (announced, DMed)."""
    return await asyncio.wait_for(live_cog(bot).wait_delivered(count), WAIT_S)


def within_message_limits(embeds) -> None:
    assert 1 <= len(embeds) <= 10 and sum(len(e) for e in embeds) <= 6000
    assert all(len(e.description or "") <= 4096 and len(e.title or "") <= 256 for e in embeds)


async def test_what_a_refused_member_typed_is_shown_to_admins_as_text(newsroom, simcord_bot):
    """A refused non-admin's /feed add is audited as typed; the admins' /stats had shown
    it as Markdown: a masked phishing link they could click, bold, a spoiler."""
    env, guild, channel, news, admin, reader = newsroom
    commands = {c.name: c for c in await simcord_bot.tree.fetch_commands()}
    guild.set_command_permissions(commands["feed"], {guild.default_role: True})
    typed = "[Neue Admin-Anleitung](https://phish.example/login) **dringend** ||x||"
    await reader.slash(channel, "feed add", url=typed)
    log = next(f.value for f in reply_of(await admin.slash(channel, "stats")).embeds[0].fields if f.name == "Admin log")
    assert "Neue Admin-Anleitung" in log
    assert "Anleitung](" not in log and "**dringend**" not in log and "||x||" not in log


async def test_what_a_feed_or_a_page_brings_is_shown_to_admins_as_text(newsroom, simcord_bot, web):
    """/feed add quoted the first bytes of a response that is no XML, and /upload url: fell
    back to the page's title where its address is too long to link, both as Markdown:
    a masked phishing link and a spoiler in the admins' channel."""
    env, guild, channel, news, admin, reader = newsroom
    web.set("/evil-feed", "[Login](https://ev.il/x) ||x|| mehr", "text/plain")
    refused = reply_of(await admin.slash(channel, "feed add", url=web.url("/evil-feed"))).content
    assert refused.startswith("⛔ Not a readable feed: ")
    assert "(starts with '[Login]\\(https://ev.il/x) \\|\\|x\\|\\| mehr')" in refused

    path = f"/wirtschaft/{'a' * 450}.html"  # an address over the 400 characters a link may take
    title = "Wärmenetz: Stadtwerke Lindenau investieren 120 Millionen Euro"
    html = (PAGES / "waermenetz.html").read_text(encoding="utf-8").replace(title, f"{PHISH} ||x||")
    html = html.replace("{base}/wirtschaft/waermenetz-lindenau-100.html", web.url(path)).replace("{base}", web.base)
    web.set(path, html, "text/html; charset=utf-8")
    uploaded = reply_of(await admin.slash(channel, "upload", url=web.url(path))).content
    assert uploaded.startswith("✅")
    assert "\n📰 [Konto bestätigen]\\(https://evil.example/login) \\|\\|x\\|\\|" in uploaded
    assert link_targets(refused, uploaded) == []


async def test_what_a_member_follows_or_unfollows_comes_back_as_text(newsroom, simcord_bot):
    """/follow, /unfollow and their errors quoted the query as typed, as Markdown: a masked
    link was clickable, "**dringend**" bold, a spoiler hidden, and a RIGHT-TO-LEFT OVERRIDE
    turned the rest of the reply around. The picker's label shows it without the override,
    and picking it still names the follow."""
    env, guild, channel, news, admin, reader = newsroom
    query = f"Wärmenetz {PHISH} **dringend** ||x|| \u202eEnde"
    shown = "Wärmenetz [Konto bestätigen]\\(https://evil.example/login) \\*\\*dringend\\*\\* \\|\\|x\\|\\| Ende"
    saved = (await reader.slash(channel, "follow", query=query)).response.content
    again = (await reader.slash(channel, "follow", query=query)).response.content
    assert saved.startswith("🔔") and again.startswith("⛔") and all(shown in x for x in (saved, again))
    (choice,) = await reader.autocomplete(channel, "unfollow", "follow", "wärmenetz")
    assert choice == {"name": query.replace("\u202e", "").replace("Wärmenetz", "#1 Wärmenetz"), "value": "#1"}
    unknown = (
        await reader.slash(channel, "unfollow", follow="[Andere](https://evil.example/x) ||y||")
    ).response.content
    assert unknown.startswith("⛔") and "[Andere]\\(https://evil.example/x) \\|\\|y\\|\\|" in unknown
    gone = (await reader.slash(channel, "unfollow", follow=choice["value"])).response.content
    assert gone.startswith("🔕") and shown in gone
    replies = (saved, again, unknown, gone)
    assert link_targets(*replies) == [] and not any("\u202e" in x or "**dringend**" in x for x in replies)


async def test_feed_add_and_remove_show_what_the_admin_typed_as_text(newsroom, simcord_bot, web):
    """/feed remove quoted an address it does not know as typed, as Markdown (a masked link,
    a spoiler), and /feed add the category; the feed it removed stood in <…>, which a ">"
    in its path ended early. The picker's label has no RIGHT-TO-LEFT OVERRIDE; its value
    is the feed's address."""
    env, guild, channel, news, admin, reader = newsroom
    typed = "[Login](https://ev.il/x) ||x|| **dringend**"
    unknown = reply_of(await admin.slash(channel, "feed remove", url=typed)).content
    assert unknown == (
        "⛔ No feed [Login]\\(https://ev.il/x) \\|\\|x\\|\\| \\*\\*dringend\\*\\* is registered "
        "(`/feed list` shows them all)."
    )
    web.set("/leer.xml", '<rss version="2.0"><channel><title>Leer</title></channel></rss>', "application/rss+xml")
    added = reply_of(await admin.slash(channel, "feed add", url=web.url("/leer.xml"), category=typed)).content
    assert added.startswith("✅ Feed added:")
    assert ", category [Login]\\(https://ev.il/x) \\|\\|x\\|\\| \\*\\*dringend\\*\\*)" in added
    url = "https://feeds.example/rss>[Login](https://ev.il/x)||x||\u202e"
    live_cog(simcord_bot).service.registry.add(url, added_by="test")
    (choice,) = await admin.autocomplete(channel, "feed remove", "url", "feeds.example")
    assert choice == {"name": url.replace("\u202e", ""), "value": url}
    removed = reply_of(await admin.slash(channel, "feed remove", url=choice["value"])).content
    assert removed.startswith(
        "🗑️ Feed removed: <https://feeds.example/rss%3E[Login]%28https://ev.il/x%29||x||%E2%80%AE>."
    )
    assert link_targets(unknown, added, removed) == [] and "\u202e" not in removed


async def test_feed_commands_are_for_admins_audited_and_announce_what_they_bring(newsroom, simcord_bot, web):
    env, guild, channel, news, admin, reader = newsroom
    waerme = web.page("waermenetz")
    web.page("hochwasser")
    web.fixture("/feeds/rss20.xml", "feeds/rss20.xml")
    feed = web.url("/feeds/rss20.xml")

    with pytest.raises(SetupError, match="not visible to this user"):
        await reader.slash(channel, "feed add", url=feed)  # hidden by default permissions
    commands = {c.name: c for c in await simcord_bot.tree.fetch_commands()}
    guild.set_command_permissions(commands["feed"], {guild.default_role: True})
    for name, options in (("feed add", {"url": feed}), ("feed list", {}), ("feed remove", {"url": feed})):
        refused = await reader.slash(channel, name, **options)
        assert refused.ephemeral and "Only admins" in refused.response.content
    assert live_cog(simcord_bot).service.feeds() == []

    added = await admin.slash(channel, "feed add", url=feed, interval="30m", category="Region")
    text = reply_of(added).content
    assert text.startswith("✅ Feed added:") and "every 30 min, category Region" in text
    assert "2 items, 2 articles written" in text  # 3 items, one a duplicate
    (batch,) = await delivered(simcord_bot, 1)  # no watcher here: ingested directly, then announced
    assert len(batch.report.added) == 2
    await env.settle()
    (message,) = news.history()
    within_message_limits(message.embeds)
    description = message.embeds[0].description
    assert message.embeds[0].title == "New in the corpus"
    assert f"]({waerme})" in description
    assert "Wärmenetz: Stadtwerke Lindenau investieren 120 Millionen Euro" in description
    assert all(f"`{article_id}#1`" in description for article_id in batch.report.added)

    again = await admin.slash(channel, "feed add", url=feed)
    assert reply_of(again).content == f"⛔ The feed {feed} is already registered."
    metadata = await admin.slash(channel, "feed add", url="http://169.254.169.254/latest/meta-data/")
    assert reply_of(metadata).content.startswith("⛔ Not fetched: http://169.254.169.254/latest/meta-data/")
    bad = await admin.slash(channel, "feed add", url=web.url("/other.xml"), interval="jede Stunde")
    assert "Interval “jede Stunde”" in reply_of(bad).content

    # what /feed list refuses a member, /feed remove's choices do not show them either
    assert await reader.autocomplete(channel, "feed remove", "url", "") == []
    assert [c["value"] for c in await admin.autocomplete(channel, "feed remove", "url", "")] == [feed]
    listed = await admin.slash(channel, "feed list")
    (embed,) = listed.response.embeds
    (field,) = embed.fields
    assert field.name == feed and "every 30 min, category Region" in field.value
    assert "2 articles ingested" in field.value and "last success: 20" in field.value

    removed = await admin.slash(channel, "feed remove", url=feed)
    assert removed.response.content.startswith(f"🗑️ Feed removed: <{feed}>. The 2 articles")
    log = [(e.actor, e.action, e.result.split(":")[0]) for e in reversed(simcord_bot.core.audit.recent(30))]
    assert [a for _, a, r in log if r == "refused"] == ["feed add", "feed list", "feed remove"]
    assert ("admin", "feed add", "added, every 30 min; first poll") in log
    assert sum(1 for _, a, r in log if a == "feed add" and r == "rejected") == 3
    assert ("admin", "feed", "2 added, 0 updated, 0 removed, 0 unchanged, 0 failed") in log  # the ingest itself
    assert any(a == "feed remove" for _, a, _ in log)


async def test_a_burst_of_forty_articles_is_announced_in_at_most_two_messages(newsroom, simcord_bot, web):
    env, guild, channel, news, admin, reader = newsroom
    web.set("/burst.xml", burst_feed(web.base, 40), "application/rss+xml")
    added = await admin.slash(channel, "feed add", url=web.url("/burst.xml"))
    assert "40 items, 40 articles written" in reply_of(added).content
    (batch,) = await delivered(simcord_bot, 1)
    assert len(batch.report.added) == 40 and len(batch.articles) == 40
    await env.settle()
    messages = news.history()
    assert 1 <= len(messages) <= 2
    for message in messages:
        within_message_limits(message.embeds)
    text = "\n".join(e.description for m in messages for e in m.embeds)
    assert all(f"`{a.article_id}#1`" in text for a in batch.articles)
    assert text.count(f"]({web.base}/schule/") == 40  # every title linked to its article


async def test_follows_upload_url_and_citations_that_link_to_the_source(newsroom, simcord_bot, web, caplog):
    env, guild, channel, news, admin, reader = newsroom
    closed_user = env.create_user("closed")
    closed = guild.add_member(closed_user)
    other = guild.add_member(env.create_user("other"))
    waerme = web.page("waermenetz")
    hochwasser = web.page("hochwasser")

    saved = await reader.slash(channel, "follow", query="Fernwärmenetz Lindenau Ausbau Haushalte")
    # worded in the query's language (German here), as the DMs for it will be
    assert saved.ephemeral and saved.response.content.startswith("🔔 Gespeichert (#1): Du bekommst eine DM")
    await closed.slash(channel, "follow", query="Fernwärmenetz Lindenau Ausbau Haushalte")
    await other.slash(channel, "follow", query="Wer gewann das Pokalfinale im Elfmeterschießen?")
    mine = await reader.slash(channel, "following")
    assert "`#1` Fernwärmenetz Lindenau Ausbau Haushalte" in mine.response.content
    # the closed user's DMs are closed: Discord answers 50007 to every message to them
    closed_dm = closed_user.dm_channel.id
    env.inject_error(
        "POST",
        f"/channels/{closed_dm}/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
        times=None,
    )

    neither = await admin.slash(channel, "upload")
    assert neither.ephemeral and "exactly one" in neither.response.content
    refused = await admin.slash(channel, "upload", url="http://169.254.169.254/latest/meta-data/")
    assert reply_of(refused).content.startswith("⛔ Rejected: Not fetched")
    assert not (simcord_bot.settings.ingest.corpus_dir / "web").exists()

    caplog.set_level(logging.WARNING, logger="bot.cogs.live")
    uploaded = await admin.slash(channel, "upload", url=waerme)
    text = reply_of(uploaded).content
    assert text.startswith("✅ Ingest finished") and "1 added" in text
    assert f"[Wärmenetz: Stadtwerke Lindenau investieren 120 Millionen Euro]({waerme})" in text
    (batch,) = await delivered(simcord_bot, 1)
    article_id = batch.report.added[0]
    assert f"`{article_id}#1` … `{article_id}#" in text
    await env.settle()

    (dm,) = _dm_history(env, reader)
    (embed,) = dm.embeds
    assert embed.title == "Neu zu „Fernwärmenetz Lindenau Ausbau Haushalte“" and embed.url == waerme
    assert f"`{article_id}#" in embed.description and "> " in embed.description
    assert _dm_history(env, other) == []  # an unrelated follow: no DM
    warnings = [r for r in caplog.records if "not delivered" in r.getMessage()]
    assert len(warnings) == 1 and str(closed.id) in warnings[0].getMessage()
    assert live_cog(simcord_bot).service.follows.undelivered() == 1

    # another article that matches nobody: no DM anywhere, the closed DM is not tried again
    await admin.slash(channel, "upload", url=hochwasser)
    await delivered(simcord_bot, 2)
    await env.settle()
    assert len(_dm_history(env, reader)) == 1
    attempts = [r for r in env.http_requests if r.method == "POST" and r.path == f"/channels/{closed_dm}/messages"]
    assert len(attempts) == 1
    assert len([r for r in caplog.records if "not delivered" in r.getMessage()]) == 1

    # citations link to the source: /ask and /source
    asked = await reader.slash(channel, "ask", question=WAERME_QUESTION)
    answer = reply_of(asked).embeds[0]
    assert f"]({waerme})" in answer.fields[0].value
    cited = citation_id_from_field(answer, 1)
    assert cited.startswith(f"{article_id}#")
    source = await reader.slash(channel, "source", id=cited)
    assert source.response.embeds[0].url == waerme

    gone = await reader.slash(channel, "unfollow", follow="#1")
    assert gone.response.content == "🔕 You no longer follow “Fernwärmenetz Lindenau Ausbau Haushalte”."
    assert (await reader.slash(channel, "following")).response.content.startswith("You follow nothing yet")


async def test_upload_url_into_a_corpus_that_cannot_take_the_file_fails_without_blaming_the_page(
    newsroom, simcord_bot, web
):
    env, guild, channel, news, admin, reader = newsroom
    (simcord_bot.settings.ingest.corpus_dir / "web").write_text("a file, not a folder\n", encoding="utf-8")
    failed = await admin.slash(channel, "upload", url=web.page("waermenetz"))
    text = reply_of(failed).content
    assert text.startswith("⛔ Failed: ") and "cannot write" in text and "Not a directory" in text
    assert str(simcord_bot.settings.ingest.corpus_dir) not in text  # where the server keeps its files stays there


async def test_unfollow_of_a_number_too_long_for_any_follow_says_so(newsroom, simcord_bot):
    """Twenty digits passed for a follow's number and reached SQLite, whose integers end
    at 19: "Something went wrong" and a logged traceback instead of the reply below."""
    env, guild, channel, news, admin, reader = newsroom
    for which, shown in (("#" + "9" * 20, "\\#" + "9" * 20), ("9" * 25, "9" * 25)):  # escaped as typed: reads "#"
        gone = await reader.slash(channel, "unfollow", follow=which)
        assert gone.response.content == f"⛔ You do not follow “{shown}” (`/following` lists your queries)."
    assert env.errors == []


async def test_following_lists_every_follow_with_its_id_however_long_the_queries(newsroom, simcord_bot):
    """Ten follows of 300 characters: the list had stopped after six with "…", hiding the
    ids /unfollow takes."""
    env, guild, channel, news, admin, reader = newsroom
    limit = live_cog(simcord_bot).service.follows.limit
    for i in range(1, limit + 1):
        query = f"Wärmenetz Lindenau Förderung {i} " + "Sanierung Grundschule Kita Haushalt " * 9
        assert (await reader.slash(channel, "follow", query=query[:300])).response.content.startswith("🔔")
    listed = (await reader.slash(channel, "following")).response.content
    assert len(listed) <= 2000 and all(
        f"`#{i}` Wärmenetz Lindenau Förderung {i} " in listed for i in range(1, limit + 1)
    )


async def test_a_file_upload_is_announced_and_reaches_its_followers(newsroom, simcord_bot):
    """Only the watcher, the feeds and /upload url: went through the live service; a file
    upload (and /reingest) ingested directly, and the watcher then found nothing new."""
    env, guild, channel, news, admin, reader = newsroom
    await reader.slash(channel, "follow", query="schwimmende Solaranlage Rostock Ostsee")
    uploaded = await admin.slash(channel, "upload", file=("solar-rostock.txt", SOLAR.encode()))
    assert reply_of(uploaded).content.startswith("✅")
    (batch,) = await delivered(simcord_bot, 1)
    assert batch.report.added == ["solar-rostock"] and batch.action == "upload"
    await env.settle()
    announced = " ".join(str(e.to_dict()) for m in news.history() for e in m.embeds)
    assert "solar-rostock" in announced and "Solaranlage" in announced
    (dm,) = _dm_history(env, reader)
    assert "`solar-rostock#" in dm.embeds[0].description


def _dm_history(env, member) -> list[discord.Message]:
    """The bot's messages in a member's DM channel."""
    user = env.backend.users[member.id]
    channel = env.backend.get_dm_channel(user.id)
    from simcord.builders import ChannelHandle

    return ChannelHandle(env, None, channel).history()


async def restarted_watching(newsroom, simcord_bot, bot_settings, embedder):
    """The bot restarted with its watcher on, once the watcher watches."""
    env, guild, channel, news, admin, reader = newsroom
    watching = bot_with(
        replace(bot_settings, live=live_settings(watch=True), news_channel_id=news.id),
        Searcher.open(bot_settings.store, embedder),
    )
    await live_cog(simcord_bot).shutdown()
    await env.restart_bot(watching)
    await asyncio.wait_for(asyncio.to_thread(live_cog(watching).runner.watching.wait, WAIT_S), WAIT_S)
    return watching


async def test_reingest_during_a_watch_run_is_told_one_is_running(newsroom, simcord_bot, bot_settings, embedder):
    env, guild, channel, news, admin, reader = newsroom
    watching = await restarted_watching(newsroom, simcord_bot, bot_settings, embedder)
    cog = live_cog(watching)
    try:
        (watching.settings.ingest.corpus_dir / "solar.txt").write_text(SOLAR, encoding="utf-8")
        await wait_until(lambda: cog.ingesting() is not None, what="the watcher's ingest to start")
        told = await dispatch_unsettled(env, admin, channel, "reingest")
        (batch,) = await delivered(watching, 1)
        await env.settle()
        assert (
            told.ephemeral
            and "An ingest is already running (started by live:watcher, watch since" in told.response.content
        )
        assert batch.report.added == ["solar"]
        (message,) = news.history()
        assert "`solar#1`" in message.embeds[0].description
    finally:
        await cog.shutdown()


async def test_uploads_in_a_row_while_the_watcher_runs_are_one_ingest_each(
    newsroom, simcord_bot, bot_settings, embedder
):
    """The watcher ingested each uploaded file a second time: that run refused the admin's
    next upload ("An ingest is already running") and added two lines to the admin log."""
    env, guild, channel, news, admin, reader = newsroom
    watching = await restarted_watching(newsroom, simcord_bot, bot_settings, embedder)
    cog = live_cog(watching)
    try:
        for town in ("Wismar", "Stralsund", "Greifswald"):
            data = SOLAR.replace("Rostock", town).encode()
            shown = reply_of(await admin.slash(channel, "upload", file=(f"solar-{town.lower()}.txt", data))).content
            assert "already running" not in shown and f"`solar-{town.lower()}#1`" in shown, shown
            await asyncio.sleep(0.5)  # usually past the watcher's quiet time; the file below settles it
        # A file only the watcher ingests: by its run it has handled the uploads' events too.
        (watching.settings.ingest.corpus_dir / "solar-anklam.txt").write_text(SOLAR.replace("Rostock", "Anklam"))
        await wait_until(lambda: "solar-anklam" in watching.core.stored_paths(), what="the watcher's ingest")
    finally:
        await cog.shutdown()
    log = [(e.actor, e.action, e.target) for e in reversed(watching.core.audit.recent(20))]
    assert [a for a, action, _ in log if action == "upload"] == ["admin"] * 3
    watched = [target for actor, _, target in log if actor == "live:watcher"]
    assert watched and all("solar-anklam.txt" in target for target in watched), log
