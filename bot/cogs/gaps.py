"""Coverage gaps (admins): ``/gaps [days]``, and a weekly digest to ``ADMIN_CHANNEL_ID``.

What people asked that the corpus could not answer, or that they voted 👎, grouped by
meaning and most asked first — so editors know what to add.
"""

from __future__ import annotations

import datetime
import functools
import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from absatz.gaps import Gap, beside, shortened
from absatz.render import shorten
from absatz.texts import locale_language, t

from ..checks import refused_unless_admin
from ..embeds import COLOUR, FIELD_VALUE, TITLE, TOTAL, fit, fit_with

log = logging.getLogger(__name__)

MAX_GAPS = 10
DIGEST_DAYS = 7
DIGEST_TIME = datetime.time(hour=8, tzinfo=datetime.UTC)


def gaps_embed(gaps: list[Gap], days: int, language: str) -> discord.Embed:
    """At most ten groups, each within Discord's field limits."""
    if not gaps:
        return discord.Embed(description=t("gaps_none", language, days=days), colour=COLOUR)
    embed = discord.Embed(title=shorten(t("gaps_title", language, days=days), TITLE), colour=COLOUR)
    shown = gaps[:MAX_GAPS]
    names = [t("gaps_line", language, count=g.count, refused=g.abstained, down=g.down_votes) for g in shown]
    # Ten groups of long questions would pass the 6,000 characters of the whole embed:
    # each field gets an even share, its question, wordings and 👎 reasons a third each.
    share = min(FIELD_VALUE, (TOTAL - len(embed) - sum(len(n) for n in names)) // len(shown))
    part = min(300, share // 3 - 4)
    for gap, name in zip(shown, names, strict=True):
        # What members typed, shown as typed: a masked link in a question or a 👎 reason
        # had been a clickable link in the admins' channel.
        lines = [f"**{fit_with(functools.partial(shortened, gap.question), part)}**"]
        others = [beside(w, gap.question) for w in gap.wordings if str(w) != str(gap.question)]
        if others:
            lines.append(fit(t("gaps_wordings", language, wordings=" · ".join(others)), part))
        if gap.reasons:
            lines.append(fit(t("gaps_reasons", language, reasons=" · ".join(gap.reasons)), part))
        embed.add_field(name=name, value="\n".join(lines)[:share], inline=False)
    return embed


class Gaps(commands.Cog):
    def __init__(self, bot):
        self.bot = bot
        if bot.settings.admin_channel_id:
            self.weekly.start()

    # discord.py documents cog_unload as "maybecoro" (a plain method is fine) but types it async only
    def cog_unload(self) -> None:  # type: ignore[override]
        self.weekly.cancel()

    @app_commands.command(name="gaps", description="Was das Korpus nicht beantworten konnte / what the corpus lacks")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.describe(days="Zeitraum in Tagen (Standard 7)")
    async def gaps(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 365] = 7) -> None:
        if await refused_unless_admin(self.bot, interaction, "gaps"):
            return
        language = locale_language(interaction.locale)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.bot.absatz.run(self.bot.core.gaps, days, interaction.guild_id)
        await interaction.followup.send(embed=gaps_embed(found, days, language), ephemeral=True)

    async def post_digest(self) -> discord.Message | None:
        """The last week's gaps, posted to ``ADMIN_CHANNEL_ID`` (if the bot can see it)."""
        channel = self.bot.get_channel(self.bot.settings.admin_channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("ADMIN_CHANNEL_ID %s is no channel the bot can post in", self.bot.settings.admin_channel_id)
            return None
        guild = getattr(channel, "guild", None)
        language = locale_language(guild.preferred_locale if guild else None)
        found = await self.bot.absatz.run(self.bot.core.gaps, DIGEST_DAYS, guild.id if guild else None)
        return await channel.send(embed=gaps_embed(found, DIGEST_DAYS, language))

    async def digest(self) -> discord.Message | None:
        """:meth:`post_digest`, whatever fails: an error escaping the weekly loop ended it,
        and no digest came again until a restart (the store down one Monday was enough)."""
        try:
            return await self.post_digest()
        except discord.HTTPException as exc:
            log.warning("could not post the weekly gaps digest: %s", exc)
        except Exception:
            log.exception("the weekly gaps digest failed")
        return None

    @tasks.loop(time=DIGEST_TIME)
    async def weekly(self) -> None:
        """Mondays at 08:00 UTC (a restart never posts an extra one)."""
        if datetime.datetime.now(datetime.UTC).weekday() == 0:
            await self.digest()

    @weekly.before_loop
    async def before_weekly(self) -> None:
        await self.bot.wait_until_ready()
