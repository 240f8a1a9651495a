"""One vote per user per answer, and /stats shows a server only its own votes and admin
log — real discord.py through simcord, a real store."""

from __future__ import annotations

import sqlite3

import discord

from absatz.db.audit import AuditLog
from absatz.db.feedback import FeedbackStore, user_hash
from absatz.texts import t

from .simcord_helpers import reply_of
from .test_community import (  # the fixtures too
    STADIUM,
    community,
    community_searcher,
    community_settings,
    community_store,
)


def field(result, key: str) -> str | None:
    embed = reply_of(result).embeds[0]
    return next((f.value for f in embed.fields if f.name == t(key, "en")), None)  # simcord speaks en-US


def other_server(env):
    guild = env.create_guild()
    mods = guild.create_role("Mods", permissions=discord.Permissions(manage_guild=True))
    general = guild.create_text_channel("general")
    mod = guild.add_member(env.create_user("othermod"), roles=[mods])
    return guild, general, mod


async def test_a_user_has_one_vote_per_answer_and_the_latest_click_counts(community_settings, community_searcher):
    async with community(community_settings, community_searcher) as (env, guild, wirtschaft, allgemein, admin, reader):
        message = reply_of(await reader.slash(allgemein, "ask", question=STADIUM)).message
        for _ in range(3):
            assert (await reader.click(message, custom_id="absatz:vote:up")).ephemeral
        stats = await admin.slash(allgemein, "stats")
        assert field(stats, "stats_feedback") == t("stats_votes", "en", answers=1, up=1, down=0)
        down = await reader.click(message, custom_id="absatz:vote:down")
        await reader.submit_modal(down, {"comment": "Falsches Stadion"})  # the 👎 replaces the 👍
        await admin.click(message, custom_id="absatz:vote:up")  # another user's vote is theirs
        stats = await admin.slash(allgemein, "stats")
        assert field(stats, "stats_feedback") == t("stats_votes", "en", answers=1, up=1, down=1)
        assert "👍 1 / 👎 1" in field(stats, "stats_week")
        rows = env.bot.core.feedback.feedback_rows()
        assert [(r["vote"], r["comment"]) for r in rows] == [(-1, "Falsches Stadion"), (1, "")]
        again = await reader.click(message, custom_id="absatz:vote:up")  # and back again
        assert again.ephemeral
        stats = await admin.slash(allgemein, "stats")
        assert field(stats, "stats_feedback") == t("stats_votes", "en", answers=1, up=2, down=0)
        gaps = str(reply_of(await admin.slash(allgemein, "gaps", days=7)).embeds[0].to_dict())
        assert "Falsches Stadion" not in gaps  # the withdrawn 👎 is no gap any more


async def test_stats_shows_a_server_only_its_own_votes_and_admin_log(community_settings, community_searcher):
    async with community(community_settings, community_searcher) as (env, guild, wirtschaft, allgemein, admin, reader):
        await admin.slash(wirtschaft, "scope set", categories="wirtschaft")
        answered = await reader.slash(allgemein, "ask", question=STADIUM)
        await reader.click(reply_of(answered).message, custom_id="absatz:vote:up")
        env.bot.core.audit.record("cli-user", "ingest", "news.jsonl", "3 added")  # the shared corpus: no server
        other, general, mod = other_server(env)

        theirs = await mod.slash(general, "stats")
        assert field(theirs, "stats_feedback") == t("stats_votes", "en", answers=0, up=0, down=0)
        log = field(theirs, "stats_audit") or ""
        assert "ingest news.jsonl" in log  # the corpus is everyone's
        assert "scope set" not in log and "wirtschaft" not in log and "admin" not in log

        await mod.slash(general, "scope set", categories="kultur")
        ours = await admin.slash(allgemein, "stats")
        assert field(ours, "stats_feedback") == t("stats_votes", "en", answers=1, up=1, down=0)
        log = field(ours, "stats_audit") or ""
        assert "scope set #wirtschaft" in log and "ingest news.jsonl" in log
        assert "othermod" not in log and "#general" not in log
        # The command line is the operator's: it sees every server's entries.
        assert {e.action for e in env.bot.core.audit.recent(50)} >= {"scope set", "ingest"}
        assert len([e for e in env.bot.core.audit.recent(50) if e.action == "scope set"]) == 2


def test_an_older_database_keeps_only_each_user_s_latest_vote_and_hides_unplaced_server_entries(tmp_path):
    db = tmp_path / "bot.sqlite3"
    old = sqlite3.connect(db)
    old.executescript(
        """
        CREATE TABLE answers (message_id INTEGER PRIMARY KEY, question TEXT NOT NULL, answer TEXT NOT NULL,
            citations TEXT NOT NULL, abstained INTEGER NOT NULL, created REAL NOT NULL);
        CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id INTEGER NOT NULL,
            vote INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '', user_hash TEXT NOT NULL, created REAL NOT NULL);
        CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', result TEXT NOT NULL DEFAULT '');
        """
    )
    old.execute("INSERT INTO answers VALUES (1, 'q', 'a', '[]', 0, 1.0)")
    votes = [(1, user_hash(7)), (1, user_hash(7)), (-1, user_hash(7)), (1, user_hash(8)), (1, user_hash(8))]
    for n, (vote, who) in enumerate(votes):
        old.execute(
            "INSERT INTO feedback (message_id, vote, comment, user_hash, created) VALUES (1, ?, ?, ?, ?)",
            (vote, f"c{n}", who, float(n)),
        )
    for action, target, result in [
        ("ingest", "news.jsonl", "3 added"),
        ("scope set", "#wirtschaft", "Wirtschaft"),
        ("reingest", "", "refused: not an admin"),
    ]:
        old.execute(
            "INSERT INTO audit (at, actor, action, target, result) VALUES (1, 'x', ?, ?, ?)", (action, target, result)
        )
    old.commit()
    old.close()

    store = FeedbackStore(db)
    assert [(r["vote"], r["comment"]) for r in store.feedback_rows()] == [(-1, "c2"), (1, "c4")]
    store.record_vote(1, 8, -1, "doch nicht")
    assert store.votes(0) == {"answers": 1, "up": 0, "down": 2}
    store.close()
    audit = AuditLog(db)
    assert [e.action for e in audit.visible_in(42)] == ["ingest"]  # unknown servers' entries: for no server
    assert len(audit.recent()) == 3  # but still on the command line
    audit.record("mod", "scope set", "#general", "Kultur", guild_id=42)
    assert [e.action for e in audit.visible_in(42)] == ["scope set", "ingest"]
    assert [e.action for e in audit.visible_in(43)] == ["ingest"]
    audit.close()
    FeedbackStore(db).close()  # opening a migrated file again changes nothing
    AuditLog(db).close()
