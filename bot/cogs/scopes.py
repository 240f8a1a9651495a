"""Channel scopes (admins): ``/scope set``, ``/scope show``, ``/scope clear``.

A scope limits what questions asked in a channel — and its threads, and the posts of a
forum — search: categories, sources, a rolling date window; ``mode: auto`` makes every
top-level message there a question (every new post, in a forum). Stored in the bot's
SQLite, so it survives restarts; checked against the corpus when set, so a typo is an
error that lists what exists rather than a channel that silently finds nothing.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from absatz import AbsatzError
from absatz.render import shorten
from absatz.scopes import Scope, label
from absatz.texts import locale_language, t

from ..checks import audit, refused_unless_admin
from ..embeds import error_line, fit

Channel = discord.TextChannel | discord.ForumChannel


class Scopes(
    commands.GroupCog, group_name="scope", group_description="Was ein Kanal durchsucht / what a channel searches"
):
    def __init__(self, bot):
        self.bot = bot
        super().__init__()

    def _channel(self, interaction: discord.Interaction, channel: Channel | None):
        """The channel named, or this one; in a thread or forum post its parent, whose
        scope the thread searches with (:func:`~bot.checks.scope_of`)."""
        target = channel or interaction.channel
        if isinstance(target, discord.Thread) and target.parent is not None:
            return target.parent
        return target

    @app_commands.command(name="set", description="Kanal auf einen Ausschnitt des Korpus begrenzen / limit a channel")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(
        channel="Kanal (Standard: dieser)",
        categories="Kategorien, mit Komma getrennt",
        sources="Quellen, mit Komma getrennt",
        since="Zeitfenster (90d, 3 Monate) oder Datum",
        mode="auto: jede Nachricht ist eine Frage; mention: nur Erwähnungen",
    )
    async def set_scope(
        self,
        interaction: discord.Interaction,
        channel: Channel | None = None,
        categories: str | None = None,
        sources: str | None = None,
        since: str | None = None,
        mode: str | None = None,
    ) -> None:
        if await refused_unless_admin(self.bot, interaction, "scope set"):
            return
        language = locale_language(interaction.locale)
        target = self._channel(interaction, channel)
        me = interaction.guild.me if interaction.guild else None
        who, where = str(interaction.user), f"#{target.name}"
        if me is None or not target.permissions_for(me).view_channel:
            await interaction.response.send_message(
                t("scope_cannot_see", language, channel=target.mention), ephemeral=True
            )
            await audit(self.bot, who, "scope set", where, "refused: the bot cannot see it", interaction.guild_id)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)  # facets are read from the store
        try:
            scope = await self.bot.absatz.lookup(self.bot.core.make_scope, categories, sources, since, mode)
        except AbsatzError as exc:  # quotes what was typed, and the corpus's names
            await interaction.edit_original_response(content=f"⛔ {error_line(exc, language)}"[:2000])
            await audit(self.bot, who, "scope set", where, f"rejected: {exc}", interaction.guild_id)
            return
        await self.bot.absatz.record(lambda core: core.scopes.set(interaction.guild_id, target.id, scope, who))
        await interaction.edit_original_response(
            content=t("scope_saved", language, channel=target.mention, what=describe(scope, language))
        )
        what = describe(scope, "en", markdown=False)
        await audit(self.bot, who, "scope set", where, what, interaction.guild_id)

    @set_scope.autocomplete("mode")
    async def mode_autocomplete(self, interaction: discord.Interaction, current: str):
        return [app_commands.Choice(name=m, value=m) for m in ("mention", "auto") if m.startswith(current.lower())]

    @app_commands.command(name="show", description="Was dieser Kanal durchsucht / show a channel's scope")
    @app_commands.guild_only()
    @app_commands.describe(channel="Kanal (Standard: dieser)")
    async def show(self, interaction: discord.Interaction, channel: Channel | None = None) -> None:
        language = locale_language(interaction.locale)
        target = self._channel(interaction, channel)
        scope = await self.bot.absatz.record(lambda core: core.scopes.get(target.id))
        await interaction.response.send_message(
            t("scope_is", language, channel=target.mention, what=describe(scope or Scope(), language)), ephemeral=True
        )

    @app_commands.command(name="clear", description="Begrenzung aufheben / search everything again")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(channel="Kanal (Standard: dieser)")
    async def clear(self, interaction: discord.Interaction, channel: Channel | None = None) -> None:
        if await refused_unless_admin(self.bot, interaction, "scope clear"):
            return
        language = locale_language(interaction.locale)
        target = self._channel(interaction, channel)
        await interaction.response.defer(ephemeral=True, thinking=True)  # BOT_DB may wait for another process
        await self.bot.absatz.record(lambda core: core.scopes.clear(target.id))
        await interaction.edit_original_response(content=t("scope_cleared", language, channel=target.mention))
        await audit(self.bot, str(interaction.user), "scope clear", f"#{target.name}", "cleared", interaction.guild_id)


SCOPE_LABEL = 1500  # of a message's 2,000: a scope may list a hundred sources


def describe(scope: Scope, language: str, *, markdown: bool = True) -> str:
    """The scope in one line, its mode included: a long list of sources gives way, so the
    reply that confirms or shows it stays one message. For a message (``markdown``) the
    names, the corpus's (a feed's, a page's), are shown as written: escaped, within the
    room they had; the audit log keeps them as they are."""
    names = label(scope, language, SCOPE_LABEL, fit if markdown else shorten)
    return f"{names} · {t('scope_mode_' + scope.mode, language)}"
