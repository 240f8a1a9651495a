"""The Discord bot: discord.py only — the app, one cog per feature, embeds, views.

It parses what users do in Discord and renders what the core (``absatz``) returns; it
never touches ``ingest`` or ``vectorstore`` itself.
"""

from .app import create_bot

__all__ = ["create_bot"]
