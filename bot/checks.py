"""What the cogs share: who is an admin, what a channel searches, whether a command's
options make sense."""

from __future__ import annotations

import logging

import discord

from absatz import AbsatzError
from absatz.api import period
from absatz.language import language_or
from absatz.scopes import Scope
from absatz.texts import locale_language, t

from .embeds import error_line

log = logging.getLogger(__name__)


def is_admin(interaction: discord.Interaction, admin_role_ids: tuple[int, ...]) -> bool:
    member = interaction.user
    if interaction.guild is None or not isinstance(member, discord.Member):
        return False  # never from a DM: there is no server whose corpus this is
    if member.guild_permissions.manage_guild:
        return True
    return any(role.id in admin_role_ids for role in member.roles)


async def refused_unless_admin(bot, interaction: discord.Interaction, action: str, target: str = "") -> bool:
    """Whether the command was refused: the admin check runs when the command does,
    whatever the server's command permissions say (a server can grant a command to
    anyone). The refusal is told only to the one who asked and kept in the audit log,
    where admins see who tried what."""
    if is_admin(interaction, bot.settings.admin_role_ids):
        return False
    await interaction.response.send_message(t("admins_only", locale_language(interaction.locale)), ephemeral=True)
    await audit(bot, str(interaction.user), action, target, "refused: not an admin", interaction.guild_id or 0)
    return True


async def audit(bot, actor: str, action: str, target: str, result: str, guild_id: int | None = None) -> None:
    """An admin action's line in the audit log, or a refused one's: written after the
    reply and in the bookkeeping threads, because ``BOT_DB`` locked by another process (a
    second shard, the CLI) holds a write for SQLite's 10 s. Written on the event loop it
    had stalled every server's messages that long, and written first it had kept the
    reply past Discord's 3 s. A line that cannot be written is logged; what was done stands."""
    try:
        await bot.absatz.record(lambda core: core.audit.record(actor, action, target[:500], result, guild_id))
    except Exception:
        log.exception("the audit line %r %r %r could not be written", actor, action, target)


async def scope_of(bot, channel: object) -> Scope | None:
    """The scope admins set for a channel; a thread (or forum post) has its parent's."""
    if channel is None or isinstance(channel, (discord.DMChannel, discord.GroupChannel)):
        return None
    channel_id = channel.parent_id if isinstance(channel, discord.Thread) else getattr(channel, "id", 0)
    return await bot.absatz.record(lambda core: core.scopes.get(channel_id))


def period_problem(since: str | None, until: str | None, language: str) -> str | None:
    """What is wrong with a command's ``since``/``until`` options, naming the option as
    Discord shows it; None when they make a period."""
    for option, value in (("since", since), ("until", until)):
        try:
            period(value, None)
        except AbsatzError as exc:
            return f"⛔ `{option}`: {error_line(exc, language)}"
    try:
        period(since, until)
    except AbsatzError as exc:
        return f"⛔ {error_line(exc, language)}"
    return None


def interaction_language(interaction: discord.Interaction) -> str:
    """What the user typed (an ``/ask`` question, a ``/search`` or ``/follow`` query)
    says its language where its words do; else the client's."""
    typed = getattr(interaction.namespace, "question", None) or getattr(interaction.namespace, "query", None)
    return language_or(typed if isinstance(typed, str) else "", locale_language(interaction.locale))
