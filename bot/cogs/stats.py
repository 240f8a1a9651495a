"""``/stats``: what the index holds and what users thought of the answers."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from ingest.parse import shorten

from ..embeds import COLOUR, lines_within
from ..render import when


class Stats(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="stats", description="Umfang des Korpus / corpus statistics")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        service = self.bot.service
        counts = await service.counts()
        meta = await service.run(lambda: service.store.meta)
        votes = await service.run(self.bot.feedback.votes)
        embed = discord.Embed(title="absatz", colour=COLOUR)
        for name, key in (("Artikel", "articles"), ("Absätze", "paragraphs"), ("Passagen", "passages")):
            embed.add_field(name=name, value=str(counts[key]), inline=True)
        embed.add_field(name="Embedder", value=f"`{meta.get('embedder', '?')}`", inline=False)
        last = when(meta.get("last_ingest"))
        summary = meta.get("last_ingest_summary", "")
        embed.add_field(name="Letzter Ingest", value=f"{last}\n{summary}"[:1024], inline=False)
        embed.add_field(name="Feedback", value=f"{votes['answers']} Antworten · 👍 {votes['up']} · 👎 {votes['down']}", inline=False)
        recent = await service.run(self.bot.audit.recent, 5)
        if recent:
            lines = [f"{when(e.at)} · {e.actor} · {e.action} {e.target} → {e.result}" for e in recent]
            embed.add_field(name="Admin-Log", value=lines_within([shorten(x, 200) for x in lines], 1024), inline=False)
        await interaction.followup.send(embed=embed, ephemeral=True)
