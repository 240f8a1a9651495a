"""Helpers for driving the bot through simcord, shared by tests and bench scripts."""

from __future__ import annotations

import discord


def reply_of(result):
    """A deferred interaction's answer arrives as the edited original response."""
    return result.followups[-1] if result.followups else result.response


async def dispatch_unsettled(env, actor, channel, command: str, **options):
    """Emit a slash interaction without waiting for the bot, so many can be in flight.

    simcord's actors settle the bot after every action (one user at a time); this
    builds the same payload through simcord's own helpers but settles only once.
    """
    from simcord import actors, interactions
    from simcord.results import InteractionResult

    root = actors._resolve_visible_command(actor, channel.id, command, discord.AppCommandType.chat_input.value)
    leaf, nesting = interactions.walk_to_subcommand(root, [])
    leaf_options, _ = interactions.build_options(actor, command, leaf, options, channel_id=channel.id)
    data = {
        "id": root["id"],
        "name": root["name"],
        "type": 1,
        "options": interactions.nest_options(root, nesting, leaf_options),
    }
    record, payload = interactions.base_payload(
        env.backend, type=2, channel_id=channel.id, guild_id=actor.guild.id, user_id=actor.id, data=data
    )
    env.backend.emit("INTERACTION_CREATE", payload)
    return InteractionResult(env, record)


def bot_with(settings, searcher=None):
    """The bot of ``settings``, sharing an index (a ``Searcher``) a test already opened."""
    from absatz import Absatz
    from bot import create_bot

    return create_bot(settings, Absatz(settings.core, searcher=searcher) if searcher is not None else None)
