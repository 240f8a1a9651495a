"""Looking sources up: ``/source``, ``/article`` and ``/search``, with autocomplete."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from absatz import AbsatzError, parse_citation_id
from absatz.language import language_or
from absatz.texts import locale_language

from ..checks import period_problem, scope_of
from ..choices import choices
from ..embeds import article_embed, lookup_error, paragraph_embed, search_embed


def article_id_of(typed: str) -> str:
    """The article a typed id names: a citation id (``…#2``, as answers show them) names
    its article, and spaces around it are a slip of the keyboard."""
    return typed.split("#", 1)[0].strip()


# Discord drops the choices of an autocomplete answered after 3 s, and it cannot be
# deferred: a store that does not answer by then offers nothing.
CHOICES_WITHIN_S = 2.5


async def article_choices(absatz, current: str, paragraph_ids: bool = False) -> list[app_commands.Choice[str]]:
    """Autocomplete over article ids and titles; with ``paragraph_ids``, after a ``#`` the
    article's paragraph ids. Shared by every command that takes an article or a source.
    Nothing, rather than an error, when the store fails or does not answer in time."""
    try:
        return await asyncio.wait_for(_article_choices(absatz, current, paragraph_ids), CHOICES_WITHIN_S)
    except (AbsatzError, TimeoutError):
        return []


async def _article_choices(absatz, current: str, paragraph_ids: bool) -> list[app_commands.Choice[str]]:
    needle = current.strip().lower()
    if paragraph_ids and "#" in needle:
        a = await absatz.article(article_id_of(current))
        ids = (f"{a.article_id}#{n}" for n in range(1, a.paragraphs + 1))
        return choices((cid, cid) for cid in ids if cid.lower().startswith(needle))
    titles = await absatz.titles()
    suffix = "#1" if paragraph_ids else ""
    return choices(
        (f"{aid} — {title}", aid + suffix)
        for aid, title in sorted(titles.items())
        if needle in aid.lower() or needle in title.lower()
    )


class Sources(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="source", description="Den Absatz zu einer Quellen-ID zeigen / show a cited paragraph")
    @app_commands.describe(id="Quellen-ID, z. B. 000_a05d8c91f093345a#2")
    async def source(self, interaction: discord.Interaction, id: str) -> None:
        language = locale_language(interaction.locale)
        try:
            parse_citation_id(id)  # a typo is told to its typist alone, before anything is read
        except AbsatzError as exc:
            await interaction.response.send_message(lookup_error(exc, "unknown_source", id, language), ephemeral=True)
            return
        # The store may take CHROMA_TIMEOUT_S to say it is down: acknowledged first, as /search is.
        await interaction.response.defer(thinking=True)
        try:
            view = await self.bot.absatz.source(id)
        except AbsatzError as exc:
            await interaction.edit_original_response(content=lookup_error(exc, "unknown_source", id, language))
            return
        await interaction.edit_original_response(embed=paragraph_embed(view, language))

    @source.autocomplete("id")
    async def source_autocomplete(self, interaction: discord.Interaction, current: str):
        return await article_choices(self.bot.absatz, current, paragraph_ids=True)

    @app_commands.command(name="article", description="Angaben zu einem Artikel / article details")
    @app_commands.describe(id="Artikel-ID")
    async def article(self, interaction: discord.Interaction, id: str) -> None:
        language = locale_language(interaction.locale)
        await interaction.response.defer(thinking=True)  # before the store is read, as in /source
        try:
            a = await self.bot.absatz.article(article_id_of(id))
            related = await self.bot.absatz.related(a.article_id)
        except AbsatzError as exc:
            await interaction.edit_original_response(content=lookup_error(exc, "unknown_article", id, language))
            return
        await interaction.edit_original_response(embed=article_embed(a, language, related))

    @article.autocomplete("id")
    async def article_autocomplete(self, interaction: discord.Interaction, current: str):
        return await article_choices(self.bot.absatz, current)

    @app_commands.command(name="search", description="Die passendsten Absätze auflisten / list matching paragraphs")
    @app_commands.describe(query="Suchbegriffe oder Frage", since="ab (YYYY-MM[-DD])", until="bis (YYYY-MM[-DD])")
    async def search(
        self,
        interaction: discord.Interaction,
        query: app_commands.Range[str, 1, 500],
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        language = language_or(query, locale_language(interaction.locale))
        problem = period_problem(since, until, language)
        if problem:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        scope = await scope_of(self.bot, interaction.channel)
        found = await self.bot.absatz.search(query, k=5, since=since, until=until, scope=scope)
        await interaction.followup.send(embed=search_embed(query, found, language))
