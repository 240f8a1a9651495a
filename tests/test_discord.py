"""The real bot from ``create_bot`` driven through simcord: what users see in Discord."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import threading
from dataclasses import replace
from datetime import timedelta

import discord
import pytest
import simcord
from simcord import OptionError

from absatz.texts import TEXTS, t
from bot.cogs.ask import COOLDOWN_USERS
from bot.settings import BotSettings
from ingest.pipeline import ingest_paths
from vectorstore.chroma import Chroma
from vectorstore.search import Searcher

from .conftest import CORPUS, needs_seed, settings_for, write_jsonl
from .simcord_helpers import bot_with, dispatch_unsettled, reply_of

SEED_ID = "000_a05d8c91f093345a"


@pytest.fixture
def bot_settings(built_store, tmp_path) -> BotSettings:
    return BotSettings(
        store=built_store, shard_count=1, bot_db=tmp_path / "feedback.sqlite3", cooldown_rate=3, cooldown_per_s=30
    )


@pytest.fixture
def simcord_bot(bot_settings, searcher):
    return bot_with(bot_settings, searcher)


@pytest.fixture
def world(simcord_env):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("fragen")
    alice = guild.add_member(simcord_env.create_user("alice"))
    return simcord_env, guild, channel, alice


def assert_embed_within_limits(embed: discord.Embed) -> None:
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for f in embed.fields:
        assert len(f.name) <= 256 and len(f.value) <= 1024
    assert len(embed.footer.text or "") <= 2048


def deferred_first(env, result) -> bool:
    callbacks = [r for r in env.http_requests if r.path.endswith("/callback")]
    return bool(callbacks) and callbacks[-1].json.get("type") == 5


def buttons(message: discord.Message) -> list[str]:
    return [c.label or str(c.emoji) for row in message.components for c in row.children]


@needs_seed
async def test_ask_defers_then_answers_with_citations_and_buttons(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "ask", question="Wie weit flogen die Raketen?")
    assert deferred_first(env, result)
    reply = reply_of(result)
    embed = reply.embeds[0]
    assert "650 Kilometer" in embed.description and "[1]" in embed.description
    assert (
        embed.fields[0].name.startswith("[1] ") and "¶2" in embed.fields[0].name and "2023-09" in embed.fields[0].name
    )
    assert f"{SEED_ID}#2" in embed.fields[0].value
    assert "Quelle" in embed.footer.text or "Quellen" in embed.footer.text
    assert (
        buttons(reply.message)[:1] == ["Quelle 1"] and "👍" in buttons(reply.message) and "👎" in buttons(reply.message)
    )
    assert_embed_within_limits(embed)


@needs_seed
async def test_source_button_shows_whole_paragraph_with_neighbours_to_the_clicker(world):
    env, guild, channel, alice = world
    bob = guild.add_member(env.create_user("bob"))
    result = await alice.slash(channel, "ask", question="Wie weit flogen die Raketen?")
    shown = await bob.click(reply_of(result).message, label="Quelle 1")
    assert shown.ephemeral
    embed = shown.response.embeds[0]
    assert "Südkoreas Streitkräfte hätten ihre Wachsamkeit erhöht." in embed.description  # whole ¶2
    assert "¶1" in embed.description and "¶3" in embed.description
    assert f"{SEED_ID}#2" in embed.footer.text and "ZIOLKOWSKI" in embed.footer.text


async def test_english_question_gets_a_cited_answer_with_english_labels(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "ask", question="How much does a bread roll cost in Munich?")
    reply = reply_of(result)
    embed = reply.embeds[0]
    # A real answer, not the abstention: cited text, a citation field, sources counted.
    assert (
        embed.description != TEXTS["not_found"]["en"] and "65 Cent" in embed.description and "[1]" in embed.description
    )
    assert embed.fields and embed.fields[0].value.endswith("`2025-06-baeckerei-preise#1`")
    assert re.fullmatch(r"(1 source|\d+ sources) · .+", embed.footer.text), embed.footer.text
    labels = buttons(reply.message)
    assert labels[0] == "Source 1" and not any(label.startswith("Quelle") for label in labels)


async def test_ask_keywords_get_labels_in_the_clients_language(world):
    """Keywords hold no function word, so German won the tie: "bread roll price Munich"
    from an English client (simcord's is en-US) got "Quelle 1" and German footers."""
    env, guild, channel, alice = world
    reply = reply_of(await alice.slash(channel, "ask", question="bread roll price Munich"))
    assert "65 Cent" in reply.embeds[0].description
    assert re.fullmatch(r"(1 source|\d+ sources) · .+", reply.embeds[0].footer.text), reply.embeds[0].footer.text
    assert buttons(reply.message)[0] == "Source 1"
    reply = reply_of(await alice.slash(channel, "ask", question="sourdough starter"))
    assert reply.embeds[0].description == TEXTS["not_found"]["en"]


async def test_mention_keywords_take_the_language_of_the_client_last_used(world):
    """A message carries no locale, so keywords in a mention were always answered in
    German; once a member used a command (simcord's clients are en-US), they are not."""
    env, guild, channel, alice = world
    bob = guild.add_member(env.create_user("bob"))
    await bob.send(channel, f"<@{env.bot.user.id}> bread roll price Munich")
    await alice.slash(channel, "ask", question="bread roll price")
    await alice.send(channel, f"<@{env.bot.user.id}> bread roll price Munich")
    threads = sorted(channel.threads, key=lambda th: th.id)  # bob's first
    assert len(threads) == 2 and all("65 Cent" in th.last_message.embeds[0].description for th in threads)
    bobs, alices = footers = [th.last_message.embeds[0].footer.text for th in threads]
    assert "Quelle" in bobs and re.fullmatch(r"(1 source|\d+ sources) · .+", alices), footers


async def test_mention_keywords_take_the_language_of_the_last_ask_s_words(world):
    """An ``/ask`` whose words are German left the member's English client language for
    their next keywords: the words they wrote last say more than the client."""
    env, guild, channel, alice = world
    await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    await alice.send(channel, f"<@{env.bot.user.id}> bread roll price Munich")
    (thread,) = channel.threads
    assert "65 Cent" in thread.last_message.embeds[0].description
    assert "Quelle" in thread.last_message.embeds[0].footer.text, thread.last_message.embeds[0].footer.text


async def test_mention_keywords_take_the_language_the_member_last_wrote(world):
    """A member who never used a command got German for keywords, though the question
    they had asked just before was English."""
    env, guild, channel, alice = world
    bob = guild.add_member(env.create_user("bob"))
    await bob.send(channel, f"<@{env.bot.user.id}> How much does a bread roll cost in Munich?")
    await bob.send(channel, f"<@{env.bot.user.id}> bread roll price Munich")
    threads = sorted(channel.threads, key=lambda th: th.id)
    footers = [th.last_message.embeds[0].footer.text for th in threads]
    assert len(footers) == 2 and all(re.fullmatch(r"(1 source|\d+ sources) · .+", f) for f in footers), footers


async def test_a_keywords_thread_keeps_the_clients_language(world):
    """A thread opened by keywords has a name that shows no language, so its follow-up
    ("Price?") fell back to German although the member's client was English."""
    env, guild, channel, alice = world
    await alice.slash(channel, "ask", question="bread roll price")
    await alice.send(channel, f"<@{env.bot.user.id}> bread roll price Munich")
    (thread,) = channel.threads
    await alice.send(thread, "Price?")
    answers = [m.embeds[0] for m in thread.history() if m.author.bot]
    assert len(answers) == 2 and "65 Cent" in answers[1].description, [e.description for e in answers]
    assert re.fullmatch(r"(1 source|\d+ sources) · .+", answers[1].footer.text), answers[1].footer.text


async def test_off_topic_question_abstains_without_citations(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "ask", question="Wie backe ich ein Sauerteigbrot?")
    reply = reply_of(result)
    assert reply.embeds[0].description == "Dazu finde ich nichts im Korpus."
    assert reply.embeds[0].fields == [] and not any(b.startswith("Quelle") for b in buttons(reply.message))
    result = await alice.slash(channel, "ask", question="How do I bake sourdough bread?")
    assert reply_of(result).embeds[0].description == "I found nothing about this in the corpus."


@contextlib.contextmanager
def bot_db_held(path):
    """BOT_DB locked by another process (a second shard, the CLI) for as long as it lasts,
    past SQLite's 10 s wait."""
    import sqlite3

    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.simcord(settle_timeout=120)  # each write waits out SQLite's 10 s
async def test_a_vote_that_cannot_be_written_still_answers_the_click(world, simcord_bot, bot_settings, caplog):
    """Another process (a second shard, the CLI) holding BOT_DB past SQLite's 10 s: the
    👍 had waited for the write and then failed with no reply at all, the form's submit
    likewise."""
    env, guild, channel, alice = world
    result = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    message = reply_of(result).message
    with bot_db_held(bot_settings.bot_db):
        up = await alice.click(message, custom_id="absatz:vote:up")
        down = await alice.click(message, custom_id="absatz:vote:down")
        thanks = await alice.submit_modal(down, {"comment": "Falsche Stadt"})
        again = await alice.slash(channel, "ask", question="Was kostet eine Breze in München?")
    assert up.ephemeral and up.response.content == t("thanks", "en")
    assert thanks.ephemeral and thanks.response.content == t("thanks", "en")
    assert "recording a vote on message" in caplog.text  # logged, not lost without a word
    # The answer shown, and no "something went wrong" under it for a record /gaps keeps.
    assert reply_of(again).embeds and not again.followups
    assert "recording the answer" in caplog.text


@pytest.mark.simcord(settle_timeout=120)
async def test_a_bot_db_that_cannot_be_opened_is_reported_without_where_the_server_keeps_it(world, bot_settings):
    """The first question after a start opens the channel scopes' store: the reply had
    quoted SQLite's error with BOT_DB's absolute path to everyone in the channel."""
    env, guild, channel, alice = world
    with bot_db_held(bot_settings.bot_db):
        await alice.send(channel, "Hat jemand die Zahlen von gestern?")  # not to the bot: not answered
        assert not [m for m in channel.history() if m.author.bot]  # it had been told the error too
        await alice.send(channel, f"<@{env.bot.user.id}> Was kostet ein Brötchen in München?")
    shown = [m.content for m in channel.history() if m.author.bot]
    shown += [m.content for th in channel.threads for m in th.history() if m.author.bot]
    assert shown == [t("error.records_unusable", "de")], shown
    assert not any(bot_settings.bot_db.parent.name in s or "sqlite3" in s for s in shown), shown


def test_a_missing_index_is_told_in_discord_without_where_the_store_is():
    """The reply had named the store's folder on the server to whoever asked."""
    from bot.embeds import error_line
    from vectorstore.errors import NoIndex

    where = "/srv/absatz/data/chroma"
    missing = NoIndex(f"no index at {where}: ingest articles first", location=where)
    assert [error_line(missing, lang) for lang in ("de", "en")] == [t("error.no_index", lang) for lang in ("de", "en")]
    assert where in str(missing)  # the CLI, run by whoever runs the bot, still says where


@pytest.mark.simcord(settle_timeout=120)
async def test_follow_and_a_refused_admin_command_answer_before_a_locked_bot_db(world, bot_settings, caplog):
    """/follow wrote BOT_DB before it acknowledged: a lock held by another process kept
    the member waiting SQLite's 10 s (Discord gives up after 3). A non-admin's refusal
    wrote its audit line first, on the event loop, which stood still meanwhile for every
    server, and then failed instead of saying "admins only"."""
    env, guild, channel, alice = world
    await alice.slash(channel, "follow", query="Tempo 30 Köln")  # the stores are open
    commands = {c.name: c for c in await env.bot.tree.fetch_commands()}
    guild.set_command_permissions(commands["reingest"], {guild.default_role: True})
    before = len(env.http_requests)
    with bot_db_held(bot_settings.bot_db), caplog.at_level(logging.ERROR):
        follow = await alice.slash(channel, "follow", query="Bahnstreik Lokführer")
        refused = await alice.slash(channel, "reingest")
    callbacks = [r for r in env.http_requests[before:] if r.path.endswith("/callback")]
    assert callbacks[0].json["type"] == 5 and callbacks[0].json["data"]["flags"] & 64  # deferred, private
    assert follow.ephemeral and t("error.records_unusable", "de") in reply_of(follow).content  # not "went wrong"
    assert refused.ephemeral and refused.response.content == t("admins_only", "en")
    assert "the audit line" in caplog.text and "could not be written" in caplog.text


async def test_feedback_votes_and_modal_are_stored(world, simcord_bot):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    message = reply_of(result).message
    up = await alice.click(message, custom_id="absatz:vote:up")
    assert up.ephemeral
    down = await alice.click(message, custom_id="absatz:vote:down")
    assert down.modal is not None
    thanks = await alice.submit_modal(down, {"comment": "Falsche Stadt"})
    assert thanks.ephemeral
    rows = simcord_bot.core.feedback.feedback_rows()
    assert [r["vote"] for r in rows] == [-1]  # one vote per user and answer: the 👎 replaced the 👍
    assert rows[0]["comment"] == "Falsche Stadt" and rows[0]["question"] == "Was kostet ein Brötchen in München?"
    assert "2025-06-baeckerei-preise#1" in rows[0]["citations"] and str(alice.id) not in rows[0]["user_hash"]


async def test_a_thumbs_down_counts_at_the_click_and_its_comment_form_survives_a_restart(world, bot_settings, searcher):
    """A user who closes the "what was wrong?" form has still voted; a form left open
    while others submit theirs, or across a restart, still adds its comment."""
    env, guild, channel, alice = world
    bob, carol = (guild.add_member(env.create_user(name)) for name in ("bob", "carol"))
    message = reply_of(await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")).message

    def votes() -> list[tuple[int, str]]:
        return sorted((r["vote"], r["comment"]) for r in env.bot.core.feedback.feedback_rows())

    forms = [await who.click(message, custom_id="absatz:vote:down") for who in (alice, bob, carol)]
    assert all(f.modal is not None for f in forms)
    assert votes() == [(-1, "")] * 3  # counted before any form is submitted (or closed)
    submitted = [
        await alice.submit_modal(forms[0], {"comment": "Falsche Stadt"}),
        await bob.submit_modal(forms[1], {}),  # the comment is optional
    ]
    await env.restart_bot(bot_with(bot_settings, searcher))
    submitted.append(await carol.submit_modal(forms[2], {"comment": "Veraltet"}))
    assert all(r.ephemeral and r.response.content == t("thanks", "en") for r in submitted)
    assert votes() == [(-1, ""), (-1, "Falsche Stadt"), (-1, "Veraltet")]
    assert env.bot.core.feedback.votes(guild.id) == {"answers": 1, "up": 0, "down": 3}


@needs_seed
async def test_buttons_keep_working_after_a_restart(world, bot_settings, searcher):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "ask", question="Wie weit flogen die Raketen?")
    message = reply_of(result).message
    await env.restart_bot(bot_with(bot_settings, searcher))  # a new process: nothing kept in memory
    shown = await alice.click(message, label="Quelle 1")
    assert "650 Kilometer" in shown.response.embeds[0].description


async def test_an_old_answers_source_button_follows_its_quote_after_the_article_changed(
    world, bot_settings, embedder, tmp_path
):
    """An editor inserts a paragraph above the cited one and re-ingests: the old answer's
    id now names another paragraph. The button shows the paragraph that holds the quote
    the user was shown, and says the article changed; a quote gone from the article is
    said to be gone."""
    env, guild, channel, alice = world
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    store = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(store), embedder, [corpus])
    bot = bot_with(replace(bot_settings, store=store), Searcher.open(store, embedder))
    await env.restart_bot(bot)
    result = await alice.slash(channel, "ask", question="Wie viel verdient ein Auszubildender im ersten Lehrjahr?")
    message = reply_of(result).message
    field = reply_of(result).embeds[0].fields[0]
    assert "920 Euro" in field.value and field.value.endswith("`2025-06-baeckerei-preise#4`"), field.value

    path = corpus / "2025-06-baeckerei-preise.txt"
    inserted = "Korrektur: In einer früheren Fassung stand eine falsche Zahl der Betriebe."
    path.write_text(path.read_text().replace("Weniger Betriebe\n\n", f"Weniger Betriebe\n\n{inserted}\n\n"))
    await asyncio.to_thread(bot.core.ingest, [corpus], actor="test")
    assert "920 Euro" not in (await bot.absatz.source("2025-06-baeckerei-preise#4")).paragraph.text  # moved to #5

    shown = await alice.click(message, label="Quelle 1")
    embed = shown.response.embeds[0]
    shown_paragraph = embed.description.split("**¶", 1)[1].split("\n\n")[0]
    assert shown.ephemeral and shown_paragraph.startswith("5** ") and "920 Euro im Monat" in shown_paragraph, (
        shown_paragraph
    )
    assert "2025-06-baeckerei-preise#5" in embed.footer.text
    assert shown.response.content == t("source_moved", "de", n=5)
    assert "Der Artikel wurde seit der Antwort geändert" in shown.response.content
    assert_embed_within_limits(embed)

    path.write_text(path.read_text().replace("920 Euro im Monat", "950 Euro im Monat"))
    await asyncio.to_thread(bot.core.ingest, [corpus], actor="test")
    shown = await alice.click(message, label="Quelle 1")
    assert shown.response.content == t("source_quote_gone", "de", n=4)
    assert "2025-06-baeckerei-preise#4" in shown.response.embeds[0].footer.text


@needs_seed
async def test_source_command_and_unknown_id(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "source", id=f"{SEED_ID}#3")
    embed = result.response.embeds[0]
    assert "Krabben und Teigtaschen" in embed.description and "Fünf Stunden" in embed.description
    assert not result.ephemeral
    result = await alice.slash(channel, "source", id=f"{SEED_ID}#99")  # read before it is known: deferred, public
    assert not result.ephemeral and f"{SEED_ID}#99" in result.response.content


@needs_seed
async def test_a_source_never_waits_behind_answers(world, simcord_bot):
    """Discord wants a reply within 3 s; answers (an LLM's, for up to 30 s) may hold every
    answer slot meanwhile. Lookups have threads of their own."""
    env, guild, channel, alice = world
    busy = threading.Event()
    held = [asyncio.ensure_future(simcord_bot.absatz.run(busy.wait, 60)) for _ in range(8)]
    try:
        shown = await asyncio.wait_for(alice.slash(channel, "source", id=f"{SEED_ID}#3"), timeout=30)
        assert "Krabben und Teigtaschen" in shown.response.embeds[0].description
        assert not any(h.done() for h in held)  # the slots were taken all along
    finally:
        busy.set()
        await asyncio.gather(*held)


@needs_seed
async def test_autocomplete_suggests_articles_and_paragraphs(world):
    env, guild, channel, alice = world
    choices = await alice.autocomplete(channel, "source", "id", "000_a05")
    assert choices and choices[0]["value"] == f"{SEED_ID}#1" and "Nordkorea" in choices[0]["name"]
    choices = await alice.autocomplete(channel, "source", "id", f"{SEED_ID}#1")
    assert [c["value"] for c in choices] == [f"{SEED_ID}#1", f"{SEED_ID}#10", f"{SEED_ID}#11"]
    choices = await alice.autocomplete(channel, "article", "id", "bahn")
    assert [c["value"] for c in choices] == ["2024-10-bahn-strecke"]


async def test_autocomplete_offers_only_ids_a_choice_can_hold(world, bot_settings, embedder, tmp_path):
    """Discord takes a choice's value up to 100 characters, article ids run to 200: a long
    id cut to fit would name nothing when picked, so it is not offered (it can be typed)."""
    env, guild, channel, alice = world
    long_id = "2025-06-stadtrat-beschliesst-neuen-haushalt-fuer-die-sanierung-der-grundschulen-im-stadtteil-lindenau"
    rows = [
        {
            "id": aid,
            "title": "Haushalt Lindenau",
            "date": "2025-06",
            "text": "Der Stadtrat hat den Haushalt beschlossen.",
        }
        for aid in (long_id, "2025-06-lindenau-kurz")
    ]
    store = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(store), embedder, [write_jsonl(tmp_path / "corpus" / "a.jsonl", rows)])
    await env.restart_bot(bot_with(replace(bot_settings, store=store), Searcher.open(store, embedder)))
    for command, value in (("article", "2025-06-lindenau-kurz"), ("source", "2025-06-lindenau-kurz#1")):
        choices = await alice.autocomplete(channel, command, "id", "lindenau")
        assert [c["value"] for c in choices] == [value]
    assert await alice.autocomplete(channel, "source", "id", f"{long_id}#") == []
    shown = await alice.slash(channel, "source", id=f"{long_id}#1")  # typed in full, it is found
    assert "Stadtrat" in reply_of(shown).embeds[0].description


@needs_seed
async def test_source_says_what_is_wrong_with_an_id(world):
    """A typo in an id is told as such; an id of the right shape that names nothing is
    "not in the corpus", shown as typed even when it holds backticks."""
    env, guild, channel, alice = world
    for typed in ("hallo", SEED_ID, f"{SEED_ID}#", f"{SEED_ID}#0", f"{SEED_ID}#zwei", f"{SEED_ID}#" + "9" * 5000):
        result = await alice.slash(channel, "source", id=typed)
        assert result.ephemeral and "is not a citation id like" in result.response.content, typed
    for typed, shown in ((f"{SEED_ID}#99", f"`{SEED_ID}#99`"), ("```x#2", "\\`\\`\\`x#2")):
        result = await alice.slash(channel, "source", id=typed)
        assert result.response.content == t("unknown_source", "en", id=shown)
    spaced = await alice.slash(channel, "source", id=f" {SEED_ID} # 2 ")  # as /article reads it
    assert "650 Kilometer" in reply_of(spaced).embeds[0].description


@needs_seed
async def test_article_command(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "article", id=SEED_ID)
    embed = result.response.embeds[0]
    text = str(embed.to_dict())
    assert "ZIOLKOWSKI" in text and "dpa-AFX" in text and "2023-09" in text and "11" in text
    assert "Alte Freunde" in text
    result = await alice.slash(channel, "article", id="gibt-es-nicht")
    assert result.response.content == t("unknown_article", "en", id="`gibt-es-nicht`")


async def test_search_lists_paragraphs_without_an_answer(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "search", query="Tempo 30 Köln Blitzer")
    embed = reply_of(result).embeds[0]
    assert "`2025-03-tempo30-koeln#" in embed.description
    assert not embed.fields
    assert "Nichts im Korpus passt genau" not in embed.description
    result = await alice.slash(channel, "search", query="Quantenchromodynamik und Gluonen")
    distant = reply_of(result).embeds[0].description
    assert distant.startswith("*Nichts im Korpus passt genau – das Nächstliegende:*\n\n`")


async def test_search_keywords_get_notes_in_the_clients_language(world):
    """Keywords hold no function word, so German won the tie: "gluons quarks" from an
    English client (simcord's is en-US) got German notes."""
    env, guild, channel, alice = world
    result = await alice.slash(channel, "search", query="gluons quarks")
    distant = reply_of(result).embeds[0].description
    assert distant.startswith("*Nothing in the corpus matches closely – the nearest paragraphs:*\n\n`")


async def test_stats_shows_counts_embedder_and_feedback(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "stats")
    text = str(reply_of(result).embeds[0].to_dict())
    assert "bundled:multilingual-e5-small" in text and "Feedback" in text


@needs_seed
async def test_mention_creates_a_thread_and_follow_up_uses_context(world):
    env, guild, channel, alice = world
    bot_mention = f"<@{env.bot.user.id}>"
    await alice.send(channel, f"{bot_mention} Wie weit flogen die Raketen?")
    (thread,) = channel.threads
    assert thread.name == "Wie weit flogen die Raketen?"
    answer = thread.last_message
    assert "650 Kilometer" in answer.embeds[0].description
    # A follow-up without subject is answered from the thread's context.
    await alice.send(thread, "Und in welche Richtung?")
    follow = thread.last_message
    assert follow.id != answer.id
    assert "ostwärts" in follow.embeds[0].description


async def test_a_mention_of_the_bots_own_role_is_a_mention_of_the_bot(world):
    """Discord's picker offers the bot's managed role "@absatz" beside the bot, and members
    pick either: the role's mention had been taken for a message to others, unanswered.
    Another role's mention (here a managed one the bot does not hold) still is one."""
    env, guild, channel, alice = world
    (role,) = [r for r in env.bot.get_guild(guild.id).me.roles if r.managed]
    other = guild.create_role("Redaktion", managed=True)
    await alice.send(channel, f"<@&{other.id}> Wie weit flogen die Raketen?")
    assert not channel.threads and not [m for m in channel.history() if m.author.bot]
    await alice.send(channel, f"<@&{role.id}> Wie weit flogen die Raketen?")
    (thread,) = channel.threads
    assert thread.name == "Wie weit flogen die Raketen?"
    assert "650 Kilometer" in thread.last_message.embeds[0].description
    await alice.send(thread, "Und in welche Richtung?")
    assert "ostwärts" in thread.last_message.embeds[0].description


async def test_a_follow_up_that_swaps_the_place_is_told_so_in_the_thread(world):
    """It was answered with the earlier place's price."""
    env, guild, channel, alice = world
    await alice.send(channel, f"<@{env.bot.user.id}> Was kostet ein Brötchen in München?")
    (thread,) = channel.threads
    await alice.send(thread, "Und in Berlin?")
    replies = [m for m in thread.history() if m.author.bot]
    assert "65 Cent" in replies[0].embeds[0].description
    shown = str(replies[-1].embeds[0].to_dict()) if replies[-1].embeds else replies[-1].content
    assert len(replies) == 2 and "Dazu finde ich für „Berlin“ nichts im Korpus." in shown and "65 Cent" not in shown


@needs_seed
@pytest.mark.parametrize("denied", ["create_public_threads", "send_messages_in_threads"])
async def test_a_mention_where_the_bot_may_not_open_threads_is_answered_in_the_channel(world, denied):
    """Allowed to open a thread but not to write in it, the bot had left an empty thread
    and an error in the channel."""
    env, guild, _, alice = world
    closed = guild.create_text_channel(
        "ohne-threads", overwrites={env.bot.user: discord.PermissionOverwrite(**{denied: False})}
    )
    await alice.send(closed, f"<@{env.bot.user.id}> Wie weit flogen die Raketen?")
    assert not closed.threads
    assert "650 Kilometer" in closed.last_message.embeds[0].description


@needs_seed
async def test_a_thread_is_named_after_what_the_question_asks(world):
    env, guild, channel, alice = world
    await alice.send(channel, f"<@{env.bot.user.id}> <@{alice.id}> **Wie weit**\nflogen die Raketen? https://x.de/a")
    (thread,) = channel.threads
    assert thread.name == "Wie weit flogen die Raketen?"


async def test_dm_is_answered(world):
    env, guild, channel, alice = world
    await alice.send_dm("Wie viele Blitzer will Köln aufstellen?")
    reply = alice.user.dm_channel.last_message if hasattr(alice, "user") else None
    if reply is None:
        reply = env.bot.get_user(alice.id).dm_channel.last_message
    assert "zwölf zusätzliche Blitzer" in reply.embeds[0].description


async def test_a_dm_follow_up_goes_on_from_the_members_last_question(world):
    """Each DM had been answered on its own: "Und wie viele Betriebe gibt es?" after the
    price of a roll got "nothing in the corpus". Keywords are still a search of their own,
    and half an hour later a DM is a new conversation."""
    env, guild, channel, alice = world
    dm = alice.user.dm_channel
    await alice.send_dm("Was kostet ein Brötchen in München?")
    await alice.send_dm("Blitzer Köln")
    assert "zwölf zusätzliche Blitzer" in dm.last_message.embeds[0].description
    await env.advance_time(31)  # past the cooldown of three questions
    await alice.send_dm("Und wie viele Betriebe gibt es?")
    assert "2.300" in dm.last_message.embeds[0].description
    await env.advance_time(31 * 60)
    await alice.send_dm("Und wie viele Betriebe gibt es?")
    assert "2.300" not in (dm.last_message.embeds[0].description if dm.last_message.embeds else dm.last_message.content)


async def test_cooldown_answers_with_an_ephemeral_wait(world):
    env, guild, channel, alice = world
    for _ in range(3):
        assert reply_of(await alice.slash(channel, "ask", question="Was kostet ein Brötchen?")).embeds
    refused = await alice.slash(channel, "ask", question="Was kostet ein Brötchen?")
    assert refused.ephemeral and "warte" in refused.response.content and not refused.response.embeds
    await env.advance_time(31)
    assert reply_of(await alice.slash(channel, "ask", question="Was kostet ein Brötchen?")).embeds


async def test_a_follow_up_told_to_wait_is_told_in_the_threads_language(world):
    """ "Price?" says no language: German by the tie, though its thread is English."""
    env, guild, channel, alice = world
    await alice.send(channel, f"<@{env.bot.user.id}> How much does a bread roll cost in Munich?")
    (thread,) = channel.threads
    for _ in range(3):
        await alice.send(thread, "Price?")
    told = thread.last_message
    assert told.author.bot and told.content.startswith("Please try again in"), told.content


async def test_rate_limit_buckets_of_idle_users_are_forgotten(world):
    env, guild, channel, alice = world
    cog = env.bot.get_cog("Ask")
    start = discord.utils.utcnow()
    for uid in range(1, COOLDOWN_USERS):
        cog.retry_after(uid, start)
    for _ in range(3):  # alice spends her whole allowance just before the others' window ends
        cog.retry_after(alice.id, start + timedelta(seconds=29))
    later = start + timedelta(seconds=31)
    assert cog.retry_after(10**9, later) is None
    assert set(cog._cooldowns) == {alice.id, 10**9}  # memory stays bounded by active users
    assert cog.retry_after(alice.id, later) is not None  # and a limited user stays limited


async def test_question_of_500_chars_is_answered_and_longer_is_refused(world):
    env, guild, channel, alice = world
    long_q = ("Was kostet ein Brötchen in München " * 20)[:500]
    result = await alice.slash(channel, "ask", question=long_q)
    assert len(long_q) == 500 and reply_of(result).embeds
    with pytest.raises(OptionError, match="'question' of 'ask' must be at most 500 characters, got 501"):
        await alice.slash(channel, "ask", question=long_q + "x")  # Discord's client refuses it
    bot_mention = f"<@{env.bot.user.id}>"
    await alice.send(channel, f"{bot_mention} " + "Warum " * 300)
    assert "zu lang" in channel.last_message.content


async def test_a_10000_character_mention_is_refused_cleanly(world):
    """Discord lets no user send 10,000 characters (simcord enforces 2,000 on sends), so
    the message is prepared normally and its content lengthened before the gateway
    delivers it: what a misbehaving client or a raised limit would produce."""
    env, guild, channel, alice = world
    bot_mention = f"<@{env.bot.user.id}>"
    message = env.backend.prepare_message(channel.id, alice.id, f"{bot_mention} Warum?")
    message.content = f"{bot_mention} " + "Warum ist das so? " * 560
    assert len(message.content) > 10_000
    env.backend.commit_message(message)
    await env.settle()
    reply = channel.last_message
    assert reply.author.id == env.bot.user.id and "zu lang" in reply.content and len(reply.content) <= 2000
    assert not env.errors


async def test_mention_injection_never_pings(world):
    env, guild, channel, alice = world
    result = await alice.slash(channel, "ask", question="@everyone <@&123> Was kostet ein Brötchen?")
    request = [r for r in env.http_requests if "webhooks" in r.path and r.json][-1]
    assert request.json.get("allowed_mentions", {}).get("parse") == []
    assert reply_of(result).embeds


async def test_a_failing_rest_call_is_retried(world):
    env, guild, channel, alice = world
    env.inject_error("*", "/webhooks/*", status=500, times=1)
    result = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert "65 Cent" in reply_of(result).embeds[0].description


async def test_a_rest_outage_is_logged_and_the_bot_keeps_answering(world, caplog):
    env, guild, channel, alice = world
    env.inject_error("*", "/webhooks/*", status=500, times=None)
    result = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert result.acknowledged  # deferred at once: never an unacknowledged interaction
    assert any("failed" in r.getMessage() or "could not" in r.getMessage() for r in caplog.records)
    env.backend.faults.clear()
    env.errors.clear()
    bob = guild.add_member(env.create_user("bob"))
    result = await bob.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert "65 Cent" in reply_of(result).embeds[0].description


@pytest.mark.parametrize(
    "status, times", [(500, 1), (429, 1), (500, None)], ids=["500-once", "429-once", "500-lasting"]
)
async def test_a_failing_acknowledgement_is_a_clean_failure_and_the_bot_keeps_answering(world, caplog, status, times):
    """The fault hits the interaction callback itself (the defer), not a webhook.

    discord.py does not retry an interaction callback; the bot does, within Discord's
    3 s, so a single 500 or 429 loses nothing: the question is answered. If Discord keeps
    failing, nothing can acknowledge: it is logged, nothing crashes, and the next
    question is answered once Discord is back."""
    env, guild, channel, alice = world
    env.inject_error("POST", "/interactions/*/callback", status=status, times=times)
    result = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    callbacks = [r.json["type"] for r in env.http_requests if r.path.endswith("/callback")]
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    if times == 1:
        assert callbacks == [5, 5]  # the failed defer, then the one that went through
        assert result.acknowledged and "65 Cent" in reply_of(result).embeds[0].description
    else:
        assert callbacks[:3] == [5, 5, 5] and callbacks[3:] == [4]  # three tries, then the error message
        assert f"/ask by user {alice.id} failed" in messages
        assert not result.acknowledged and "/ask: could not report the error to the user either" in messages
        env.backend.faults.clear()
    assert not env.errors
    bob = guild.add_member(env.create_user("bob"))
    result = await bob.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert deferred_first(env, result) and "65 Cent" in reply_of(result).embeds[0].description


async def test_fifty_questions_in_flight_are_all_answered(world):
    env, guild, channel, alice = world
    users = [guild.add_member(env.create_user(f"user{i}")) for i in range(50)]
    results = [
        await dispatch_unsettled(env, u, channel, "ask", question="Was kostet ein Brötchen in München?") for u in users
    ]
    await env.settle(timeout=120)
    assert all(r.acknowledged for r in results)
    assert all("65 Cent" in reply_of(r).embeds[0].description for r in results)


async def test_guild_ids_sync_commands_to_those_guilds(world, bot_settings, searcher):
    from dataclasses import replace

    env, guild, channel, alice = world
    await env.restart_bot(bot_with(replace(bot_settings, guild_ids=(guild.id,)), searcher))
    assert "ask" in alice.available_commands(channel)
    result = await alice.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert "65 Cent" in reply_of(result).embeds[0].description


async def test_two_shards_answer_their_own_guilds(simcord_env, bot_settings, searcher):
    from dataclasses import replace

    env = simcord_env
    await env.restart_bot(bot_with(replace(bot_settings, shard_count=2, shard_ids=(0, 1)), searcher))
    for shard in (0, 1):
        guild = env.create_guild(shard_id=shard)
        channel = guild.create_text_channel("fragen")
        member = guild.add_member(env.create_user(f"leser{shard}"))
        result = await member.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
        assert "65 Cent" in reply_of(result).embeds[0].description
        assert env.bot.get_guild(guild.id).shard_id == shard


def shown(message: discord.Message) -> str:
    return message.embeds[0].description if message.embeds else message.content


async def test_the_fourth_follow_up_in_a_row_still_knows_the_threads_question(world):
    """The follow-ups' context was the last three questions: the fourth had lost the
    thread's opening question and was refused."""
    env, guild, channel, alice = world
    await alice.send(channel, f"<@{env.bot.user.id}> Was kostet ein Brötchen in München?")
    (thread,) = channel.threads
    for follow_up in ("Und warum?", "Und vor zwei Jahren?", "Wer sagt das?"):
        await env.advance_time(31)
        await alice.send(thread, follow_up)
    await env.advance_time(31)
    await alice.send(thread, "Und wie viele Betriebe gibt es?")
    assert "2.300" in shown(thread.last_message), shown(thread.last_message)


@needs_seed
async def test_a_follow_up_still_knows_the_threads_question_after_the_mention_that_opened_it_was_deleted(world):
    env, guild, channel, alice = world
    opening = await alice.send(channel, f"<@{env.bot.user.id}> Wie weit flogen die Raketen?")
    (thread,) = channel.threads
    await alice.delete(opening)
    await alice.send(thread, "Und in welche Richtung?")
    assert "ostwärts" in shown(thread.last_message), shown(thread.last_message)


@needs_seed
async def test_a_mention_in_a_members_thread_goes_on_from_the_questions_asked_there(world):
    """Only the bot's own threads had follow-ups: in a thread a member opened (from an
    answer, say) "@absatz Und in welche Richtung?" was asked alone and refused."""
    env, guild, channel, alice = world
    bob = guild.add_member(env.create_user("bob"))
    thread = simcord.builders.ChannelHandle(env, guild, env.backend.create_thread(channel.id, "Raketen", alice.id))
    await alice.send(thread, f"<@{env.bot.user.id}> Wie weit flogen die Raketen?")
    await bob.send(thread, "Krass, so weit?")  # members talk among themselves: not a question to the bot
    await bob.send(thread, f"<@{env.bot.user.id}> Und in welche Richtung?")
    assert "ostwärts" in shown(thread.last_message), shown(thread.last_message)


@needs_seed
async def test_a_reply_to_an_answer_in_a_channel_without_threads_goes_on_from_its_question(world):
    """Where the bot may open no thread it answers in the channel; a reply to that answer
    was asked alone and refused, so such a channel had no way to ask a follow-up."""
    env, guild, _, alice = world
    closed = guild.create_text_channel(
        "ohne-threads", overwrites={env.bot.user: discord.PermissionOverwrite(create_public_threads=False)}
    )
    await alice.send(closed, f"<@{env.bot.user.id}> Wie weit flogen die Raketen?")
    answer = closed.last_message
    assert "650 Kilometer" in shown(answer)
    await alice.send(closed, "Und in welche Richtung?", reply_to=answer)
    assert "ostwärts" in shown(closed.last_message), shown(closed.last_message)


@needs_seed
async def test_replies_to_an_ask_answer_go_on_from_its_question_where_they_are(world):
    """A reply to an /ask answer had opened a thread named after the reply, whose next
    follow-up no longer knew the /ask question. Replies are answered in place, and a
    reply to that answer still goes on from the first question."""
    env, guild, channel, alice = world
    answer = reply_of(await alice.slash(channel, "ask", question="Wie weit flogen die Raketen?"))
    await env.advance_time(31)
    await alice.send(channel, "Und in welche Richtung?", reply_to=answer)
    assert not channel.threads and "ostwärts" in shown(channel.last_message), shown(channel.last_message)
    await env.advance_time(31)
    await alice.send(channel, "Und wie weit?", reply_to=channel.last_message)
    assert "650 Kilometer" in shown(channel.last_message), shown(channel.last_message)


@needs_seed
async def test_a_mention_that_opens_a_forum_post_is_asked_with_the_posts_title(world):
    """Only a forum whose scope answers every post had read the title: a mention under
    "Nordkoreas Raketentests" asking "Wie weit flogen sie?" was refused."""
    env, guild, channel, alice = world
    forum = guild.create_forum_channel("forum")
    post = simcord.builders.ChannelHandle(
        env, guild, env.backend.create_thread(forum.id, "Nordkoreas Raketentests", alice.id)
    )
    await alice.send(post, f"<@{env.bot.user.id}> Wie weit flogen sie?")
    assert "650 Kilometer" in shown(post.last_message), shown(post.last_message)
    await alice.send(post, f"<@{env.bot.user.id}> Und in welche Richtung?")  # under the title too
    assert "ostwärts" in shown(post.last_message), shown(post.last_message)


async def test_a_link_in_a_question_does_not_choose_the_answers_language(world):
    """The words of a pasted link's path counted: an English question with a
    tagesschau.de link was answered in German, a German one with an English link in English."""
    env, guild, channel, alice = world
    link = "https://www.tagesschau.de/inland/die-preise-und-der-brotpreis-in-der-stadt-100.html"
    english = reply_of(await alice.slash(channel, "ask", question=f"How much is a bread roll in Munich? {link}"))
    assert "source" in english.embeds[0].footer.text, english.embeds[0].footer.text
    link = "https://www.bbc.com/news/how-much-is-the-price-of-a-bread-roll-in-the-city-of-munich"
    await env.advance_time(31)
    german = reply_of(await alice.slash(channel, "ask", question=f"Was kostet ein Brötchen in München? {link}"))
    assert "Quelle" in german.embeds[0].footer.text, german.embeds[0].footer.text


async def test_a_failure_after_the_answers_thread_opened_is_told_in_that_thread(world, monkeypatch):
    """The thread named after the question had stayed empty, the error posted in the
    channel beside it."""
    from vectorstore.errors import StoreUnavailable

    env, guild, channel, alice = world

    async def down(*args, **kwargs):
        raise StoreUnavailable("the Chroma server does not answer")

    monkeypatch.setattr(env.bot.absatz, "ask", down)
    await alice.send(channel, f"<@{env.bot.user.id}> Wie weit flogen die Raketen?")
    (thread,) = channel.threads
    assert thread.last_message is not None and thread.last_message.author.bot
    assert not [m for m in channel.history() if m.author.bot and m.type != discord.MessageType.thread_created]


async def test_a_mention_of_nothing_but_another_member_is_told_to_ask_where_it_was_said(world):
    """ "@absatz @bob" had opened a thread named "<@1456…>" and been searched as digits."""
    env, guild, channel, alice = world
    bob = guild.add_member(env.create_user("bob"))
    await alice.send(channel, f"<@{env.bot.user.id}> <@{bob.id}>")
    assert not channel.threads
    assert shown(channel.last_message) == t("empty_question", "de")
