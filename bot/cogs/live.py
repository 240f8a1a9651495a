"""The live corpus in Discord: ``/feed add|list|remove`` (admins), ``/follow``,
``/unfollow``, ``/following``, the announcements in ``NEWS_CHANNEL_ID`` and the follow DMs.

The work is the core's :class:`absatz.live.LiveService`, kept on an event loop of its
own (:class:`absatz.live.LiveThread`): it watches ``CORPUS_DIR`` (``WATCH_CORPUS``),
polls the feeds (``FEEDS_POLL``) and runs every ingest in a child process under the
store's lock, one at a time. Each finished ingest comes back here as a batch: its new
articles are announced, grouped into as few messages as Discord's limits allow, and
each follower whose saved query a new article answers gets one DM. A DM that fails
(closed DMs) is logged and recorded, never retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections import defaultdict
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from absatz import AbsatzError, IngestReport
from absatz.live import FollowMatch, LiveBatch, LiveService, LiveSettings, LiveThread, PageIngested, duration_text
from absatz.texts import locale_language, t

from ..checks import audit, is_admin, refused_unless_admin
from ..choices import choices
from ..embeds import angle_link, error_line, escaped, fit, lines_within, source_link
from ..live_embeds import announcement_messages, feed_list_embeds, follow_messages

log = logging.getLogger(__name__)

MESSAGE = 2000


class Live(commands.Cog):
    feed = app_commands.Group(
        name="feed",
        description="Nachrichten-Feeds verwalten / manage news feeds",
        guild_only=True,
        default_permissions=discord.Permissions(manage_guild=True),
    )

    def __init__(self, bot: Any):
        self.bot = bot
        configured: LiveSettings | None = bot.settings.live
        settings = configured or LiveSettings(watch=False, poll=False)
        self.service = LiveService(bot.core, settings, isolated=True, on_batch=self._from_service)
        # Without live settings (a bot built by hand) nothing is watched or polled, but
        # feeds, pages and follows still work.
        self.runner = LiveThread(self.service, run=bool(configured and (configured.watch or configured.poll)))
        self.delivered: list[LiveBatch] = []
        self._delivered = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context: contextvars.Context | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def cog_load(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()  # the batches' work runs as the bot's own
        if self.runner.run:  # watching or polling: from the start; else on the first command
            self.runner.start()

    async def cog_unload(self) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        """Stop watching and polling; a running ingest finishes first."""
        if self.runner.alive:
            await asyncio.to_thread(self.runner.stop)

    def ingesting(self) -> str | None:
        """Who runs the live ingest in progress (``/reingest`` is told)."""
        return self.service.ingesting

    # --- batches from the service -----------------------------------------------------------

    def _from_service(self, batch: LiveBatch) -> None:
        """Called on the service's thread: hand the batch to the bot's loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the bot's loop has gone
            loop.call_soon_threadsafe(self._spawn, batch, context=self._context)

    async def after_ingest(self, report: IngestReport, actor: str, action: str) -> None:
        """Announce and match against follows what an ingest outside the live service
        added (a file upload, ``/reingest``), as the watcher's and the feeds' are."""
        if not report.added:
            return
        try:
            batch = await asyncio.to_thread(self.service.describe, report, actor, action)
        except Exception:  # the ingest succeeded and was reported: this is a courtesy
            log.exception("describing the %s's new articles failed", action)
            return
        self._spawn(batch)

    def _spawn(self, batch: LiveBatch) -> None:
        task = asyncio.ensure_future(self._deliver(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, batch: LiveBatch) -> None:
        try:
            if batch.articles and self.bot.settings.news_channel_id:
                await self.announce(batch)
            if batch.matches:
                await self.notify(batch.matches)
        except Exception:
            log.exception("delivering a live batch failed")
        finally:
            self.delivered.append(batch)
            self._delivered.set()

    async def wait_delivered(self, count: int) -> list[LiveBatch]:
        """Until ``count`` batches were delivered (announced and DMed); for tests and tools."""
        while len(self.delivered) < count:
            self._delivered.clear()
            await self._delivered.wait()
        return self.delivered[:count]

    async def _news_channel(self) -> discord.abc.Messageable | None:
        channel_id = self.bot.settings.news_channel_id
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.HTTPException as exc:
                log.warning("NEWS_CHANNEL_ID %s cannot be reached: %s", channel_id, exc)
                return None
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("NEWS_CHANNEL_ID %s is not a channel messages can be sent to", channel_id)
            return None
        return channel

    async def announce(self, batch: LiveBatch) -> None:
        """The batch's new articles in the news channel: a few messages, never one per article."""
        channel = await self._news_channel()
        if channel is None:
            return
        guild = getattr(channel, "guild", None)
        language = locale_language(getattr(guild, "preferred_locale", None) or "de")
        for embeds in announcement_messages(batch.articles, language):
            try:
                await channel.send(embeds=embeds)
            except discord.HTTPException as exc:
                log.warning("announcing %d new article(s) failed: %s", len(batch.articles), exc)
                return

    async def notify(self, matches: tuple[FollowMatch, ...]) -> None:
        """One DM (or a few, ten matches each) per follower; a closed DM is logged once."""
        by_user: dict[int, list[FollowMatch]] = defaultdict(list)
        for m in matches:
            by_user[m.follow.user_id].append(m)
        for user_id, mine in by_user.items():
            language = mine[0].follow.language
            try:
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                for embeds in follow_messages(mine, language):
                    await user.send(embeds=embeds)
            except discord.HTTPException as exc:
                log.warning(
                    "follow DM to user %s not delivered (%s); it is not retried",
                    user_id,
                    getattr(exc, "text", "") or exc,
                )
                try:  # in a thread: BOT_DB may wait for another process's lock, the event loop must not
                    for m in mine:
                        await asyncio.to_thread(self.service.follows.record_undelivered, m.follow.id, m.article_id)
                except Exception:
                    log.exception("recording the undelivered follow DM to user %s failed", user_id)

    # --- /feed ----------------------------------------------------------------------------------

    @feed.command(name="add", description="Feed registrieren (RSS, Atom, News-Sitemap) / register a feed")
    @app_commands.describe(
        url="http(s)-Adresse des Feeds",
        interval="Abrufintervall, z. B. 15m, 1h (Standard 15m)",
        category="Kategorie für die Artikel des Feeds",
    )
    async def feed_add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2000],
        interval: app_commands.Range[str, 1, 20] | None = None,
        category: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        if await refused_unless_admin(self.bot, interaction, "feed add", url):
            return
        language = locale_language(interaction.locale)
        await interaction.response.defer(thinking=True)
        try:
            added = await self.runner.run_async(
                self.service.add_feed(url, actor=str(interaction.user), interval=interval, category=category or "")
            )
        except AbsatzError as exc:
            await interaction.followup.send(f"⛔ {error_line(exc, language)}"[:MESSAGE])  # quotes the response
            return
        feed, outcome = added.feed, added.outcome
        values = {
            "url": angle_link(feed.url),
            "interval": duration_text(feed.interval_s),
            "category": t("feed_category", language, category=escaped(feed.category)) if feed.category else "",
        }
        if outcome.ok:
            text = t("feed_added", language, items=outcome.items, written=len(outcome.written), **values)
        else:
            text = t("feed_added_failing", language, error=fit(outcome.error, 500), **values)
        await interaction.followup.send(text[:MESSAGE])

    @feed.command(name="list", description="Feeds mit letztem Erfolg und Fehler / feeds and how they are doing")
    async def feed_list(self, interaction: discord.Interaction) -> None:
        if await refused_unless_admin(self.bot, interaction, "feed list"):
            return
        language = locale_language(interaction.locale)
        feeds = await asyncio.to_thread(self.service.feeds)
        await interaction.response.send_message(embeds=feed_list_embeds(feeds, language))

    @feed.command(name="remove", description="Feed nicht mehr abrufen (seine Artikel bleiben) / stop polling a feed")
    @app_commands.describe(url="Adresse des Feeds (siehe /feed list)")
    async def feed_remove(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, 2000]) -> None:
        if await refused_unless_admin(self.bot, interaction, "feed remove", url):
            return
        language = locale_language(interaction.locale)
        try:
            feed = await asyncio.to_thread(self.service.remove_feed, url, actor=str(interaction.user))
        except AbsatzError as exc:  # quotes the address as typed
            await interaction.response.send_message(f"⛔ {error_line(exc, language)}"[:MESSAGE], ephemeral=True)
            return
        await interaction.response.send_message(
            t("feed_removed", language, url=angle_link(feed.url), n=feed.articles_ingested)[:MESSAGE]
        )

    @feed_remove.autocomplete("url")
    async def feed_remove_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        # What /feed list refuses a member, its choices had shown: an intranet feed's address.
        if not is_admin(interaction, self.bot.settings.admin_role_ids):
            return []
        needle = current.strip().lower()
        feeds = await asyncio.to_thread(self.service.feeds)
        return choices((f.url, f.url) for f in feeds if needle in f.url.lower())

    # --- /upload url: (called by the Admin cog) ---------------------------------------------------

    async def ingest_page(self, url: str, actor: str) -> PageIngested:
        return await self.runner.run_async(self.service.ingest_page(url, actor=actor, action="upload url"))

    @staticmethod
    def page_lines(page: PageIngested) -> list[str]:
        a = page.article
        link = source_link(a.title or a.article_id, a.url, 150) or fit(a.title or a.article_id, 150)
        ids = [f"`{a.article_id}#1` … `{a.article_id}#{a.paragraphs}`"] if a.paragraphs else []
        return [f"📰 {link}", *ids]

    # --- /follow, /unfollow, /following -----------------------------------------------------------

    @app_commands.command(name="follow", description="DM bei neuen Artikeln zu einer Suche / follow a topic")
    @app_commands.describe(query="Suche oder Frage, z. B. Wärmenetz Lindenau")
    async def follow(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 300]) -> None:
        from absatz.language import language_or

        language = language_or(query, locale_language(interaction.locale))
        await interaction.response.defer(ephemeral=True, thinking=True)  # BOT_DB may wait for another process
        try:
            saved = await asyncio.to_thread(self.service.follow, interaction.user.id, query, language)
        except AbsatzError as exc:  # "You already follow …" quotes the query
            await interaction.edit_original_response(content=f"⛔ {error_line(exc, language)}"[:MESSAGE])
            return
        count = len(await asyncio.to_thread(self.service.following, interaction.user.id))
        # the query as typed: a masked link or a spoiler in it is text, as /following shows it
        limit = self.service.follows.limit
        saved_text = t("follow_saved", language, id=saved.id, query=escaped(saved.query), n=count, limit=limit)
        await interaction.edit_original_response(content=saved_text[:MESSAGE])
        await audit(self.bot, str(interaction.user), "follow", saved.query, f"saved as #{saved.id}")

    @app_commands.command(name="unfollow", description="Einer Suche nicht mehr folgen / stop following a topic")
    @app_commands.describe(follow="die Suche (siehe /following)")
    async def unfollow(self, interaction: discord.Interaction, follow: app_commands.Range[str, 1, 300]) -> None:
        language = locale_language(interaction.locale)
        await interaction.response.defer(ephemeral=True, thinking=True)  # BOT_DB may wait for another process
        try:
            removed = await asyncio.to_thread(self.service.unfollow, interaction.user.id, follow)
        except AbsatzError as exc:  # "You do not follow …" quotes what was typed
            await interaction.edit_original_response(content=f"⛔ {error_line(exc, language)}"[:MESSAGE])
            return
        gone = t("unfollowed", language, query=escaped(removed.query))
        await interaction.edit_original_response(content=gone[:MESSAGE])
        await audit(self.bot, str(interaction.user), "unfollow", removed.query, "removed")

    @unfollow.autocomplete("follow")
    async def unfollow_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        mine = await asyncio.to_thread(self.service.following, interaction.user.id)
        return choices(
            (f"#{f.id} {f.query}", f"#{f.id}") for f in mine if needle in f.query.lower() or needle in f"#{f.id}"
        )

    @app_commands.command(name="following", description="Die Suchen, denen du folgst / the topics you follow")
    async def following(self, interaction: discord.Interaction) -> None:
        language = locale_language(interaction.locale)
        mine = await asyncio.to_thread(self.service.following, interaction.user.id)
        if not mine:
            await interaction.response.send_message(t("following_none", language), ephemeral=True)
            return
        head = f"**{t('following_title', language, n=len(mine), limit=self.service.follows.limit)}**"
        # Every follow listed, its id whole: long queries give way, or the last ids would be
        # hidden behind "…" (they are what /unfollow takes).
        room = (MESSAGE - len(head) - 20) // len(mine)
        lines = [head] + [f"`#{f.id}` {fit(f.query, max(20, room - len(str(f.id)) - 5))}" for f in mine]
        await interaction.response.send_message(lines_within(lines, MESSAGE), ephemeral=True)
