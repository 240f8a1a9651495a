"""``/stats``: what the index holds and what users thought of the answers."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from absatz.render import shorten, when
from absatz.texts import locale_language, t

from ..embeds import COLOUR, lines_within


class Stats(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="stats", description="Umfang des Korpus / corpus statistics")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = locale_language(interaction.locale)
        absatz, core = self.bot.absatz, self.bot.core
        stats = await absatz.stats()
        votes = await absatz.run(core.feedback.votes)
        embed = discord.Embed(title="absatz", colour=COLOUR)
        for key, value in (("stats_articles", stats.articles), ("stats_paragraphs", stats.paragraphs),
                           ("stats_passages", stats.passages)):
            embed.add_field(name=t(key, language), value=str(value), inline=True)
        embed.add_field(name=t("stats_embedder", language), value=f"`{stats.embedder or '?'}`", inline=False)
        last = when(stats.last_ingest) if stats.last_ingest else t("never", language)
        embed.add_field(name=t("stats_last_ingest", language), value=f"{last}\n{stats.last_ingest_summary}"[:1024],
                        inline=False)
        embed.add_field(name=t("stats_feedback", language), value=t("stats_votes", language, **votes), inline=False)
        recent = await absatz.run(core.audit.recent, 5)
        if recent:
            lines = [f"{when(e.at)} · {e.actor} · {e.action} {e.target} → {e.result}" for e in recent]
            embed.add_field(name=t("stats_audit", language), value=lines_within([shorten(x, 200) for x in lines], 1024),
                            inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True)
