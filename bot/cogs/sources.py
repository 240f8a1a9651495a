"""Looking sources up: ``/source``, ``/article`` and ``/search``, with autocomplete."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from vectorstore.dates import DateRange
from vectorstore.store import UnknownCitation

from ..embeds import article_embed, paragraph_embed, search_embed
from ..language import detect_language
from ..texts import locale_language, t

MAX_CHOICES = 25


def _choice(name: str, value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=name[:100], value=value[:100])


class Sources(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    async def _article_choices(self, current: str, paragraph_ids: bool) -> list[app_commands.Choice[str]]:
        titles = await self.bot.service.titles()
        needle = current.strip().lower()
        if paragraph_ids and "#" in needle:
            article_id = current.split("#", 1)[0].strip()
            try:
                a = await self.bot.service.article(article_id)
            except UnknownCitation:
                return []
            prefix = current.strip().lower()
            ids = [f"{a.article_id}#{n}" for n in range(1, a.paragraphs + 1)]
            return [_choice(cid, cid) for cid in ids if cid.lower().startswith(prefix)][:MAX_CHOICES]
        matches = [
            (aid, title) for aid, title in sorted(titles.items())
            if needle in aid.lower() or needle in title.lower()
        ][:MAX_CHOICES]
        suffix = "#1" if paragraph_ids else ""
        return [_choice(f"{aid} — {title}", aid + suffix) for aid, title in matches]

    @app_commands.command(name="source", description="Den Absatz zu einer Quellen-ID zeigen / show a cited paragraph")
    @app_commands.describe(id="Quellen-ID, z. B. 000_a05d8c91f093345a#2")
    async def source(self, interaction: discord.Interaction, id: str) -> None:
        language = locale_language(interaction.locale)
        try:
            p, before, after = await self.bot.service.source(id)
        except (UnknownCitation, ValueError):
            await interaction.response.send_message(t("unknown_source", language, id=f"`{id[:100]}`"), ephemeral=True)
            return
        await interaction.response.send_message(embed=paragraph_embed(p, before, after, language))

    @source.autocomplete("id")
    async def source_autocomplete(self, interaction: discord.Interaction, current: str):
        return await self._article_choices(current, paragraph_ids=True)

    @app_commands.command(name="article", description="Angaben zu einem Artikel / article details")
    @app_commands.describe(id="Artikel-ID")
    async def article(self, interaction: discord.Interaction, id: str) -> None:
        language = locale_language(interaction.locale)
        try:
            a = await self.bot.service.article(id.split("#", 1)[0].strip())
        except UnknownCitation:
            await interaction.response.send_message(t("unknown_article", language, id=f"`{id[:100]}`"), ephemeral=True)
            return
        related = await self.bot.service.related(a.article_id)
        await interaction.response.send_message(embed=article_embed(a, language, related))

    @article.autocomplete("id")
    async def article_autocomplete(self, interaction: discord.Interaction, current: str):
        return await self._article_choices(current, paragraph_ids=False)

    @app_commands.command(name="search", description="Die passendsten Absätze auflisten / list matching paragraphs")
    @app_commands.describe(query="Suchbegriffe oder Frage", since="ab (YYYY-MM[-DD])", until="bis (YYYY-MM[-DD])")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 500],
                     since: str | None = None, until: str | None = None) -> None:
        try:
            dates = DateRange.parse(since, until)
        except ValueError as exc:
            await interaction.response.send_message(f"⛔ {exc}", ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        result = await self.bot.service.search(query, 5, dates)
        await interaction.followup.send(embed=search_embed(query, result.hits, detect_language(query)))
