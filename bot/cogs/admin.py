"""Keeping the corpus current from Discord: ``/reingest``, ``/upload``, ``/remove``.

Admin rights are checked when the command runs (Manage Server or one of
``ADMIN_ROLE_IDS``), not only through Discord's default permissions, which any server
admin can loosen. The work is the core's (:class:`absatz.AsyncAbsatz`): ingests run in a
child process under the store's lock and are audited there, so questions keep being
answered meanwhile, from the last committed corpus version.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from absatz import AbsatzError, IngestReport
from absatz.corpus import upload_too_large
from absatz.texts import locale_language, t

from ..checks import audit, refused_unless_admin
from ..embeds import corpus_relative, error_line, escaped, fit, lines_within, lookup_error
from .sources import article_choices, article_id_of

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 3.0
MESSAGE = 2000


def summary_text(report: IngestReport, language: str, corpus_dir: Path) -> str:
    head = t(
        "ingest_done",
        language,
        seconds=report.seconds,
        added=len(report.added),
        updated=len(report.updated),
        removed=len(report.removed),
        unchanged=len(report.unchanged),
        failed=len(report.failed),
        paragraphs=report.paragraphs_embedded,
    )
    # A failure quotes the file (a JSONL line's id, "[Jetzt bestätigen](https://…)"): shown
    # as written, after its path is made corpus-relative (escaping would hide the path).
    lines = [f"⚠ {escaped(corpus_relative(w, corpus_dir))}" for w in report.warnings]
    lines += [f"• {escaped(corpus_relative(str(f), corpus_dir))}" for f in report.failed]
    return lines_within([head, *lines], MESSAGE)


def progress_text(done: int, total: int, paragraphs: int, elapsed: float, language: str) -> str:
    return t("ingest_progress", language, done=done, total=total, paragraphs=paragraphs, elapsed=elapsed)


REMOVE_CONFIRM, REMOVE_CANCEL = "absatz:remove:confirm", "absatz:remove:cancel"


class ConfirmRemove(discord.ui.View):
    def __init__(self, cog: Admin, asked: discord.Interaction, article_id: str, language: str):
        super().__init__(timeout=120)
        self.cog, self.asked, self.article_id, self.language = cog, asked, article_id, language
        self.confirm.label = t("remove_button", language)
        self.cancel.label = t("cancel_button", language)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.asked.user.id

    @discord.ui.button(style=discord.ButtonStyle.danger, custom_id=REMOVE_CONFIRM)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        # The buttons go at once: a click on them while the removal runs would reach
        # LapsedRemove, which says the confirmation no longer holds.
        await interaction.response.edit_message(view=None)
        text = await self.cog.remove_article(interaction, self.article_id, self.language)
        await interaction.edit_original_response(content=text, view=None)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        """An unexpected failure (the store's own error) still ends the admin's wait:
        the deferred message would otherwise keep its buttons and say nothing."""
        log.error("/remove %s by user %s failed", self.article_id, interaction.user.id, exc_info=error)
        try:
            await interaction.edit_original_response(content=t("error", self.language), view=None)
        except discord.HTTPException:
            log.warning("/remove: could not report the error to the admin either")

    async def on_timeout(self) -> None:
        """The buttons stop answering after ``timeout``: they go, and the question says it
        expired, rather than failing the admin's late click."""
        try:
            await self.asked.edit_original_response(
                content=t("remove_expired", self.language, id=self.article_id), view=None
            )
        except discord.HTTPException as exc:  # dismissed: nothing left to update
            log.info("/remove %s: the expired confirmation could not be updated (%s)", self.article_id, exc)

    @discord.ui.button(style=discord.ButtonStyle.secondary, custom_id=REMOVE_CANCEL)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.edit_message(content=t("cancelled", self.language), view=None)
        who = str(interaction.user)
        await audit(self.cog.bot, who, "remove", self.article_id, "cancelled", interaction.guild_id or 0)


class LapsedRemove(discord.ui.View):
    """Answers the buttons of a confirmation no :class:`ConfirmRemove` of this process
    holds: one asked before a restart, or one whose expiry could not take its buttons
    away. Discord would say "This interaction failed"; the admin reads that nothing was
    removed by this click and how to ask again. Registered without a message, so a live
    confirmation's own view is found first."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(custom_id=REMOVE_CONFIRM)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._lapsed(interaction)

    @discord.ui.button(custom_id=REMOVE_CANCEL)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._lapsed(interaction)

    @staticmethod
    async def _lapsed(interaction: discord.Interaction) -> None:
        language = locale_language(interaction.locale)
        await interaction.response.edit_message(content=t("remove_lapsed", language), view=None)


async def _finish(interaction: discord.Interaction, message_id: int | None, content: str) -> None:
    """The ingest's last word in its progress message; past the interaction's 15 minutes
    through the channel with the bot's token, and as a new message if even that fails."""
    try:
        await interaction.edit_original_response(content=content)
        return
    except discord.HTTPException as exc:
        log.info("the ingest's interaction has expired (%s); its summary goes through the channel", exc)
    channel = interaction.channel
    if message_id is not None and isinstance(channel, discord.TextChannel | discord.Thread | discord.VoiceChannel):
        try:
            await channel.get_partial_message(message_id).edit(content=content)
            return
        except discord.HTTPException as exc:
            log.info("the ingest's progress message cannot be edited (%s): its summary is sent", exc)
    if isinstance(channel, discord.abc.Messageable):
        try:
            await channel.send(content, allowed_mentions=discord.AllowedMentions.none())
            return
        except discord.HTTPException as exc:
            log.warning("the ingest's summary could not be sent (%s)", exc)
    log.warning("the ingest's summary was not shown: %s", content)


class Admin(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.running: str | None = None  # who started the ingest in progress, for a quick answer

    async def _refuse_if_running(
        self, interaction: discord.Interaction, language: str, action: str, target: str = ""
    ) -> bool:
        """Refuses (and audits: every admin action lands in the log, refusals included)
        while the bot runs an ingest: its own, the watcher's or a feed's."""
        live = self.bot.get_cog("Live")
        who = self.running or (live.ingesting() if live is not None else None)
        if not who:
            return False
        await interaction.response.send_message(t("ingest_running_here", language, who=who), ephemeral=True)
        await audit(self.bot, str(interaction.user), action, target, "refused: an ingest is already running")
        return True

    async def run_ingest(self, who: str, on_progress) -> IngestReport:
        """The corpus folder's incremental ingest, in a child process. Progress reports
        from the child are shown as they arrive, but ``on_progress`` is awaited at most
        once every ``PROGRESS_EVERY_S``; a report held back by that is shown when the
        interval has passed, unless the ingest has finished by then (its summary
        supersedes it)."""
        loop = asyncio.get_running_loop()
        inbox: list[tuple[int, int, int]] = []
        arrived = asyncio.Event()

        def deliver(state: tuple[int, int, int]) -> None:  # on the event loop, in report order
            inbox.append(state)
            arrived.set()

        started = time.monotonic()
        future = asyncio.ensure_future(
            self.bot.absatz.ingest(
                actor=who, action="reingest", progress=lambda *state: loop.call_soon_threadsafe(deliver, state)
            )
        )
        last_shown = float("-inf")
        held: tuple[int, int, int] | None = None

        async def show_if_due() -> None:
            nonlocal last_shown, held
            if held is not None and time.monotonic() - last_shown >= PROGRESS_EVERY_S:
                state, held, last_shown = held, None, time.monotonic()
                await on_progress(*state, last_shown - started)

        while True:
            # Every report is considered in order, before the result: the result is
            # delivered to the loop after the reports that preceded it.
            while inbox:
                held = inbox.pop(0)
                await show_if_due()
            if future.done():
                return future.result()
            arrived.clear()
            waiter = asyncio.ensure_future(arrived.wait())
            due = None if held is None else max(0.0, last_shown + PROGRESS_EVERY_S - time.monotonic())
            try:
                await asyncio.wait({future, waiter}, timeout=due, return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
            if not inbox and not future.done():
                await show_if_due()

    # --- /reingest -----------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(name="reingest", description="Korpus neu einlesen (nur Geändertes) / re-ingest the corpus")
    @app_commands.default_permissions(manage_guild=True)
    async def reingest(self, interaction: discord.Interaction) -> None:
        if await refused_unless_admin(self.bot, interaction, "reingest"):
            return
        language = locale_language(interaction.locale)
        if await self._refuse_if_running(interaction, language, "reingest"):
            return
        self.running = interaction.user.mention
        try:
            await interaction.response.send_message(progress_text(0, 0, 0, 0, language))
            # Its id, to edit it with the bot's own token once the interaction's has
            # expired (15 minutes): a large re-ingest takes longer. Without it the summary
            # is then sent as a new message.
            try:
                original: int | None = (await interaction.original_response()).id
            except discord.HTTPException:
                original = None

            async def show(done: int, total: int, paragraphs: int, elapsed: float) -> None:
                try:
                    await interaction.edit_original_response(
                        content=progress_text(done, total, paragraphs, elapsed, language)
                    )
                except discord.HTTPException as exc:  # progress is a courtesy; the ingest goes on
                    log.warning("could not update the ingest progress message: %s", exc)

            try:
                report = await self.run_ingest(str(interaction.user), show)
            except AbsatzError as exc:
                corpus_dir = self.bot.settings.ingest.corpus_dir
                await _finish(interaction, original, f"⛔ {error_line(exc, language, corpus_dir)}"[:MESSAGE])
                return
            await _finish(interaction, original, summary_text(report, language, self.bot.settings.ingest.corpus_dir))
            await self._announce(report, str(interaction.user), "reingest")
        finally:
            self.running = None

    # --- /upload -------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(name="upload", description="Datei oder Web-Artikel einlesen / upload a file or a page")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(file=".txt, .md oder .jsonl (UTF-8)", url="oder die http(s)-Adresse eines Web-Artikels")
    async def upload(
        self,
        interaction: discord.Interaction,
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, 2000] | None = None,
    ) -> None:
        if await refused_unless_admin(self.bot, interaction, "upload"):
            return
        language = locale_language(interaction.locale)
        if (file is None) == (url is None):
            await interaction.response.send_message(t("upload_one", language), ephemeral=True)
            await audit(self.bot, str(interaction.user), "upload", "", "rejected: neither or both of file and url")
            return
        if await self._refuse_if_running(interaction, language, "upload", file.filename if file else url or ""):
            return
        await interaction.response.defer(thinking=True)
        if url is not None:
            await self._upload_url(interaction, url, language)
            return
        assert file is not None
        who = str(interaction.user)
        max_bytes = self.bot.settings.ingest.max_file_bytes
        if reason := upload_too_large(file.filename, file.size, max_bytes):  # refused before downloading it
            await interaction.followup.send(t("rejected", language, reason=reason)[:MESSAGE])
            await audit(self.bot, who, "upload", file.filename, f"rejected: {reason}")
            return
        data = await file.read()
        self.running = interaction.user.mention
        live = self.bot.get_cog("Live")  # its watcher would ingest the written file a second time
        try:
            done = await self.bot.absatz.upload(
                file.filename, data, actor=who, on_written=live.service.remember_write if live else None
            )
        except AbsatzError as exc:
            await interaction.followup.send(self._upload_refusal(exc, file.filename, language)[:MESSAGE])
            return
        finally:
            self.running = None
        ids = [f"`{a.id}#1` … `{a.id}#{len(a.paragraphs)}`" for a in done.articles]
        summary = summary_text(done.report, language, self.bot.settings.ingest.corpus_dir)
        await interaction.followup.send(lines_within([summary, *ids], MESSAGE))
        await self._announce(done.report, who, "upload")

    async def _announce(self, report: IngestReport, actor: str, action: str) -> None:
        """New articles from here are announced and matched against follows like those
        the watcher and the feeds bring (the live cog does both)."""
        live = self.bot.get_cog("Live")
        if live is not None:
            await live.after_ingest(report, actor, action)

    async def _upload_url(self, interaction: discord.Interaction, url: str, language: str) -> None:
        """One web article: fetched (SSRF guard, robots.txt), extracted, written into
        ``CORPUS_DIR/web/…`` and ingested by the live corpus's one ingest worker."""
        from absatz.live import LiveError

        live = self.bot.get_cog("Live")
        self.running = interaction.user.mention
        try:
            page = await live.ingest_page(url, str(interaction.user))
        except LiveError as exc:  # not fetched, no article, or its file not written: nothing changed
            verdict = "failed" if exc.key == "live_write" else "rejected"  # the disk, not the page
            reason = error_line(exc, language, self.bot.settings.ingest.corpus_dir)
            await interaction.followup.send(t(verdict, language, reason=reason)[:MESSAGE])
            return
        except AbsatzError as exc:
            await interaction.followup.send(t("failed", language, reason=error_line(exc, language))[:MESSAGE])
            return
        finally:
            self.running = None
        summary = summary_text(page.batch.report, language, self.bot.settings.ingest.corpus_dir)
        await interaction.followup.send(lines_within([summary, *live.page_lines(page)], MESSAGE))

    @staticmethod
    def _upload_refusal(exc: AbsatzError, name: str, language: str) -> str:
        if exc.key == "ingest_busy":
            return t("upload_busy", language, holder=exc.params.get("holder", "?"), name=name)
        if exc.key == "bad_file":  # not an embedder that failed to load, which has a reason too
            return t("rejected", language, reason=error_line(exc, language))
        return t("upload_failed", language, reason=error_line(exc, language), name=name)

    # --- /remove -------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(name="remove", description="Artikel aus dem Index entfernen / remove an article")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(article_id="Artikel-ID")
    async def remove(self, interaction: discord.Interaction, article_id: str) -> None:
        if await refused_unless_admin(self.bot, interaction, "remove"):
            return
        language = locale_language(interaction.locale)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the store may take a while to fail
        try:
            article = await self.bot.absatz.article(article_id_of(article_id))
        except AbsatzError as exc:
            await interaction.edit_original_response(content=lookup_error(exc, "unknown_article", article_id, language))
            return
        # the title as written: no masked link, spoiler, or backtick ending the id's code span
        question = t("remove_confirm", language, id=article.article_id, title=fit(article.title, 150))
        await interaction.edit_original_response(
            content=question, view=ConfirmRemove(self, interaction, article.article_id, language)
        )

    @remove.autocomplete("article_id")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str):
        return await article_choices(self.bot.absatz, current)

    async def remove_article(self, interaction: discord.Interaction, article_id: str, language: str) -> str:
        try:
            removal = await self.bot.absatz.remove(article_id, actor=str(interaction.user))
        except AbsatzError as exc:  # gone meanwhile (a second confirmation): no "source" of that id
            return lookup_error(exc, "unknown_article", article_id, language)
        text = t("removed", language, id=article_id)
        return text + (t("removed_trash", language, file=removal.trashed.name) if removal.trashed else "")
