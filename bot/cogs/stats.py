"""``/stats``: what the index holds and what users thought of this server's answers; for
admins also the admin log (this server's entries and the shared corpus's) and the last
seven days — questions, answered vs refused, votes, latency, busiest channels — with a
small chart."""

from __future__ import annotations

import io

import discord
from discord import app_commands
from discord.ext import commands

from absatz import api
from absatz.analytics import Analytics, chart_png
from absatz.render import when
from absatz.texts import locale_language, t

from ..checks import is_admin
from ..embeds import COLOUR, corpus_relative, escaped, fit, lines_within

CHART = "stats.png"


def week_field(a: Analytics, language: str) -> str:
    return t(
        "stats_week_line",
        language,
        questions=a.questions,
        answered=a.answered,
        refused=a.refused,
        up=a.up,
        down=a.down,
        latency=a.median_latency_ms,
    )


def last_change_text(stats: api.Stats, language: str) -> str:
    """The index's last change in the reader's language; a line of no known form as stored."""
    change = stats.last_change
    if change is None:
        return escaped(stats.last_ingest_summary)
    key, values = change
    return t(key, language, **{name: escaped(v) if isinstance(v, str) else v for name, v in values.items()})


class Stats(commands.Cog):
    def __init__(self, bot):
        self.bot = bot

    @app_commands.command(name="stats", description="Umfang des Korpus / corpus statistics")
    async def stats(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = locale_language(interaction.locale)
        absatz = self.bot.absatz
        stats = await absatz.stats()
        guild_id = interaction.guild_id or 0
        votes = await absatz.record(lambda core: core.feedback.votes(guild_id))  # this server's answers only
        embed = discord.Embed(title="absatz", colour=COLOUR)
        for key, value in (
            ("stats_articles", stats.articles),
            ("stats_paragraphs", stats.paragraphs),
            ("stats_passages", stats.passages),
        ):
            embed.add_field(name=t(key, language), value=str(value), inline=True)
        embed.add_field(name=t("stats_embedder", language), value=f"`{stats.embedder or '?'}`", inline=False)
        last = when(stats.last_ingest) if stats.last_ingest else t("never", language)
        done = last_change_text(stats, language)
        embed.add_field(name=t("stats_last_ingest", language), value=f"{last}\n{done}"[:1024], inline=False)
        embed.add_field(name=t("stats_feedback", language), value=t("stats_votes", language, **votes), inline=False)
        if not is_admin(interaction, self.bot.settings.admin_role_ids):
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        # What this server's admins did and what was done to the shared corpus; other servers'
        # entries are theirs, and a member's own follows are not the server's business.
        recent = await absatz.record(lambda core: core.audit.visible_in(guild_id, 5))
        if recent:
            corpus_dir = self.bot.settings.ingest.corpus_dir
            lines = [
                corpus_relative(f"{when(e.at)} · {e.actor} · {e.action} {e.target} → {e.result}", corpus_dir)
                for e in recent
            ]
            embed.add_field(
                name=t("stats_audit", language),
                # escaped: a target is what someone typed (a refused non-admin's "[…](phishing)")
                value=lines_within([fit(x, 200) for x in lines], 1024),
                inline=False,
            )
        week = await absatz.run(self.bot.core.analytics, 7, interaction.guild_id)
        embed.add_field(name=t("stats_week", language), value=week_field(week, language), inline=False)
        if week.busiest_channels:
            embed.add_field(
                name=t("stats_channels", language),
                value=lines_within([f"<#{cid}> · {n}" for cid, n in week.busiest_channels], 1024),
                inline=False,
            )
        png = await absatz.run(
            chart_png, week, (t("chart_answered", language), t("chart_refused", language)), t("stats_week", language)
        )
        embed.set_image(url=f"attachment://{CHART}")
        await interaction.followup.send(embed=embed, file=discord.File(io.BytesIO(png), filename=CHART), ephemeral=True)
