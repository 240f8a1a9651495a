"""Built for Discord communities: channel scopes, auto-answers, forum posts, coverage gaps
and the admins' weekly chart — real discord.py through simcord, a real store."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json

import discord
import numpy as np
import pytest
import simcord
from simcord.backend.errors import SetupError

from absatz import Absatz
from absatz.analytics import CHART_SIZE
from absatz.answer import MAX_QUESTION
from absatz.cli import main as cli_main
from absatz.gaps import cluster, find_gaps
from absatz.question_types import expected
from absatz.scopes import UnknownNames
from absatz.settings import Settings
from absatz.texts import t
from bot.settings import BotSettings
from vectorstore import readindex
from vectorstore.search import Searcher

from .conftest import ROOT, settings_for
from .hostile import link_targets
from .simcord_helpers import bot_with, reply_of

SETTLE_S = 300  # generous: answering on a busy 2-core machine


def articles(today: dt.date) -> list[dict]:
    """A stadium in Linz seen from sport (recent, the better match) and from business
    (two years old), and an opera premiere: categories, sources and dates to slice by."""
    recent, old = (today - dt.timedelta(days=10)).isoformat(), (today - dt.timedelta(days=700)).isoformat()
    return [
        {
            "id": "linz-stadion-sport",
            "category": "Sport",
            "source": "absatz-Beispiel",
            "date": recent,
            "title": "LASK eröffnet neues Stadion in Linz",
            "text": "Der LASK hat sein neues Stadion in Linz eröffnet. Das Stadion kostet nach Angaben des Vereins "
            "65 Millionen Euro und bietet 19.000 Zuschauern Platz.\n\nZum Eröffnungsspiel kamen 18.500 Fans, "
            "der LASK gewann gegen Sturm Graz mit 2:1.",
        },
        {
            "id": "linz-stadion-wirtschaft",
            "category": "Wirtschaft",
            "source": "absatz-Beispiel",
            "date": old,
            "title": "Baukonzern Porr baut Linzer Stadion",
            "text": "Der Baukonzern Porr hat den Auftrag für den Bau des neuen Stadions in Linz erhalten. Die Kosten "
            "für das Linzer Stadion beziffert Porr auf 58 Millionen Euro, teilte das Unternehmen am Montag "
            "mit.\n\nDie Porr-Aktie stieg nach der Meldung um 3,2 Prozent.",
        },
        {
            "id": "wien-oper-kultur",
            "category": "Kultur",
            "source": "Kulturbote",
            "date": recent,
            "title": "Staatsoper zeigt neue Zauberflöte",
            "text": "Die Wiener Staatsoper zeigt ab Samstag eine neue Inszenierung der Zauberflöte. Regie führt "
            "Barbara Frey, die Premiere ist ausverkauft.\n\nKarten für spätere Vorstellungen kosten zwischen "
            "15 und 290 Euro.",
        },
    ]


STADIUM = "Wie viel kostet das neue Stadion in Linz?"


@pytest.fixture(scope="module")
def community_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("community")
    path = folder / "articles.jsonl"
    path.write_text(
        "\n".join(json.dumps(a, ensure_ascii=False) for a in articles(dt.date.today())) + "\n", encoding="utf-8"
    )
    settings = settings_for(folder / "chroma")
    assert cli_main(["ingest", str(path), "--chroma-path", str(settings.chroma_path), "--json"]) == 0
    return settings


@pytest.fixture
def community_settings(community_store, tmp_path):
    return BotSettings(store=community_store, shard_count=1, bot_db=tmp_path / "bot.sqlite3", cooldown_rate=100)


@pytest.fixture
def community_searcher(community_store, embedder):
    return Searcher.open(community_store, embedder)


def cited(result) -> list[str]:
    embed = reply_of(result).embeds[0]
    return [f.value.rsplit("`", 2)[-2].split("#")[0] for f in embed.fields]


def world(env):
    guild = env.create_guild()
    admins = guild.create_role("Redaktion", permissions=discord.Permissions(manage_guild=True))
    wirtschaft = guild.create_text_channel("wirtschaft")
    allgemein = guild.create_text_channel("allgemein")
    admin = guild.add_member(env.create_user("admin"), roles=[admins])
    reader = guild.add_member(env.create_user("reader"))
    return guild, wirtschaft, allgemein, admin, reader


async def test_a_scoped_channel_searches_only_its_slice_says_so_and_can_be_widened(
    community_settings, community_searcher
):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        anywhere = await reader.slash(allgemein, "ask", question=STADIUM)
        assert cited(anywhere)[0] == "linz-stadion-sport"  # the better match, unscoped
        saved = await admin.slash(wirtschaft, "scope set", categories="wirtschaft")
        assert saved.ephemeral and "Wirtschaft" in saved.response.content
        scoped = await reader.slash(wirtschaft, "ask", question=STADIUM)
        assert set(cited(scoped)) == {"linz-stadion-wirtschaft"}  # never the Sport article
        embed = reply_of(scoped).embeds[0]
        assert "58 Millionen Euro" in embed.description and "Wirtschaft" in embed.footer.text
        widened = await reader.slash(wirtschaft, "ask", question=STADIUM, scope="all")
        assert cited(widened)[0] == "linz-stadion-sport"
        shown = await reader.slash(wirtschaft, "scope show")
        assert "Wirtschaft" in shown.response.content


async def test_a_scope_set_inside_a_thread_is_the_channel_s_scope(community_settings, community_searcher):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        await reader.send(allgemein, f"<@{env.bot.user.id}> {STADIUM}")
        (thread,) = allgemein.threads
        saved = await admin.slash(thread, "scope set", categories="wirtschaft")
        assert allgemein.mention in saved.response.content
        scoped = await reader.slash(thread, "ask", question=STADIUM)
        assert set(cited(scoped)) == {"linz-stadion-wirtschaft"}
        assert set(cited(await reader.slash(allgemein, "ask", question=STADIUM))) == {"linz-stadion-wirtschaft"}


async def test_a_rolling_window_and_a_source_slice_apply_before_ranking(community_settings, community_searcher):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        await admin.slash(allgemein, "scope set", since="90 Tage")
        recent = await reader.slash(allgemein, "ask", question="Wer hat den Auftrag für das Linzer Stadion bekommen?")
        assert "linz-stadion-wirtschaft" not in cited(recent)  # two years old: outside the window
        assert t("scope_days", "de", n=90) in reply_of(recent).embeds[0].footer.text
        await admin.slash(allgemein, "scope set", sources="Kulturbote")
        kultur = await reader.slash(allgemein, "ask", question=STADIUM)
        embed = reply_of(kultur).embeds[0]
        assert all("linz-stadion" not in f.value for f in embed.fields)


async def test_auto_mode_answers_plain_messages_only_where_enabled(community_settings, community_searcher):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        await reader.send(allgemein, STADIUM)
        assert not [m for m in allgemein.history() if m.author.bot] and not allgemein.threads  # mention-only
        await admin.slash(wirtschaft, "scope set", mode="auto")
        await reader.send(wirtschaft, STADIUM)
        (thread,) = wirtschaft.threads
        answer = [m for m in thread.history() if m.author.bot][-1]
        assert "Millionen Euro" in answer.embeds[0].description


async def test_scopes_survive_a_restart_and_need_an_admin(community_settings, community_searcher):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        refused = await reader.slash(wirtschaft, "scope set", categories="Wirtschaft")
        assert refused.ephemeral and refused.response.content == t("admins_only", "en")
        await admin.slash(wirtschaft, "scope set", categories="Wirtschaft", mode="auto")
        await env.restart_bot(bot_with(community_settings, community_searcher))  # a new process
        shown = await reader.slash(wirtschaft, "scope show")
        assert "Wirtschaft" in shown.response.content and t("scope_mode_auto", "en") in shown.response.content
        scoped = await reader.slash(wirtschaft, "ask", question=STADIUM)
        assert set(cited(scoped)) == {"linz-stadion-wirtschaft"}


@pytest.mark.parametrize(
    "options, expect",
    [
        ({"categories": "Wirtschft"}, "Wirtschaft"),  # unknown category: lists the known ones
        ({"since": "gestern"}, "90d"),  # malformed window
        ({"mode": "immer"}, "mention"),  # unknown mode
    ],
)
async def test_bad_scope_options_are_explained_and_nothing_is_stored(
    community_settings, community_searcher, options, expect
):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        bad = await admin.slash(wirtschaft, "scope set", **options)
        assert bad.ephemeral and bad.response.content.startswith("⛔") and expect in bad.response.content
        shown = await admin.slash(wirtschaft, "scope show")
        assert t("scope_all", "en") in shown.response.content


async def test_what_an_admin_types_into_scope_set_comes_back_as_text(community_settings, community_searcher):
    """/scope set quoted a category it does not know as typed, as Markdown: a masked link
    and a spoiler in the reply."""
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        bad = await admin.slash(wirtschaft, "scope set", categories="[Login](https://ev.il/x) ||x||")
        content = bad.response.content
        assert content.startswith("⛔ `categories`: “[Login]\\(https://ev.il/x) \\|\\|x\\|\\|” is not in the corpus")
        assert link_targets(content) == []


async def test_a_channel_the_bot_cannot_see_gets_no_scope(community_settings, community_searcher):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        hidden = guild.create_text_channel(
            "geheim", overwrites={guild.me: discord.PermissionOverwrite(view_channel=False)}
        )
        bad = await admin.slash(wirtschaft, "scope set", channel=hidden, categories="Wirtschaft")
        assert bad.ephemeral and bad.response.content.startswith("⛔")
        assert community_settings.bot_db.exists()
        assert Absatz(community_settings.core).scopes.get(hidden.id) is None


# --- forum posts -------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def community(settings, searcher):
    """The bot on the community store, and a server with its two channels, an admin and a reader."""
    async with simcord.run(bot_with(settings, searcher), shard_count=1, settle_timeout=SETTLE_S) as env:
        yield (env, *world(env))


async def auto_forum(guild, channel, admin):
    """A forum whose every new post is a question (set by an admin from ``channel``)."""
    forum = guild.create_forum_channel("fragen")
    await admin.slash(channel, "scope set", channel=forum, mode="auto")
    return forum


def forum_post(env, guild, forum, author, title: str, text: str):
    """A member opens a post in a forum: the thread, then its first message."""
    backend = env.backend
    post = backend.create_thread(forum.id, title, author.id)
    handle = simcord.builders.ChannelHandle(env, guild, post)
    return post, handle, author.send(handle, text)


async def test_a_forum_post_within_the_limit_is_answered_however_long_its_title(community_settings, community_searcher):
    """The post's title is joined to its question, and the limit had been checked on the
    two together: a 450-character post under a 95-character title was refused as too long."""
    title = "Frage an alle hier: weiß jemand, was das neue Stadion in Linz für den LASK am Ende kosten wird?"
    body = (
        "Hallo zusammen, ich bin neu hier im Forum und verfolge seit Wochen die Diskussion über den Neubau. "
        "Mein Nachbar meint, das Projekt sei viel zu teuer geworden, meine Schwester sagt, das stimme gar "
        "nicht, und in der Zeitung habe ich die Zahl leider überlesen. Wir haben am Wochenende darüber "
        "gestritten und wollen das jetzt endlich klären, bevor wir zum nächsten Heimspiel fahren. "
        f"Also ganz direkt gefragt: {STADIUM}"
    )
    assert len(title) <= 100 and len(body) <= MAX_QUESTION < len(title) + 1 + len(body)
    async with community(community_settings, community_searcher) as (env, guild, wirtschaft, allgemein, admin, reader):
        forum = await auto_forum(guild, allgemein, admin)
        post, handle, sent = forum_post(env, guild, forum, reader, title, body)
        await sent
        answers = [m for m in handle.history() if m.author.bot]
        assert len(answers) == 1 and answers[0].embeds, [m.content for m in answers]
        assert "Millionen Euro" in answers[0].embeds[0].description
        assert not env.backend.channels[post.id].applied_tags


async def test_forum_posts_get_one_answer_and_unanswerable_ones_a_tag(community_settings, community_searcher):
    async with community(community_settings, community_searcher) as (env, guild, wirtschaft, allgemein, admin, reader):
        forum = await auto_forum(guild, allgemein, admin)
        post, handle, sent = forum_post(env, guild, forum, reader, "Stadion Linz", STADIUM)
        await sent
        answers = [m for m in handle.history() if m.author.bot]
        assert len(answers) == 1 and "Millionen Euro" in answers[0].embeds[0].description
        assert not env.backend.channels[post.id].applied_tags
        await reader.send(handle, "Und wie viele Zuschauer passen hinein?")  # a follow-up in the post
        answers = [m for m in handle.history() if m.author.bot]
        assert len(answers) == 2 and "19.000" in answers[1].embeds[0].description
        lost, lost_handle, sent = forum_post(env, guild, forum, reader, "Sauerteig", "Wie backe ich Sauerteigbrot?")
        await sent
        refusals = [m for m in lost_handle.history() if m.author.bot]
        assert len(refusals) == 1 and refusals[0].embeds[0].description == t("not_found", "de")
        tags = {int(tag["id"]): tag["name"] for tag in env.backend.channels[forum.id].available_tags}
        assert [tags[i] for i in env.backend.channels[lost.id].applied_tags] == [t("unanswered_tag", "en")]


# --- coverage gaps -------------------------------------------------------------------------


def test_gap_clusters_group_paraphrases_and_keep_different_questions_apart(embedder):
    groups = json.loads((ROOT / "tests" / "data" / "gap_questions.json").read_text(encoding="utf-8"))["groups"]
    questions = [q for group in groups for q in group]
    vectors = np.asarray([embedder.embed_question(q) for q in questions])
    found = cluster(vectors, [expected(q).value for q in questions])
    assert sorted(sorted(questions[i] for i in c) for c in found) == sorted(sorted(g) for g in groups)


async def test_gaps_lists_refused_and_disliked_questions_most_asked_first(community_settings, community_searcher):
    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        for q in (
            "Wann öffnet das neue Hallenbad in Graz?",
            "Ab wann hat das Grazer Hallenbad offen?",
            "When does the new indoor pool in Graz open?",
            "Wer hat den Song Contest gewonnen?",
        ):
            await reader.slash(allgemein, "ask", question=q)
        disliked = await reader.slash(allgemein, "ask", question=STADIUM)
        down = await reader.click(reply_of(disliked).message, custom_id="absatz:vote:down")
        await reader.submit_modal(down, {"comment": "Falsches Stadion"})
        with pytest.raises(SetupError, match="default-member-permissions"):
            await reader.slash(allgemein, "gaps")  # hidden from members, as in the client
        commands = {c.name: c for c in await env.bot.tree.fetch_commands()}
        guild.set_command_permissions(commands["gaps"], {guild.default_role: True})
        refused = await reader.slash(allgemein, "gaps")  # opened to everyone: still for admins only
        assert refused.ephemeral and refused.response.content == t("admins_only", "en")
        (last,) = env.bot.core.audit.recent(1)
        assert (last.action, last.result) == ("gaps", "refused: not an admin")
        shown = await admin.slash(allgemein, "gaps", days=7)
        embed = reply_of(shown).embeds[0]
        names = [f.name for f in embed.fields]
        assert names[0].startswith("3×")  # the pool, asked three ways, first
        assert "Hallenbad" in embed.fields[0].value or "pool" in embed.fields[0].value
        assert any("Falsches Stadion" in f.value for f in embed.fields)
        assert len(embed.fields) == 3


async def test_a_refused_follow_up_is_a_gap_with_its_threads_subject(community_settings, community_searcher):
    """Listed alone, "Und in Salzburg?" told the editors nothing about what was missing;
    and the subject is the thread's first question, not the earliest one still read."""
    async with community(community_settings, community_searcher) as (env, guild, wirtschaft, allgemein, admin, reader):
        await reader.send(allgemein, f"<@{env.bot.user.id}> {STADIUM}")
        (thread,) = allgemein.threads
        for follow_up in ("Wie viele Zuschauer passen hinein?", "Wer hat gewonnen?", "Wie viele Fans kamen?"):
            await reader.send(thread, follow_up)
        await reader.send(thread, "Und in Salzburg?")
        refusal = [m for m in thread.history() if m.author.bot][-1].embeds[0].description
        gaps = reply_of(await admin.slash(allgemein, "gaps")).embeds[0]
    assert "Millionen" not in refusal
    assert f"**{STADIUM} → Und in Salzburg?**" in [f.value for f in gaps.fields]


def test_follow_ups_on_one_subject_are_gaps_of_their_own(embedder):
    """Grouped by the shared subject, "Und in Salzburg?", "Und in Graz?" and "Und wann
    öffnet es?" were one gap."""
    from absatz.db.feedback import AskedQuestion

    def refused(question: str, follows: str = "") -> AskedQuestion:
        return AskedQuestion(question, True, 0.0, 0, 0.0, 0, 0, (), follows)

    asked = [
        refused("Und in Salzburg?", STADIUM),
        refused("And in Salzburg?", STADIUM),
        refused("Und in Graz?", STADIUM),
        refused("Und wann öffnet es?", STADIUM),
        refused("Wie backe ich Sauerteigbrot?"),
    ]
    gaps = find_gaps(asked, lambda texts: np.asarray([embedder.embed_question(t) for t in texts]))
    assert sorted(tuple(map(str, g.wordings)) for g in gaps) == sorted(
        [
            (f"{STADIUM} → And in Salzburg?", f"{STADIUM} → Und in Salzburg?"),
            (f"{STADIUM} → Und in Graz?",),
            (f"{STADIUM} → Und wann öffnet es?",),
            ("Wie backe ich Sauerteigbrot?",),
        ]
    )


async def test_a_message_without_a_word_or_about_the_bot_is_no_question_in_gaps_or_stats(
    community_settings, community_searcher
):
    """Counted, "???", "🤔" and "!!!" were a gap of three refusals, and their near-zero
    latencies pulled the week's median down to 0 ms; "Wer bist du?" is no gap of the corpus."""
    async with community(community_settings, community_searcher) as (env, guild, wirtschaft, allgemein, admin, reader):
        for nothing in ("???", "🤔", "!!!"):
            told = reply_of(await reader.slash(allgemein, "ask", question=nothing)).embeds[0]
            assert told.description == t("empty_question", "en")  # no word says: the client's
        await reader.send(allgemein, f"<@{env.bot.user.id}> 🤔")
        about = reply_of(await reader.slash(allgemein, "ask", question="Wer bist du?")).embeds[0]
        assert about.description == t("about_me", "de")
        await reader.slash(allgemein, "ask", question=STADIUM)
        await reader.slash(allgemein, "ask", question="Wie backe ich Sauerteigbrot?")
        gaps = reply_of(await admin.slash(allgemein, "gaps")).embeds[0]
        stats = reply_of(await admin.slash(allgemein, "stats")).embeds[0]
    assert [f.value for f in gaps.fields] == ["**Wie backe ich Sauerteigbrot?**"]
    week = next(f.value for f in stats.fields if f.name == t("stats_week", "en"))
    assert "2 questions" in week and "1 refused" in week and "median 0 ms" not in week


async def test_admins_see_the_week_as_a_chart(community_settings, community_searcher):
    import matplotlib.image

    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        await reader.slash(allgemein, "ask", question=STADIUM)
        await reader.slash(wirtschaft, "ask", question="Wie backe ich Sauerteigbrot?")
        stats = await admin.slash(allgemein, "stats")
        message = reply_of(stats)
        embed = message.embeds[0]
        assert embed.image.url == "attachment://stats.png"
        week = next(f.value for f in embed.fields if f.name == t("stats_week", "en"))
        assert "2 questions" in week and "1 answered" in week and "1 refused" in week
        (attachment,) = message.attachments
        image = matplotlib.image.imread(io.BytesIO(env.backend.cdn.get(attachment.url)), format="png")
        assert image.shape[:2] == (CHART_SIZE[1], CHART_SIZE[0])
        plain = await reader.slash(allgemein, "stats")
        assert not reply_of(plain).attachments  # the week is for admins


def test_a_week_without_questions_is_charted_from_zero_in_whole_numbers():
    """Its axis had read -0.04 … 0.04."""
    import datetime as dt

    from absatz.analytics import chart, summarise

    axes = chart(summarise([], dt.date(2026, 12, 7), 7), ("answered", "refused"), "week").axes[0]
    assert axes.get_ylim() == (0, 1)
    assert all(float(tick).is_integer() for tick in axes.get_yticks() if 0 <= tick <= 1)


def test_absatz_gaps_on_the_command_line(community_settings, capsys, tmp_path, monkeypatch):
    from absatz.answer import Answer
    from absatz.db.feedback import FeedbackStore

    db = FeedbackStore(community_settings.bot_db)
    for i, q in enumerate(["Wann öffnet das neue Hallenbad in Graz?", "Ab wann hat das Grazer Hallenbad offen?"]):
        db.record_answer(i + 1, Answer(q, t("not_found", "de"), True))
    db.close()
    monkeypatch.setenv("BOT_DB", str(community_settings.bot_db))
    code = cli_main(["gaps", "--json", "--chroma-path", str(community_settings.store.chroma_path)])
    (gap,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and gap["count"] == 2 and gap["abstained"] == 2 and len(gap["wordings"]) == 2


def test_a_dislike_comment_reaches_the_admins_terminal_as_text(community_settings, capsys, monkeypatch):
    """A 👎 comment's escape sequences (Discord's ansi blocks are made of literal ESC
    characters) had reached `absatz gaps` raw: a retitled window, a cleared screen, a
    fake error line. A unit separator in it had split it into two reasons."""
    from absatz.answer import Answer
    from absatz.db.feedback import FeedbackStore

    db = FeedbackStore(community_settings.bot_db)
    db.record_answer(1, Answer("Wann öffnet das neue Hallenbad in Graz?", t("not_found", "de"), True))
    db.record_vote(1, 7, -1, "falsch\x1b]0;PWNED\x07\x1b[2J\x1b[2Kabsatz: error: run this\x1f zweiter Grund")
    db.record_vote(1, 8, -1, "fehlt")
    db.close()
    monkeypatch.setenv("BOT_DB", str(community_settings.bot_db))
    assert cli_main(["gaps", "--chroma-path", str(community_settings.store.chroma_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\x1f" not in out
    assert "👎: falsch ]0;PWNED [2J [2Kabsatz: error: run this zweiter Grund" in out and "👎: fehlt" in out


async def test_the_weekly_digest_goes_to_the_admin_channel(community_settings, community_searcher):
    from dataclasses import replace

    async with simcord.run(
        bot_with(community_settings, community_searcher), shard_count=1, settle_timeout=SETTLE_S
    ) as env:
        guild, wirtschaft, allgemein, admin, reader = world(env)
        redaktion = guild.create_text_channel("redaktion")
        await env.restart_bot(bot_with(replace(community_settings, admin_channel_id=redaktion.id), community_searcher))
        await reader.slash(allgemein, "ask", question="Wer hat den Song Contest gewonnen?")
        posted = await env.bot.get_cog("Gaps").post_digest()
        assert posted is not None and posted.channel.id == redaktion.id
        assert "Song Contest" in posted.embeds[0].fields[0].value


def test_a_start_saved_before_days_were_checked_still_filters():
    """Scopes set before 2024-04-31 became an error live in the bot's database: the
    channel must go on answering, from the month's last day."""
    from absatz.scopes import Scope

    period = Scope(since="2024-04-31").period(dt.date(2026, 12, 2))
    assert period is not None and period.since == 20240430
    assert Scope(since="2024-04").period(dt.date(2026, 12, 2)).since == 20240400


def test_a_category_left_only_by_removed_articles_is_refused_for_a_scope(tmp_path, embedder, monkeypatch):
    """`/scope set categories:` lists and accepts what the corpus holds now: a category
    whose last article was removed would scope a channel to nothing. A large index keeps
    a removed article's row (dead) until its segments merge."""
    monkeypatch.setattr(readindex, "MERGE_FLOOR", 0)
    monkeypatch.setattr(readindex, "MERGE_SHARE", 100.0)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    news = [
        {
            "id": "wirt-1",
            "title": "Bäcker erhöhen Preise",
            "text": "Ein Brötchen kostet jetzt 65 Cent.",
            "category": "Wirtschaft",
        },
        {
            "id": "sport-1",
            "title": "Nordheide gewinnt",
            "text": "Der FC Nordheide gewann das Finale 3:1.",
            "category": "Sport",
        },
    ]
    (corpus / "news.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in news), encoding="utf-8"
    )
    core = Absatz(
        Settings.from_env({"CORPUS_DIR": str(corpus)}, store=settings_for(tmp_path / "chroma")), embedder=embedder
    )
    core.ingest(actor="test")
    assert core.make_scope("sport", None, None, None).categories == ("Sport",)
    core.remove("sport-1", actor="test")
    with pytest.raises(UnknownNames) as refused:
        core.make_scope("Sport", None, None, None)
    assert "Wirtschaft" in str(refused.value) and "Sport, " not in str(refused.value)
