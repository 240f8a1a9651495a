"""The Discord application: one ``commands.Bot`` with a cog per feature.

``create_bot`` builds it without connecting, so tests (simcord) and tools can drive the
real thing; ``absatz serve`` connects it with the token.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from vectorstore.search import Searcher
from vectorstore.store import StoreUnavailable

from .audit import AuditLog
from .feedback import FeedbackStore
from .service import AnswerService
from .settings import BotSettings
from .texts import locale_language, t
from .views import SourceButton, VoteButton

log = logging.getLogger(__name__)


def intents() -> discord.Intents:
    """Minimal: guild and DM messages for mentions and thread follow-ups. Reading a
    follow-up that does not mention the bot needs the privileged message-content intent."""
    i = discord.Intents.none()
    i.guilds = True
    i.guild_messages = True
    i.dm_messages = True
    i.message_content = True
    return i


class AbsatzBot(commands.AutoShardedBot):
    """Sharded from the start: a large bot runs as several processes, each with
    ``DISCORD_SHARD_IDS`` of ``DISCORD_SHARD_COUNT``, against one Chroma server."""

    def __init__(self, settings: BotSettings, searcher: Searcher | None = None):
        super().__init__(
            shard_count=settings.shard_count,
            shard_ids=list(settings.shard_ids) if settings.shard_ids else None,
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            # Never ping @everyone, roles or users, whatever a question or article contains.
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.searcher = searcher
        self.service: AnswerService | None = None
        self.feedback: FeedbackStore | None = None
        self.audit: AuditLog | None = None

    async def setup_hook(self) -> None:
        from .cogs.admin import Admin
        from .cogs.ask import Ask
        from .cogs.sources import Sources
        from .cogs.stats import Stats

        if self.searcher is None:
            self.searcher = await asyncio.to_thread(Searcher.open, self.settings.store)
        llm = None
        if self.settings.llm.enabled:
            from .llm import LLMAnswerer

            llm = await asyncio.to_thread(LLMAnswerer, self.settings.llm)
        self.service = AnswerService(self.searcher, self.settings.max_concurrent_answers, llm)
        self.feedback = FeedbackStore(self.settings.bot_db)
        self.audit = AuditLog(self.settings.bot_db)
        for cog in (Ask(self), Sources(self), Stats(self), Admin(self)):
            await self.add_cog(cog)
        self.add_dynamic_items(SourceButton, VoteButton)
        self.tree.on_error = self.on_app_command_error
        await self.sync_commands()

    async def sync_commands(self) -> None:
        if self.settings.guild_ids:
            for gid in self.settings.guild_ids:
                guild = discord.Object(id=gid)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions are questions, handled by the Ask cog's listener."""

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        original = getattr(error, "original", error)
        language = locale_language(interaction.locale)
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(original, StoreUnavailable):
            log.warning("/%s: index unavailable: %s", command, original)
            text = t("unavailable", language)
        else:
            log.error("/%s by user %s failed", command, interaction.user.id, exc_info=original)
            text = t("error", language)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException:
            log.warning("/%s: could not report the error to the user either", command)

    async def close(self) -> None:
        if self.service:
            self.service.close()
        if self.feedback:
            self.feedback.close()
        if self.audit:
            self.audit.close()
        await super().close()


def create_bot(settings: BotSettings, searcher: Searcher | None = None) -> AbsatzBot:
    """The whole bot, not connected. Pass ``searcher`` to share an index already open."""
    return AbsatzBot(settings, searcher)
