"""Asking: ``/ask``, mentions (answered in a thread), DMs, follow-ups in threads, and —
where admins turned it on with ``/scope set mode: auto`` — every message of a channel and
every new post of a forum. A channel's scope limits what its questions search, and the
answer's footer says so."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from absatz import AbsatzError, Answer
from absatz.answer import MAX_QUESTION, has_words
from absatz.conversation import FOLLOW_UP_TURNS, follow_up_context, is_remark, refers_back
from absatz.language import detect_language, evidence, language_or
from absatz.question_text import search_text, under_title
from absatz.render import shorten
from absatz.scopes import Scope, label
from absatz.texts import locale_language, t

from ..checks import interaction_language, period_problem, scope_of
from ..embeds import MESSAGE, answer_embed, error_line, fit
from ..views import answer_view

if TYPE_CHECKING:
    from discord.interactions import InteractionChannel

log = logging.getLogger(__name__)

# Rate-limit buckets kept before the idle ones are dropped: one per user would grow forever.
COOLDOWN_USERS = 1000
SHOWN_LANGUAGES = 10_000  # the most recent users whose language is remembered
HISTORY = 20  # messages of a thread read back for its earlier questions
DM_CONVERSATION = timedelta(minutes=30)  # a DM's earlier questions this recent are a follow-up's conversation
# What people write; a thread created or renamed is a system message whose text is its name.
QUESTIONS = (discord.MessageType.default, discord.MessageType.reply)


SEND_ATTEMPTS = 3
STREAM_EDIT_EVERY_S = 1.0


def may_answer_in_thread(channel: discord.abc.Messageable) -> bool:
    """Whether the bot may open a thread here and write in it: one it may open but not
    write in would stay empty, and the answer is lost. Otherwise it answers in the channel."""
    me = getattr(getattr(channel, "guild", None), "me", None)
    if me is None or not hasattr(channel, "permissions_for"):
        return True
    allowed = channel.permissions_for(me)
    return allowed.create_public_threads and allowed.send_messages_in_threads


def thread_name(question: str) -> str:
    """The question as a thread's name (at most 100 characters, one line): what it asks,
    without the mentions, links and Markdown that are no words in a name."""
    return shorten(search_text(question), 100)


async def with_retries(call):
    """Discord answers 5xx (or 429, rate limited) now and then; an answer computed is
    worth two more tries."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await call()
        except discord.HTTPException as exc:
            retryable = exc.status >= 500 or exc.status == 429
            if not retryable or attempt == SEND_ATTEMPTS:
                raise
            log.warning("sending an answer failed with HTTP %s, retrying (%d/%d)", exc.status, attempt, SEND_ATTEMPTS)
            await asyncio.sleep(0.5 * attempt)


class Ask(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self._cooldowns: dict[int, app_commands.Cooldown] = {}
        self._shown: OrderedDict[int, str] = OrderedDict()

    def _remember(self, user_id: int, language: str) -> None:
        """Keywords in a mention or DM ("bread roll price Munich") show no language: they
        are answered in the one a member last showed: by the words they wrote (a question
        in a message, an ``/ask`` question, a ``/search`` or ``/follow`` query) where those
        say, else by the client a command or button came from (a message carries no
        locale). Held in memory only."""
        self._shown[user_id] = language
        self._shown.move_to_end(user_id)
        if len(self._shown) > SHOWN_LANGUAGES:
            self._shown.popitem(last=False)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        self._remember(interaction.user.id, interaction_language(interaction))

    def retry_after(self, user_id: int, at: datetime) -> float | None:
        """Per-user rate limit shared by /ask, mentions and DMs, on Discord's clock
        (the interaction's or message's timestamp), not this host's."""
        s, now = self.bot.settings, at.timestamp()
        if len(self._cooldowns) >= COOLDOWN_USERS:  # forget users whose window has passed
            self._cooldowns = {uid: b for uid, b in self._cooldowns.items() if b.get_tokens(now) < b.rate}
        bucket = self._cooldowns.setdefault(user_id, app_commands.Cooldown(s.cooldown_rate, s.cooldown_per_s))
        return bucket.update_rate_limit(now)

    async def send_answer(
        self,
        send,
        a: Answer,
        started: float,
        scope: Scope | None,
        where: discord.abc.Messageable | InteractionChannel | None,
        subject: str = "",
    ) -> discord.Message | None:
        """Sends the answer and records it, a follow-up with its thread's ``subject``."""
        searched = (
            t("scope_footer", a.language, what=label(scope, a.language)) if scope and not scope.everything else ""
        )
        message = await with_retries(
            lambda: send(embed=answer_embed(a, time.perf_counter() - started, searched), view=answer_view(a))
        )
        # A reply to no question ("???") or to one about the bot ("Wer bist du?") is no
        # question for /gaps and /stats: counted, it would be a refusal of the corpus, and
        # its near-zero latency would pull the median down.
        if message is not None and not a.not_asked:
            guild = getattr(where, "guild", None)
            # A mention's answer opens a thread of its own: the channel asked in is its parent.
            channel_id = where.parent_id if isinstance(where, discord.Thread) else getattr(where, "id", 0)
            try:
                guild_id = guild.id if guild else 0
                await self.bot.absatz.record(
                    lambda core: core.feedback.record_answer(message.id, a, channel_id or 0, guild_id, subject)
                )
            except Exception:  # the asker has the answer: "something went wrong" would ask again
                log.exception("recording the answer %s for /gaps and /stats failed", message.id)
        return message

    @app_commands.command(name="ask", description="Frage das Korpus – Antwort mit Quellen / ask the corpus")
    @app_commands.describe(
        question="Deine Frage (Deutsch oder Englisch)",
        since="nur Artikel ab (YYYY-MM oder YYYY-MM-DD)",
        until="nur Artikel bis (YYYY-MM[-DD])",
        scope="all: das ganze Korpus statt des Ausschnitts dieses Kanals",
    )
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, MAX_QUESTION],
        since: str | None = None,
        until: str | None = None,
        scope: Literal["all"] | None = None,
    ) -> None:
        reader = locale_language(interaction.locale)
        language = interaction_language(interaction)  # as the listener remembers it
        problem = period_problem(since, until, language)
        if problem:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        retry = self.retry_after(interaction.user.id, interaction.created_at)
        if retry:
            await interaction.response.send_message(t("cooldown", language, s=max(1, round(retry))), ephemeral=True)
            return
        started = time.perf_counter()
        # Within Discord's 3 s, a 500 or 429 on the acknowledgement is worth another try.
        await with_retries(lambda: interaction.response.defer(thinking=True))
        searched = await scope_of(self.bot, interaction.channel)
        if searched is not None and scope == "all":
            searched = searched.widened()

        streamed = False

        async def show_partial(text: str) -> None:
            """Escaped as the final answer is: the checks keep the article's words, and with
            them a "# " heading, a code fence or a ||spoiler|| the verified reply repeats."""
            nonlocal streamed
            await interaction.edit_original_response(content=fit(text, 1900) + " ▌")
            streamed = True

        try:
            a = await self.answer_streaming(
                question, [], show_partial, since=since, until=until, scope=searched, reader=reader
            )
            await self.send_answer(
                lambda **kw: interaction.edit_original_response(content=None, **kw),
                a,
                started,
                searched,
                interaction.channel,
            )
        except Exception:
            # The streamed text is no answer: its citations were never shown, and left
            # standing it would read as one, its cursor still blinking.
            if streamed:
                with contextlib.suppress(discord.HTTPException):
                    await interaction.delete_original_response()
            raise

    async def answer_streaming(
        self,
        question: str,
        history: list[str],
        show_partial,
        *,
        since: str | None = None,
        until: str | None = None,
        scope: Scope | None = None,
        reader: str = "de",
    ) -> Answer:
        """With an LLM that streams, show the growing reply at most once per second;
        the final edit carries only the verified answer.

        Partial texts arrive from the answering thread through a queue, so edits follow
        the data as it comes, rate-limited by the clock."""
        absatz = self.bot.absatz
        if self.bot.core.llm is None:
            return await absatz.ask(question, history=history, since=since, until=until, scope=scope, reader=reader)
        loop = asyncio.get_running_loop()
        partial: asyncio.Queue[str] = asyncio.Queue()
        task = asyncio.ensure_future(
            absatz.ask(
                question,
                history=history,
                since=since,
                until=until,
                scope=scope,
                reader=reader,
                on_text=lambda text: loop.call_soon_threadsafe(partial.put_nowait, text),
            )
        )
        last_edit = float("-inf")
        while True:
            getter = asyncio.ensure_future(partial.get())
            done, _ = await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                getter.cancel()
                return task.result()
            text = getter.result()
            while not partial.empty():
                text = partial.get_nowait()
            if time.monotonic() - last_edit >= STREAM_EDIT_EVERY_S:
                last_edit = time.monotonic()
                try:
                    await show_partial(text)
                except discord.HTTPException as exc:  # a missed partial edit is harmless
                    log.warning("streaming edit failed: %s", exc)

    # --- mentions, DMs, thread follow-ups ------------------------------------------

    def _question_from(self, message: discord.Message) -> str:
        me = self.bot.user
        roles = "".join(f"|<@&{role.id}>" for role in self._own_roles(message))
        return re.sub(rf"<@!?{me.id}>{roles}", " ", message.content).strip()

    def _addressed(self, message: discord.Message) -> bool:
        """Mentioned by name or by the bot's own role: Discord's picker offers its managed
        role "@absatz" beside the bot itself, and members pick either (the role's mention
        had been taken for a message to others, and left unanswered)."""
        return self.bot.user in message.mentions or bool(self._own_roles(message))

    @staticmethod
    def _own_roles(message: discord.Message) -> list[discord.Role]:
        """The roles ``message`` mentions that are the bot's own: managed by Discord for
        the bot's integration and held by it, which no member or other bot's role is."""
        me = message.guild.me if message.guild is not None else None
        return [r for r in message.role_mentions if r.managed and me is not None and r in me.roles]

    async def _earlier_direct_questions(self, message: discord.Message) -> list[str]:
        """The latest questions asked of the bot in a DM, or by a mention in a thread it did
        not open, (not remarks), newest last, asked within ``DM_CONVERSATION`` of this
        message: what a follow-up there goes on from ("Und in welche Richtung?" after the
        missiles had been refused: "nothing in the corpus")."""
        since = message.created_at - DM_CONVERSATION
        turns = []
        async for m in message.channel.history(limit=HISTORY, before=message, after=since, oldest_first=False):
            asked = message.guild is None or self._addressed(m)  # a thread's members also talk among themselves
            if not m.author.bot and asked and m.content.strip() and m.type in QUESTIONS:
                turn = self._question_from(m)
                if not is_remark(turn):
                    turns.append(turn)
        return list(reversed(turns[:FOLLOW_UP_TURNS]))

    def _replies_to_me(self, message: discord.Message) -> bool:
        """Whether ``message`` is a reply to one of the bot's messages: addressed to it
        with or without the reply's ping, which members often switch off."""
        ref = message.reference
        replied = (ref.resolved or ref.cached_message) if ref is not None else None
        me = self.bot.user
        return isinstance(replied, discord.Message) and me is not None and replied.author.id == me.id

    async def _replied_conversation(self, message: discord.Message) -> list[str]:
        """The questions of the answer ``message`` replies to (see :meth:`_replies_to_me`):
        a reply to an answer is its follow-up ("Und in welche Richtung?" under an
        ``/ask`` answer, or where the bot may open no thread, had been asked alone and
        refused). Answered in place, a chain of replies keeps the conversation, each
        answer recorded with the question that opened it."""
        ref = message.reference
        if ref is None or ref.message_id is None:
            return []
        answer_id = ref.message_id
        try:
            return await self.bot.absatz.record(lambda core: core.feedback.conversation_of(answer_id))
        except AbsatzError as exc:  # the records are unavailable: asked alone
            log.warning("the answer message %s replies to could not be read (%s)", message.id, exc)
            return []

    async def _earlier_questions(self, thread: discord.Thread, before: discord.Message) -> tuple[list[str], str]:
        """The thread's latest earlier user questions (not its remarks), newest last, to
        give a follow-up its subject; and the question that opened the thread, which
        /gaps shows a refused follow-up with.

        The opening question stays among the turns however many came after it: the
        fourth follow-up in a row ("Und wie viele Betriebe gibt es?" after the price of a
        roll) had lost it and was refused. A forum post's is its title and its opening
        message together, as it was answered. Its opening message is the post's first
        (in Discord its id is the post's), so it is not looked up a second time; where it
        is out of reach, the title alone is the subject, and the name of a thread the bot
        opened for a question (the question) where that message was deleted."""
        turns: list[str] = []
        earlier = [m async for m in thread.history(limit=HISTORY, before=before, oldest_first=False)]
        title = thread.name.strip() if isinstance(thread.parent, discord.ForumChannel) else ""

        def opening(m: discord.Message) -> str:
            turn = self._question_from(m)
            return turn if not title or turn.startswith(title) else f"{title} {turn}".rstrip()

        opened = [m for m in earlier if m.id == thread.id]
        if not opened and title and 0 < len(earlier) < HISTORY and earlier[-1].author.id == thread.owner_id:
            opened = earlier[-1:]  # the owner's first message opened the post (as _is_post_starter reads it)
        subject = ""
        for m in earlier:
            if not m.author.bot and m.content.strip() and m.type in QUESTIONS:
                turn = self._question_from(m)
                if title and m in opened:
                    subject = turn = opening(m)
                elif is_remark(turn):
                    continue  # not answered: no question, and it would push the thread's subject out
                turns.append(turn)
        if thread.parent is not None and not opened:
            try:
                starter = thread.starter_message  # from the cache
                if starter is None and isinstance(thread.parent, discord.TextChannel):  # a forum cannot fetch it
                    starter = await thread.parent.fetch_message(thread.id)
                if starter is not None:
                    subject = opening(starter)
            except (discord.HTTPException, AttributeError):
                pass
        me = self.bot.user
        subject = subject or title or (thread.name.strip() if me is not None and thread.owner_id == me.id else "")
        return follow_up_context(turns[::-1], subject), subject or (turns[-1] if turns else "")

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        try:
            await self._answer_message(message)
        except Exception as exc:
            await self._report_failure(message, message.channel, exc)

    @staticmethod
    async def _report_failure(message: discord.Message, where: discord.abc.Messageable, exc: Exception) -> None:
        """A listener has no interaction to report to: the failure is told where the answer
        would have been (the thread opened for it, or the channel)."""
        language = detect_language(message.content)
        text = error_line(exc, language) if isinstance(exc, AbsatzError) else t("error", language)
        log.error("answering message %s by user %s failed", message.id, message.author.id, exc_info=exc)
        try:
            await where.send(text[:MESSAGE])
        except discord.HTTPException:
            log.warning("could not report the failure of message %s", message.id)

    async def _is_post_starter(self, post: discord.Thread, message: discord.Message) -> bool:
        """The message that opened a forum post (its id is the post's, or it is the
        owner's first message there)."""
        if message.id == post.id:
            return True
        if message.author.id != post.owner_id:
            return False
        async for _ in post.history(limit=1, before=message):
            return False
        return True

    async def _mark_unanswered(self, post: discord.Thread) -> None:
        """Tag a forum post the corpus could not answer, so editors can find it."""
        forum = post.parent
        if not isinstance(forum, discord.ForumChannel):
            return
        name = t("unanswered_tag", locale_language(post.guild.preferred_locale))
        try:
            tag = discord.utils.get(forum.available_tags, name=name) or await forum.create_tag(name=name)
            await post.add_tags(tag)
        except discord.HTTPException as exc:  # the tag is a courtesy; the answer was given
            log.warning("could not tag forum post %s as %r: %s", post.id, name, exc)

    async def _answer_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or me is None or message.type not in QUESTIONS:
            return  # a system message (a thread created or renamed) carries its author's name, not a question
        channel = message.channel
        in_dm = message.guild is None
        thread = channel if isinstance(channel, discord.Thread) else None
        in_thread = thread is not None
        in_own_thread = thread is not None and thread.owner_id == me.id
        replying = self._replies_to_me(message)
        mentioned = self._addressed(message) or replying
        try:
            scope = await scope_of(self.bot, channel)
        except Exception as exc:
            if in_dm or in_own_thread or mentioned:
                raise  # asked: told that the bot's records are unavailable
            # Every member's every message reads its channel's scope: had each been told, a
            # locked BOT_DB had posted the error under every message of every channel.
            log.warning("message %s not read: the channel's scope is unavailable (%s)", message.id, exc)
            return
        auto = scope is not None and scope.mode == "auto"
        forum_post = thread if thread is not None and isinstance(thread.parent, discord.ForumChannel) else None
        post = forum_post if auto else None  # every message of it is for the bot
        in_forum_post = post is not None
        auto_top_level = auto and not in_thread and isinstance(channel, discord.TextChannel)
        if not (in_dm or in_own_thread or mentioned or in_forum_post or auto_top_level):
            return
        question = self._question_from(message)
        if auto_top_level and not mentioned and not has_words(question):
            return  # "👍", "@bob" in a channel where every message is asked: said to the others
        # A post's title is part of its question (mentioned or not: "@absatz Wie weit flogen
        # sie?" under "Nordkoreas Raketentests" had been refused), but not of the limit on
        # what the member typed: a 450-character post under a long title had been refused.
        starts_post = forum_post is not None and await self._is_post_starter(forum_post, message)
        title = forum_post.name.strip() if forum_post is not None and starts_post else ""
        asked = under_title(question, title)
        # a follow-up is in a thread (own thread or forum post); one that asks nothing is let be.
        # Not in a DM, where a message of a few words is a keyword search ("Streik Deutsche Bahn").
        follow_up = in_own_thread or (in_forum_post and not starts_post)
        if not asked or (follow_up and is_remark(question)):
            return
        # A follow-up's words may not say ("Capacity?"): its thread's name, the question
        # that opened it, then does, as its answer's conversation will; keywords, and a
        # thread named by keywords, take the language the asker last showed.
        shown = self._shown.get(message.author.id, "de")
        reader = language_or(thread.name, shown) if follow_up and thread else shown
        language = language_or(asked, reader)
        de, en = evidence(asked)
        if de != en:  # its words say
            self._remember(message.author.id, language)
        if len(question) > MAX_QUESTION:
            await message.reply(t("too_long", language, n=MAX_QUESTION))
            return
        retry = self.retry_after(message.author.id, message.created_at)
        if retry:
            await message.reply(t("cooldown", language, s=max(1, round(retry))), delete_after=10)
            return
        started = time.perf_counter()
        history: list[str] = []
        subject = ""
        if follow_up and thread is not None:
            history, subject = await self._earlier_questions(thread, message)
        elif replying and (replied := await self._replied_conversation(message)):
            history, subject = replied, replied[0]
        elif (in_dm or (in_thread and mentioned)) and refers_back(question):
            history = await self._earlier_direct_questions(message)
            if forum_post is not None and history:  # the post's first question is under its title
                history[0] = under_title(history[0], forum_post.name.strip())
            subject = history[0] if history else ""
        target: discord.abc.Messageable = channel
        # A message that asks nothing ("???", another member's mention) is told so where it
        # is; so is a reply to an answer, whose conversation a new thread would not hold.
        opens_thread = (
            (mentioned or auto_top_level) and not in_dm and not in_thread and not replying and has_words(question)
        )
        if opens_thread and may_answer_in_thread(channel):
            try:
                target = await message.create_thread(name=thread_name(question), auto_archive_duration=1440)
            except (discord.HTTPException, ValueError):
                # No thread permission, or a channel without threads (a voice channel's
                # chat): the answer goes to the channel itself.
                log.info("no thread for message %s in channel %s: answering there", message.id, channel.id)
        try:
            async with target.typing():
                a = await self.bot.absatz.ask(question, history=history, scope=scope, reader=reader, title=title)
        except Exception as exc:
            if target is channel:
                raise
            # The thread was opened for this answer: it is told there, not left empty
            # while the channel reads the error.
            await self._report_failure(message, target, exc)
            return
        await self.send_answer(target.send, a, started, scope, target, subject)
        if post is not None and starts_post and a.abstained:
            await self._mark_unanswered(post)
