"""Buttons and the feedback modal. Persistent: custom ids are stable and carry all the
state a click needs, so buttons on old messages keep working after a restart."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from absatz import AbsatzError, Answer
from absatz.api import QuotedSource
from absatz.texts import locale_language, t

from .embeds import citation_id_from_field, lookup_error, paragraph_embed

if TYPE_CHECKING:
    from .app import AbsatzBot

log = logging.getLogger(__name__)

MAX_SOURCE_BUTTONS = 5


def _bot(interaction: discord.Interaction) -> AbsatzBot:
    """The client of a click on these items: the bot that registered them."""
    return cast("AbsatzBot", interaction.client)


def _language_of_label(label: str | None, fallback: str) -> str:
    if label and label.startswith("Quelle"):
        return "de"
    if label and label.startswith("Source"):
        return "en"
    return fallback


# What bot.embeds.escaped puts a backslash before: undone to compare a shown quote with
# the article's text. "(" of "]\\(" since masked links are broken there; "]" of the "\\]("
# that answers posted before show.
_ESCAPED = re.compile(r"\\([\\*_~|`>\[\]#(-])")


def quote_from_field(embed: discord.Embed, n: int) -> str:
    """The quote shown in field ``[n]`` (its ``> `` lines, unescaped), read back from the
    message like :func:`~bot.embeds.citation_id_from_field`; empty when there is none."""
    for field in embed.fields:
        if (field.name or "").startswith(f"[{n}]"):
            lines = [line[1:].strip() for line in (field.value or "").splitlines() if line.startswith(">")]
            return _ESCAPED.sub(r"\1", " ".join(lines))
    return ""


def quote_note(shown: QuotedSource, language: str) -> str | None:
    """A line above the paragraph when the article changed since the answer."""
    if shown.moved:
        return t("source_moved", language, n=shown.view.paragraph.paragraph)
    if not shown.quote_found:
        return t("source_quote_gone", language, n=shown.view.paragraph.paragraph)
    return None


class SourceButton(discord.ui.DynamicItem[discord.ui.Button], template=r"absatz:src:(?P<n>[0-9]{1,2})"):
    """ "Quelle n": shows the whole cited paragraph (and its neighbours) to the clicker only."""

    def __init__(self, n: int, language: str = "de"):
        super().__init__(
            discord.ui.Button(
                label=t("source_button", language, n=n),
                style=discord.ButtonStyle.secondary,
                custom_id=f"absatz:src:{n}",
                row=0,
            )
        )
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> SourceButton:
        button = cls(int(match["n"]))
        button.item.label = cast("discord.ui.Button[Any]", item).label  # the template matches only this button's ids
        return button

    async def callback(self, interaction: discord.Interaction) -> None:
        language = _language_of_label(self.item.label, locale_language(interaction.locale))
        message = interaction.message
        cid = citation_id_from_field(message.embeds[0], self.n) if message and message.embeds else None
        if message is None or cid is None:
            await interaction.response.send_message(t("unknown_source", language, id=f"[{self.n}]"), ephemeral=True)
            return
        # The id names a paragraph by its number: after a re-ingest that may be another
        # one. The quote the answer showed says which paragraph was meant.
        quote = quote_from_field(message.embeds[0], self.n)
        client = _bot(interaction)
        # The store may take CHROMA_TIMEOUT_S to say it is down: acknowledged first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            shown = await client.absatz.lookup(client.core.source_of_quote, cid, quote)
        except AbsatzError as exc:  # gone from the corpus, or the index unreachable: not the same
            await interaction.edit_original_response(content=lookup_error(exc, "unknown_source", cid, language))
            return
        await interaction.edit_original_response(
            content=quote_note(shown, language), embed=paragraph_embed(shown.view, language)
        )


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"absatz:vote:(?P<vote>up|down)"):
    def __init__(self, vote: str):
        super().__init__(
            discord.ui.Button(
                emoji="👍" if vote == "up" else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"absatz:vote:{vote}",
                row=1,
            )
        )
        self.vote = vote

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["vote"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """The vote counts at the click, 👎 too: the form it opens only adds a comment, and
        a user who closes it has still voted."""
        language = locale_language(interaction.locale)
        if self.vote == "down":  # the form first: Discord waits 3 s for a response, not for the vote
            await interaction.response.send_modal(FeedbackModal(language))
            await record_vote(interaction, -1)
            return
        await interaction.response.send_message(t("thanks", language), ephemeral=True)
        await record_vote(interaction, 1)


async def record_vote(interaction: discord.Interaction, vote: int, comment: str = "") -> None:
    """The clicker's vote on the answer the click came from, replacing theirs before; after
    the click is answered, so a vote that cannot be written (``BOT_DB`` locked by another
    process) is logged, not a click left without a reply."""
    if interaction.message is None:  # only a click on (or a form opened from) a message votes
        return
    client = _bot(interaction)
    try:
        message_id, user_id = interaction.message.id, interaction.user.id
        await client.absatz.record(lambda core: core.feedback.record_vote(message_id, user_id, vote, comment))
    except Exception:
        log.exception("recording a vote on message %s failed", interaction.message.id)


class FeedbackModal(discord.ui.Modal):
    """What was wrong with an answer, after a 👎. One form for every answer: its submit
    comes with the message it was opened from, so it needs no state of its own, and the
    instance the bot registers at start answers forms opened before a restart."""

    def __init__(self, language: str = "de"):
        super().__init__(title=t("feedback_title", language), custom_id="absatz:feedback")
        self.comment: discord.ui.TextInput[FeedbackModal] = discord.ui.TextInput(
            label=t("feedback_label", language),
            placeholder=t("feedback_placeholder", language),
            custom_id="comment",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
        )
        self.add_item(self.comment)

    def stop(self) -> None:
        """Never stops listening: discord.py would drop the form's custom id after one
        submit, and everyone else's open 👎 form would then fail."""

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """The 👎 of the click again, now with its comment (read before any await: the
        one instance serves every submit)."""
        comment = self.comment.value or ""
        await interaction.response.send_message(t("thanks", locale_language(interaction.locale)), ephemeral=True)
        await record_vote(interaction, -1, comment)


def answer_view(a: Answer) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for c in a.citations[:MAX_SOURCE_BUTTONS]:
        view.add_item(SourceButton(c.n, a.language))
    view.add_item(VoteButton("up"))
    view.add_item(VoteButton("down"))
    return view
