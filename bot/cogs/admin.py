"""Keeping the corpus current from Discord: ``/reingest``, ``/upload``, ``/remove``.

Admin rights are checked when the command runs (Manage Server or one of
``ADMIN_ROLE_IDS``), not only through Discord's default permissions, which any server
admin can loosen. Ingests run in their own thread with their own embedder, so
questions keep being answered meanwhile, from the last committed corpus version.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import discord
from discord import app_commands
from discord.ext import commands

from ingest.article import ParseError
from ingest.corpus import parse_upload, trash_article, write_upload
from ingest.lock import IngestBusy, IngestLock, lock_path
from ingest.isolated import ingest_in_child
from ingest.pipeline import IngestReport, report_summary
from vectorstore.store import Store, StoreError, UnknownCitation

from ..embeds import lines_within
from ..texts import locale_language

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 3.0
MESSAGE = 2000


def is_admin(interaction: discord.Interaction, admin_role_ids: tuple[int, ...]) -> bool:
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False  # never from a DM: there is no server whose corpus this is
    if member.guild_permissions.manage_guild:
        return True
    return any(role.id in admin_role_ids for role in member.roles)


def summary_text(report: IngestReport, language: str) -> str:
    head = ("✅ Ingest fertig" if language == "de" else "✅ Ingest finished") + f" ({report.seconds:.1f} s): "
    lines = [head + report_summary(report) + f", {report.paragraphs_embedded} paragraphs embedded"]
    lines += [f"• {f}" for f in report.failed]
    return lines_within(lines, MESSAGE)


def progress_text(done: int, total: int, paragraphs: int, elapsed: float, language: str) -> str:
    if language == "de":
        return f"⏳ Ingest läuft: {done}/{total} Artikel · {paragraphs} Absätze eingebettet · {elapsed:.0f} s"
    return f"⏳ Ingest running: {done}/{total} articles · {paragraphs} paragraphs embedded · {elapsed:.0f} s"


async def _no_progress(*_) -> None:
    return None


def _read_if_exists(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _restore(path: Path, previous: bytes | None) -> None:
    """Put a file back as it was before an upload wrote it."""
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        write_upload(path.parent, path.name, previous)


class ConfirmRemove(discord.ui.View):
    def __init__(self, cog: Admin, requester: int, article_id: str, language: str):
        super().__init__(timeout=120)
        self.cog, self.requester, self.article_id, self.language = cog, requester, article_id, language
        self.confirm.label = "Entfernen" if language == "de" else "Remove"
        self.cancel.label = "Abbrechen" if language == "de" else "Cancel"

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return interaction.user.id == self.requester

    @discord.ui.button(style=discord.ButtonStyle.danger, custom_id="absatz:remove:confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        await interaction.response.defer()
        text = await self.cog.remove_article(interaction, self.article_id, self.language)
        await interaction.edit_original_response(content=text, view=None)

    @discord.ui.button(style=discord.ButtonStyle.secondary, custom_id="absatz:remove:cancel")
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.stop()
        self.cog.bot.audit.record(str(interaction.user), "remove", self.article_id, "cancelled")
        text = "Abgebrochen." if self.language == "de" else "Cancelled."
        await interaction.response.edit_message(content=text, view=None)


class Admin(commands.Cog):
    def __init__(self, bot):
        self.bot = bot
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="absatz-ingest")
        self.running: str | None = None  # who started the ingest in progress

    def cog_unload(self) -> None:
        self._executor.shutdown(wait=False)

    @property
    def corpus_dir(self) -> Path:
        return self.bot.settings.ingest.corpus_dir

    async def _refuse_unless_admin(self, interaction: discord.Interaction, action: str) -> bool:
        if is_admin(interaction, self.bot.settings.admin_role_ids):
            return False
        language = locale_language(interaction.locale)
        self.bot.audit.record(str(interaction.user), action, "", "refused: not an admin")
        text = ("Nur Admins (Server verwalten oder Admin-Rolle) dürfen das." if language == "de"
                else "Only admins (Manage Server or an admin role) may do this.")
        await interaction.response.send_message(text, ephemeral=True)
        return True

    async def _refuse_if_running(self, interaction: discord.Interaction, language: str) -> bool:
        if not self.running:
            return False
        text = (f"Ein Ingest läuft bereits (gestartet von {self.running})." if language == "de"
                else f"An ingest is already running (started by {self.running}).")
        await interaction.response.send_message(text, ephemeral=True)
        return True

    def _ingest(self, paths: list[Path], holder: str, progress) -> IngestReport:
        """Runs in the ingest thread, waiting on the child process that does the work."""
        settings = self.bot.settings
        return ingest_in_child(settings.store, paths, settings.ingest.max_file_bytes, holder, progress)

    async def run_ingest(self, paths: list[Path], who: str, on_progress) -> IngestReport:
        """Ingest off the event loop. Progress reports from the child are shown as they
        arrive, but ``on_progress`` is awaited at most once every ``PROGRESS_EVERY_S``;
        a report held back by that is shown when the interval has passed, unless the
        ingest has finished by then (its summary supersedes it)."""
        loop = asyncio.get_running_loop()
        inbox: list[tuple[int, int, int]] = []
        arrived = asyncio.Event()

        def deliver(state: tuple[int, int, int]) -> None:  # on the event loop, in report order
            inbox.append(state)
            arrived.set()

        started = time.monotonic()
        future = loop.run_in_executor(
            self._executor, self._ingest, paths, f"{who}, {time.strftime('%H:%M:%S')}",
            lambda *state: loop.call_soon_threadsafe(deliver, state),
        )
        last_shown = float("-inf")
        held: tuple[int, int, int] | None = None

        async def show_if_due() -> None:
            nonlocal last_shown, held
            if held is not None and time.monotonic() - last_shown >= PROGRESS_EVERY_S:
                state, held, last_shown = held, None, time.monotonic()
                await on_progress(*state, last_shown - started)

        while True:
            # Every report is considered in order, before the result: the executor's
            # result is delivered to the loop after the reports that preceded it.
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
        if await self._refuse_unless_admin(interaction, "reingest"):
            return
        language = locale_language(interaction.locale)
        if await self._refuse_if_running(interaction, language):
            return
        who = str(interaction.user)
        self.running = interaction.user.mention
        try:
            await interaction.response.send_message(progress_text(0, 0, 0, 0, language))

            async def show(done: int, total: int, paragraphs: int, elapsed: float) -> None:
                try:
                    await interaction.edit_original_response(content=progress_text(done, total, paragraphs, elapsed, language))
                except discord.HTTPException as exc:  # progress is a courtesy; the ingest goes on
                    log.warning("could not update the ingest progress message: %s", exc)

            try:
                report = await self.run_ingest([self.corpus_dir], who, show)
            except (IngestBusy, StoreError) as exc:
                self.bot.audit.record(who, "reingest", str(self.corpus_dir), f"failed: {exc}")
                await interaction.edit_original_response(content=f"⛔ {exc}"[:MESSAGE])
                return
            self.bot.audit.record(who, "reingest", str(self.corpus_dir), report_summary(report))
            await interaction.edit_original_response(content=summary_text(report, language))
        except Exception as exc:
            self.bot.audit.record(who, "reingest", str(self.corpus_dir), f"failed: {type(exc).__name__}")
            raise
        finally:
            self.running = None

    # --- /upload -------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(name="upload", description="Artikel-Datei hochladen und einlesen / upload an article file")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(file=".txt, .md oder .jsonl (UTF-8)")
    async def upload(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        if await self._refuse_unless_admin(interaction, "upload"):
            return
        language = locale_language(interaction.locale)
        who = str(interaction.user)
        if await self._refuse_if_running(interaction, language):
            return
        await interaction.response.defer(thinking=True)
        max_bytes = self.bot.settings.ingest.max_file_bytes
        try:
            if file.size > max_bytes:
                raise ParseError(f"{file.filename} is {file.size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
            data = await file.read()
            name, articles = parse_upload(file.filename, data, max_bytes)
            await self._check_no_clash(name, articles)
        except ParseError as exc:
            self.bot.audit.record(who, "upload", file.filename, f"rejected: {exc}")
            prefix = "Abgelehnt" if language == "de" else "Rejected"
            await interaction.followup.send(f"⛔ {prefix}: {exc}"[:MESSAGE])
            return
        target = self.corpus_dir / name
        self.running = interaction.user.mention
        try:
            # Another process (`absatz ingest`) may hold the store's lock: ask before
            # writing, so its run never sees a file that this upload may not keep.
            await asyncio.to_thread(self._check_lock_free, f"{who} uploading {name}")
            previous = await asyncio.to_thread(_read_if_exists, target)
            path = await asyncio.to_thread(write_upload, self.corpus_dir, name, data)
            try:
                report = await self.run_ingest([path], who, _no_progress)
            except BaseException:
                # Whatever stopped the ingest, the upload did not happen: the corpus
                # folder goes back to what it was (a replaced file gets its old bytes).
                await asyncio.to_thread(_restore, path, previous)
                raise
        except (IngestBusy, StoreError) as exc:
            await self._upload_failed(interaction, who, name, exc, language)
            return
        finally:
            self.running = None
        ids = [f"`{a.id}#1` … `{a.id}#{len(a.paragraphs)}`" for a in articles]
        self.bot.audit.record(who, "upload", name, report_summary(report))
        head = summary_text(report, language)
        await interaction.followup.send(lines_within([head, *ids], MESSAGE))

    def _check_lock_free(self, holder: str) -> None:
        """Raises IngestBusy (naming the holder) if any process is ingesting into this store."""
        with IngestLock(lock_path(self.bot.settings.store), holder):
            pass

    async def _upload_failed(self, interaction: discord.Interaction, who: str, name: str, exc: Exception,
                             language: str) -> None:
        if isinstance(exc, IngestBusy):
            holder = exc.holder or ("unbekannt" if language == "de" else "unknown")
            self.bot.audit.record(who, "upload", name, f"refused: another ingest is running ({holder})")
            text = (f"⛔ Abgelehnt: Gerade läuft ein anderer Ingest (gestartet von {holder}). "
                    f"Es wurde nichts geändert; lade `{name}` erneut hoch, wenn er fertig ist." if language == "de" else
                    f"⛔ Rejected: another ingest is running (started by {holder}). "
                    f"Nothing was changed; upload `{name}` again when it has finished.")
        else:
            self.bot.audit.record(who, "upload", name, f"failed: {exc}")
            text = (f"⛔ Fehlgeschlagen: {exc} (`{name}` wurde nicht übernommen.)" if language == "de" else
                    f"⛔ Failed: {exc} (`{name}` was not kept.)")
        await interaction.followup.send(text[:MESSAGE])

    async def _check_no_clash(self, name: str, articles) -> None:
        """An upload must not silently replace an article that came from another file."""
        store = self.bot.service.store
        paths = await self.bot.service.run(lambda: store.article_paths() if store.exists else {})
        target = (self.corpus_dir / name).resolve()
        for a in articles:
            existing = paths.get(a.id)
            if existing and Path(existing).resolve() != target:
                raise ParseError(f"article id {a.id!r} already exists (from {Path(existing).name}); rename the file")

    # --- /remove -------------------------------------------------------------------

    @app_commands.guild_only()
    @app_commands.command(name="remove", description="Artikel aus dem Index entfernen / remove an article")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(article_id="Artikel-ID")
    async def remove(self, interaction: discord.Interaction, article_id: str) -> None:
        if await self._refuse_unless_admin(interaction, "remove"):
            return
        language = locale_language(interaction.locale)
        try:
            article = await self.bot.service.article(article_id)
        except UnknownCitation:
            await interaction.response.send_message(
                f"Kein Artikel `{article_id[:100]}`." if language == "de" else f"No article `{article_id[:100]}`.",
                ephemeral=True,
            )
            return
        question = (f"Artikel `{article.article_id}` ({article.title[:150]}) wirklich entfernen? Die Datei kommt in den Papierkorb."
                    if language == "de" else
                    f"Really remove article `{article.article_id}` ({article.title[:150]})? Its file moves to the trash.")
        await interaction.response.send_message(question, view=ConfirmRemove(self, interaction.user.id, article.article_id, language),
                                                ephemeral=True)

    @remove.autocomplete("article_id")
    async def remove_autocomplete(self, interaction: discord.Interaction, current: str):
        titles = await self.bot.service.titles()
        needle = current.lower()
        return [app_commands.Choice(name=f"{aid} — {title}"[:100], value=aid[:100])
                for aid, title in sorted(titles.items()) if needle in aid.lower() or needle in title.lower()][:25]

    def _remove(self, article_id: str, who: str) -> str:
        store = Store(self.bot.settings.store)
        with IngestLock(lock_path(self.bot.settings.store), f"{who} removing {article_id}"):
            path = store.article(article_id).path
            store.delete_article(article_id)
            store.bump_version(f"removed {article_id}")
            store.prune()
        moved = trash_article(self.corpus_dir, Path(path), article_id) if path else None
        return str(moved) if moved else ""

    async def remove_article(self, interaction: discord.Interaction, article_id: str, language: str) -> str:
        who = str(interaction.user)
        try:
            moved = await asyncio.get_running_loop().run_in_executor(self._executor, self._remove, article_id, who)
        except (UnknownCitation, IngestBusy) as exc:
            self.bot.audit.record(who, "remove", article_id, f"failed: {exc}")
            return f"⛔ {exc}"
        self.bot.audit.record(who, "remove", article_id, f"removed; file moved to {moved or '(no file)'}")
        if language == "de":
            return f"🗑️ `{article_id}` entfernt." + (f" Datei im Papierkorb: `{Path(moved).name}`" if moved else "")
        return f"🗑️ Removed `{article_id}`." + (f" File in the trash: `{Path(moved).name}`" if moved else "")
