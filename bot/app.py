"""The Discord application: one ``commands.Bot`` with a cog per feature.

``create_bot`` builds it without connecting, so tests (simcord) and tools can drive the
real thing; ``absatz serve`` connects it with the token.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from absatz import Absatz, AbsatzError, AsyncAbsatz
from absatz.texts import t

from .checks import interaction_language
from .embeds import MESSAGE, error_line
from .settings import BotSettings
from .views import FeedbackModal, SourceButton, VoteButton

if TYPE_CHECKING:
    from .cogs.live import Live

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

    def __init__(self, settings: BotSettings, core: Absatz | None = None):
        super().__init__(
            shard_count=settings.shard_count,
            # discord.py types shard_ids as list[int]; None, its default, lets it choose the shards
            shard_ids=list(settings.shard_ids) if settings.shard_ids else None,  # type: ignore[arg-type]
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            # Never ping @everyone, roles or users, whatever a question or article contains.
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.settings = settings
        self.core = core or Absatz(settings.core)
        self.absatz = AsyncAbsatz(self.core, settings.max_concurrent_answers)

    async def setup_hook(self) -> None:
        from .cogs.admin import Admin, LapsedRemove
        from .cogs.ask import Ask
        from .cogs.gaps import Gaps
        from .cogs.live import Live
        from .cogs.scopes import Scopes
        from .cogs.sources import Sources
        from .cogs.stats import Stats

        # Load the embedder, the read index, the answer scorers and the chat model before the first question.
        try:
            await asyncio.to_thread(
                lambda: (self.core.feedback, self.core.llm, self.core.answer_scorers, self.core.searcher)
            )
        except AbsatzError as exc:  # no index yet, or the server is down: answer that, retry per question
            log.warning("starting before the index can be read: %s", exc)
        for cog in (Ask(self), Sources(self), Stats(self), Admin(self), Scopes(self), Gaps(self)):
            await self.add_cog(cog)
        await self.add_cog(Live(self))  # the live corpus: watched folder, feeds, announcements, follows
        self.add_dynamic_items(SourceButton, VoteButton)
        self.add_view(FeedbackModal())  # a 👎 form opened before this start still submits
        self.add_view(LapsedRemove())  # a /remove confirmation asked before this start says so
        self.tree.error(self.on_app_command_error)  # sets tree.on_error
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
        """The bot's one mapping of errors: the error tree in the user's language, anything
        else as "something went wrong" (logged)."""
        original = getattr(error, "original", error)
        language = interaction_language(interaction)
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(original, AbsatzError):
            log.warning("/%s: %s", command, original)
            text = error_line(original, language)
        else:
            log.error("/%s by user %s failed", command, interaction.user.id, exc_info=original)
            text = t("error", language)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text[:MESSAGE], ephemeral=True)
            else:
                await interaction.response.send_message(text[:MESSAGE], ephemeral=True)
        except discord.HTTPException:
            log.warning("/%s: could not report the error to the user either", command)

    async def close(self) -> None:
        live = cast("Live | None", self.get_cog("Live"))
        if live is not None:
            await live.shutdown()  # stop watching and polling; a running ingest finishes first
        self.absatz.close()
        await super().close()


def create_bot(settings: BotSettings, core: Absatz | None = None) -> AbsatzBot:
    """The whole bot, not connected. Pass ``core`` to share an :class:`Absatz` already open."""
    return AbsatzBot(settings, core)
