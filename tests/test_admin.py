"""Admins keep the corpus current from Discord: permissions, progress, uploads, removal, audit."""

from __future__ import annotations

import itertools
import multiprocessing
import re
import shutil
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta

import discord
import pytest
from chromadb.errors import InternalError
from simcord import SetupError

from absatz.texts import t
from bot.embeds import citation_id_from_field, corpus_relative
from bot.settings import BotSettings
from ingest.lock import IngestLock, lock_path
from ingest.pipeline import ingest_paths
from ingest.settings import IngestSettings
from vectorstore.chroma import Chroma
from vectorstore.generations import Generations
from vectorstore.search import Searcher
from vectorstore.writer import Writer

from .conftest import CORPUS, settings_for
from .hostile import HOSTILE_MD, PHISH, embed_texts, link_targets
from .simcord_helpers import bot_with, dispatch_unsettled, reply_of
from .test_ingest import ACCOUNTS

# Every test here may run an ingest in a child process (seconds, more on a loaded
# machine): simcord waits this long for the bot to settle before it calls it stuck.
INGEST_SETTLE_S = 300
pytestmark = pytest.mark.simcord(settle_timeout=INGEST_SETTLE_S)

NEW_ARTICLE = """date 2025-08 ROSTOCK (absatz-Test, fiktiv) - In Rostock hat die erste schwimmende Solaranlage \
an der Ostsee den Betrieb aufgenommen. Sie liefert Strom für rund 900 Haushalte.

Die Anlage liegt im Stadthafen und besteht aus 4.000 Modulen. Gebaut wurde sie von den Stadtwerken./tst
"""


@pytest.fixture
def admin_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    return corpus


@pytest.fixture
def admin_store(tmp_path, embedder, admin_corpus):
    settings = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(settings), embedder, [admin_corpus])
    return settings


@pytest.fixture
def admin_settings(admin_store, admin_corpus, tmp_path) -> BotSettings:
    return BotSettings(
        store=admin_store,
        shard_count=1,
        ingest=IngestSettings(corpus_dir=admin_corpus, max_file_bytes=20_000),
        bot_db=tmp_path / "bot.sqlite3",
        cooldown_rate=100,
        cooldown_per_s=1,
    )


@pytest.fixture
def simcord_bot(admin_settings, embedder):
    return bot_with(admin_settings, Searcher.open(admin_settings.store, embedder))


@pytest.fixture
def server(simcord_env):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("redaktion")
    admins = guild.create_role("Redaktion", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(simcord_env.create_user("admin"), roles=[admins])
    reader = guild.add_member(simcord_env.create_user("reader"))
    return simcord_env, guild, channel, admin, reader


def audit(bot) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.result) for e in reversed(bot.core.audit.recent(50))]


async def test_reader_is_refused_even_when_the_server_opened_the_command_to_everyone(server, simcord_bot):
    env, guild, channel, admin, reader = server
    with pytest.raises(SetupError, match=r"'/reingest' is not visible to this user here .* default-member-permissions"):
        await reader.slash(channel, "reingest")  # hidden by default permissions, as in the client
    commands = {c.name: c for c in await simcord_bot.tree.fetch_commands()}
    for name in ("reingest", "upload", "remove"):
        guild.set_command_permissions(commands[name], {guild.default_role: True})
    result = await reader.slash(channel, "reingest")
    assert result.ephemeral and "admin" in result.response.content.lower()
    result = await reader.slash(channel, "upload", file=("x.txt", NEW_ARTICLE.encode()))
    assert result.ephemeral
    assert not (simcord_bot.settings.ingest.corpus_dir / "x.txt").exists()
    assert [a for _, a, r in audit(simcord_bot) if r.startswith("refused")] == ["reingest", "upload"]


async def test_admin_role_ids_grant_admin_rights(server, admin_settings, embedder):
    env, guild, channel, admin, reader = server
    editors = guild.create_role("Editors")
    editor = guild.add_member(env.create_user("editor"), roles=[editors])
    bot = bot_with(replace(admin_settings, admin_role_ids=(editors.id,)), Searcher.open(admin_settings.store, embedder))
    await env.restart_bot(bot)
    commands = {c.name: c for c in await bot.tree.fetch_commands()}
    guild.set_command_permissions(commands["reingest"], {editors: True})
    result = await editor.slash(channel, "reingest")
    assert "✅" in reply_of(result).content


def message_edits(env, message_id: int) -> list[tuple[datetime, str]]:
    """Every edit of one message, as simcord announced it on the gateway: (edited_timestamp
    on simcord's clock, content)."""
    return [
        (datetime.fromisoformat(p["edited_timestamp"]), p["content"])
        for kind, name, p in env.backend.transcript
        if kind == "GATEWAY" and name == "MESSAGE_UPDATE" and int(p["id"]) == message_id
    ]


async def test_reingest_shows_progress_and_summary_then_answers_the_new_article(server, simcord_bot):
    env, guild, channel, admin, reader = server
    (simcord_bot.settings.ingest.corpus_dir / "2025-08-solar-rostock.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    result = await admin.slash(channel, "reingest")
    *progress, (_, final) = message_edits(env, result.response.message.id)
    assert final.startswith("✅") and "1 added" in final and "8 unchanged" in final
    # Progress is shown before the summary: the child reports 8/9 (the unchanged ones)
    # and then 9/9; the first report is shown as it arrives.
    assert progress, "no progress edit before the summary"
    assert all(re.match(r"⏳ Ingest running: \d/9 articles · \d+ paragraphs embedded", text) for _, text in progress)
    assert progress[0][1].startswith("⏳ Ingest running: 8/9 articles")
    # … but the message is edited at most every PROGRESS_EVERY_S (3 s). On simcord's
    # clock both reports arrive at the same instant, so the second one is held back.
    shown_at = [at for at, _ in progress]
    assert all(later - earlier >= timedelta(seconds=3) for earlier, later in itertools.pairwise(shown_at)), shown_at
    answer = await reader.slash(channel, "ask", question="Wie viele Haushalte versorgt die Solaranlage in Rostock?")
    assert "900 Haushalte" in reply_of(answer).embeds[0].description
    assert ("admin", "reingest") in [(a, b) for a, b, _ in audit(simcord_bot)]


async def test_reingest_names_an_article_that_everything_resembles(server, simcord_bot):
    """A file that is not prose raises the abstention threshold for every question; the
    admin who ingested it is told which article it is."""
    env, guild, channel, admin, reader = server
    (simcord_bot.settings.ingest.corpus_dir / "konten.txt").write_text(ACCOUNTS, encoding="utf-8")
    result = await admin.slash(channel, "reingest")
    *_, (_, final) = message_edits(env, result.response.message.id)
    assert final.startswith("✅") and "1 added" in final and "⚠ the abstention threshold rose from " in final
    assert "konten is the nearest match to " in final


async def test_a_reingest_longer_than_the_interactions_fifteen_minutes_still_shows_its_summary(server, simcord_bot):
    """Discord refuses edits through an interaction's token after 15 minutes (401, code
    50027): the summary then replaces the progress message through the channel."""
    env, guild, channel, admin, reader = server
    (simcord_bot.settings.ingest.corpus_dir / "2025-08-solar-rostock.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    env.inject_error(
        "PATCH", "/webhooks/*/messages/@original", status=401, code=50027, message="Invalid Webhook Token", times=None
    )
    result = await admin.slash(channel, "reingest")
    *_, (_, final) = message_edits(env, result.response.message.id)
    assert final.startswith("✅") and "1 added" in final and "8 unchanged" in final


async def test_second_reingest_is_told_who_runs_and_questions_keep_being_answered(server, simcord_bot):
    env, guild, channel, admin, reader = server
    (simcord_bot.settings.ingest.corpus_dir / "2025-08-solar-rostock.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    first = await dispatch_unsettled(env, admin, channel, "reingest")
    question = await dispatch_unsettled(env, reader, channel, "ask", question="Was kostet ein Brötchen in München?")
    second = await dispatch_unsettled(env, admin, channel, "reingest")
    await env.settle(timeout=INGEST_SETTLE_S)
    assert second.ephemeral and admin.mention in second.response.content
    assert "65 Cent" in reply_of(question).embeds[0].description
    assert reply_of(first).content.startswith("✅")


async def test_upload_accepted_lists_citation_ids(server, simcord_bot):
    env, guild, channel, admin, reader = server
    result = await admin.slash(channel, "upload", file=("solar.txt", NEW_ARTICLE.encode()))
    text = reply_of(result).content
    assert "`solar#1`" in text and "`solar#2`" in text
    assert (simcord_bot.settings.ingest.corpus_dir / "solar.txt").read_text(encoding="utf-8") == NEW_ARTICLE
    answer = await reader.slash(channel, "ask", question="Wie viele Module hat die Solaranlage?")
    assert reply_of(answer).embeds[0].fields[0].value.endswith("`solar#2`")


async def test_an_uploaded_articles_masked_links_stay_text_in_answers_and_sources(server, simcord_bot):
    """An article's "[Konto bestätigen](https://evil.example/login)" had been a clickable
    phishing link in the answer, its quote, /source and the source button: escaped as
    "[…\\](…)", which Discord ignores inside a masked link."""
    env, guild, channel, admin, reader = server
    uploaded = await admin.slash(channel, "upload", file=("evil.md", HOSTILE_MD.encode()))
    assert "`evil#1`" in reply_of(uploaded).content
    asked = reply_of(await reader.slash(channel, "ask", question="Was kostet ein Brötchen in Hamburg?"))
    (answer,) = asked.embeds
    assert citation_id_from_field(answer, 1) == "evil#2" and "Konto bestätigen" in answer.fields[0].name
    clicked = reply_of(await reader.click(asked.message, label="Quelle 1"))
    source = reply_of(await reader.slash(channel, "source", id="evil#2"))
    shown = [*embed_texts(answer), *embed_texts(clicked.embeds[0]), *embed_texts(source.embeds[0])]
    assert [u for u in link_targets(*shown) if "evil.example" in u] == []
    assert "laut [Bäckerinnung]\\(https://evil.example/login) jetzt" in answer.description  # reads as written
    assert not [x for x in shown if "\u202e" in (x or "")]  # nor turns the line after it around
    assert not clicked.content  # the button found the quote it showed: no "the article changed" note
    assert "\u202e80 Cent" in (simcord_bot.settings.ingest.corpus_dir / "evil.md").read_text(encoding="utf-8")


async def test_a_title_is_offered_in_the_pickers_without_bidi_controls(server, simcord_bot):
    """An unclosed RIGHT-TO-LEFT OVERRIDE in a title turned its choice around in the picker
    of /remove, /article and /source; the label leaves it out, within Discord's 100
    characters, and the value is still the id the command looks up."""
    env, guild, channel, admin, reader = server
    title = "Brötchen \u202ein Hamburg teurer: die Bäckerinnung meldet neue Preise für Schrippen und Franzbrötchen"
    article = f'---\ntitle: "{title}"\ndate: 2025-06\n---\n\nDie Bäckerinnung in Hamburg meldete neue Zahlen.\n'
    uploaded = reply_of(await admin.slash(channel, "upload", file=("umgedreht.md", article.encode())))
    assert "`umgedreht#1`" in uploaded.content
    label = ("umgedreht — " + title.replace("\u202e", ""))[:100]
    for command, option, value in (
        ("remove", "article_id", "umgedreht"),
        ("article", "id", "umgedreht"),
        ("source", "id", "umgedreht#1"),
    ):
        assert await admin.autocomplete(channel, command, option, "umgedreht") == [{"name": label, "value": value}]


async def test_an_upload_replacing_a_file_keeps_its_old_bytes_in_the_trash(server, simcord_bot):
    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    old = (corpus / "2025-06-baeckerei-preise.txt").read_bytes()
    edited = old.decode().replace("65 Cent", "70 Cent").encode()
    result = await admin.slash(channel, "upload", file=("2025-06-baeckerei-preise.txt", edited))
    assert reply_of(result).content.startswith("✅")
    assert (corpus / "2025-06-baeckerei-preise.txt").read_bytes() == edited
    (kept,) = (corpus / ".trash").glob("*-2025-06-baeckerei-preise.txt")
    assert kept.read_bytes() == old


def corpus_files(corpus) -> dict[str, bytes]:
    return {str(p.relative_to(corpus)): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()}


async def test_upload_while_another_process_ingests_names_it_and_changes_nothing(server, simcord_bot):
    """An `absatz ingest` in another process holds the store's file lock (held here by
    the test, as that process would): the upload is refused with who holds it, and
    neither a new file nor a replaced one stays in CORPUS_DIR."""
    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    before = corpus_files(corpus)
    version = Generations(simcord_bot.core.searcher.chroma).read().corpus_version
    edited = before["2025-06-baeckerei-preise.txt"].decode().replace("65 Cent", "70 Cent").encode()
    holder = "redakteurin (absatz ingest, pid 4242, 05:30:00)"
    with IngestLock(lock_path(simcord_bot.settings.store), holder):
        new = await admin.slash(channel, "upload", file=("solar.txt", NEW_ARTICLE.encode()))
        replaced = await admin.slash(channel, "upload", file=("2025-06-baeckerei-preise.txt", edited))
    for result in (new, replaced):
        text = reply_of(result).content
        assert text.startswith("⛔") and holder in text, text
    assert corpus_files(corpus) == before
    assert Generations(simcord_bot.core.searcher.chroma).read().corpus_version == version
    refusals = [(a, r) for _, a, r in audit(simcord_bot) if a == "upload"]
    assert len(refusals) == 2 and all(r.startswith("refused") and holder in r for _, r in refusals)
    # Once the other ingest has finished, the same upload goes through.
    result = await admin.slash(channel, "upload", file=("solar.txt", NEW_ARTICLE.encode()))
    assert "`solar#1`" in reply_of(result).content


def kill_the_ingest_child_when_it_starts(deadline_s: float) -> threading.Thread:
    """SIGKILL the bot's ingest child as soon as it exists: a crash before it commits."""

    def watch() -> None:
        end = time.perf_counter() + deadline_s
        while time.perf_counter() < end:
            for child in multiprocessing.active_children():
                if child.name == "absatz-ingest":
                    child.kill()
                    return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


async def test_upload_whose_ingest_dies_puts_the_corpus_folder_back(server, simcord_bot):
    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    before = corpus_files(corpus)
    edited = before["2025-06-baeckerei-preise.txt"].decode().replace("65 Cent", "70 Cent").encode()
    for name, data in (("solar.txt", NEW_ARTICLE.encode()), ("2025-06-baeckerei-preise.txt", edited)):
        watcher = kill_the_ingest_child_when_it_starts(INGEST_SETTLE_S)
        result = await admin.slash(channel, "upload", file=(name, data))
        watcher.join()
        text = reply_of(result).content
        assert text.startswith("⛔") and "ended unexpectedly" in text and name in text, text
        assert corpus_files(corpus) == before  # the new file is gone, the replaced one has its old bytes
    answer = await reader.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert "65 Cent" in reply_of(answer).embeds[0].description
    assert [r.split(":")[0] for _, a, r in audit(simcord_bot) if a == "upload"] == ["failed", "failed"]


async def test_an_upload_whose_id_a_file_in_a_subfolder_holds_names_that_file(server, simcord_bot):
    """ "already exists (from solar.txt)" had read as a clash with the very file uploaded."""
    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    (corpus / "archiv").mkdir()
    (corpus / "archiv" / "solar.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    await admin.slash(channel, "reingest")
    shown = reply_of(await admin.slash(channel, "upload", file=("solar.txt", NEW_ARTICLE.encode()))).content
    assert "article id 'solar' already exists (from archiv/solar.txt); rename the file" in shown, shown


@pytest.mark.parametrize(
    "name, data, reason",
    [
        ("bild.png", b"\x89PNG....", "not a .txt"),
        # in MB it read "gross.txt is 0.1 MB, over the 0.0 MB limit"
        ("gross.txt", b"Wort " * 10_000, "gross.txt is 50000 bytes, over the limit of 20000 bytes"),
        ("latin.txt", "Über Köln.".encode("latin-1"), "UTF-8"),
        ("..evil.txt", NEW_ARTICLE.encode(), "may only use"),
        ("leer.txt", b"   \n\n", "empty"),
        ("kaputt.jsonl", b'{"id": "a", "text": "ok"}\n{kaputt\n', "line 2"),
        ("2024-03-hafen-terminal.md", b"# Neu\n\nText.", None),
    ],
)
async def test_bad_uploads_are_rejected_and_change_nothing(server, simcord_bot, name, data, reason):
    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    before = sorted(p.name for p in corpus.rglob("*"))
    version = Generations(simcord_bot.core.searcher.chroma).read().corpus_version
    result = await admin.slash(channel, "upload", file=(name, data))
    text = reply_of(result).content
    assert text.startswith("⛔") and (reason or "already exists") in text
    assert sorted(p.name for p in corpus.rglob("*")) == before
    assert Generations(simcord_bot.core.searcher.chroma).read().corpus_version == version


async def test_path_tricks_in_attachment_names_never_escape_the_corpus(server, simcord_bot, tmp_path):
    env, guild, channel, admin, reader = server
    for name in ("../../outside.txt", "/etc/absatz.txt", "sub/../../x.txt"):
        result = await admin.slash(channel, "upload", file=(name, NEW_ARTICLE.encode()))
        assert reply_of(result).content.startswith("⛔")
    assert not (tmp_path / "outside.txt").exists() and not list(tmp_path.glob("**/absatz.txt"))


async def test_remove_needs_confirmation_and_moves_the_file_to_the_trash(server, simcord_bot):
    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    shown = await admin.slash(channel, "remove", article_id="2025-06-baeckerei-preise")
    assert shown.ephemeral and "2025-06-baeckerei-preise" in shown.response.content
    cancelled = await admin.click(shown.response.message, label="Cancel")
    assert (corpus / "2025-06-baeckerei-preise.txt").exists()

    # a citation id, as answers show them, names its article, as in /article
    shown = await admin.slash(channel, "remove", article_id=" 2025-06-baeckerei-preise#1 ")
    before = len(env.http_requests)
    await admin.click(shown.response.message, label="Remove")
    # The click's own answer takes the buttons away before the removal runs: another
    # click meanwhile would be told the confirmation no longer holds.
    (callback,) = [r for r in env.http_requests[before:] if r.path.endswith("/callback")]
    assert callback.json["type"] == 7 and callback.json["data"]["components"] == []
    assert not (corpus / "2025-06-baeckerei-preise.txt").exists()
    assert list((corpus / ".trash").glob("*2025-06-baeckerei-preise.txt"))
    # Its passages and sentences are gone from Chroma too: every record held is a live one.
    searcher = simcord_bot.core.searcher
    assert Writer.live(searcher.chroma).unit_counts() == searcher.view().index.unit_counts()
    answer = await reader.slash(channel, "ask", question="Was kostet ein Brötchen in München?")
    assert all("baeckerei" not in f.value for f in reply_of(answer).embeds[0].fields)
    # A later re-ingest does not bring it back from the trash.
    await admin.slash(channel, "reingest")
    assert "2025-06-baeckerei-preise" not in Writer.live(simcord_bot.core.searcher.chroma).committed_articles()
    actions = [(a, r.split(";")[0]) for _, a, r in audit(simcord_bot) if a == "remove"]
    assert actions == [("remove", "cancelled"), ("remove", "removed")]
    del cancelled


async def test_a_second_confirmation_of_a_removed_article_says_the_article_is_gone(server, simcord_bot):
    """It had said "No source 2025-06-baeckerei-preise in the corpus", a citation's words."""
    env, guild, channel, admin, reader = server
    asked = [await admin.slash(channel, "remove", article_id="2025-06-baeckerei-preise") for _ in range(2)]
    for confirmation in asked:
        await admin.click(confirmation.response.message, label="Remove")
    assert asked[1].response.content == t("unknown_article", "en", id="`2025-06-baeckerei-preise`")


async def test_remove_asks_about_a_hostile_title_as_text(server, simcord_bot):
    """The confirmation put the title in as it was: a masked phishing link, a spoiler,
    and a backtick that ended the id's code span early."""
    env, guild, channel, admin, reader = server
    await admin.slash(channel, "upload", file=("evil.md", HOSTILE_MD.encode()))
    shown = (await admin.slash(channel, "remove", article_id="evil")).response.content
    assert shown.startswith("Really remove article `evil` ([Konto bestätigen]\\(https://evil.example/login) ")
    assert not link_targets(shown) and "||x||" not in shown and "\\|\\|x\\|\\| \\` Ende" in shown
    assert re.findall(r"(?<!\\)`", shown) == ["`", "`"]  # only the id's code span


async def test_ingest_summaries_show_what_a_file_holds_as_text(server, simcord_bot):
    """A JSONL line's id comes back in its validation error, and the /reingest and /upload
    summaries had shown it as Markdown: "[Jetzt bestätigen](https://evil.example/login)"
    was a clickable link in the admins' channel."""
    env, guild, channel, admin, reader = server
    phish = PHISH.replace("Konto", "Jetzt")
    line = f'{{"id": "{phish}", "title": "x", "text": "Ein Satz. Noch einer."}}\n'.encode()
    (simcord_bot.settings.ingest.corpus_dir / "kaputt.jsonl").write_bytes(line)
    result = await admin.slash(channel, "reingest")
    *_, (_, summary) = message_edits(env, result.response.message.id)
    assert "1 failed" in summary and "\n• kaputt.jsonl:1: article id '[Jetzt bestätigen]\\(https://" in summary
    rejected = reply_of(await admin.slash(channel, "upload", file=("neu.jsonl", line))).content
    assert rejected.startswith("⛔") and "[Jetzt bestätigen]\\(https://" in rejected
    assert link_targets(summary, rejected) == []


async def test_admin_commands_refused_before_any_work_are_in_the_audit_log(server, simcord_bot):
    """The README's promise, "every admin action, refusals included, lands in the audit
    log", had missed a /reingest or /upload refused while an ingest ran, an /upload of
    neither a file nor a URL, and a /scope set refused or rejected."""
    env, guild, channel, admin, reader = server
    (simcord_bot.settings.ingest.corpus_dir / "solar.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    await dispatch_unsettled(env, admin, channel, "reingest")
    busy = [await dispatch_unsettled(env, admin, channel, name) for name in ("reingest", "upload")]
    await env.settle(timeout=INGEST_SETTLE_S)
    assert all("already running" in told.response.content for told in busy[:1])
    await admin.slash(channel, "scope set", categories="Gibt-es-nicht")
    hidden = guild.create_text_channel(
        "intern", overwrites={env.bot.user: discord.PermissionOverwrite(view_channel=False)}
    )
    await admin.slash(channel, "scope set", channel=hidden, categories="Wirtschaft")
    results = [(action, result.split(":")[0].split(",")[0]) for _, action, result in audit(simcord_bot)]
    assert sorted(results) == [
        ("reingest", "1 added"),  # the one that ran, logged when it ended
        ("reingest", "refused"),
        ("scope set", "refused"),
        ("scope set", "rejected"),
        ("upload", "rejected"),  # neither file nor url, told before the running ingest
    ], results


async def test_stats_shows_the_audit_log_to_admins_only(server, simcord_bot):
    env, guild, channel, admin, reader = server
    await admin.slash(channel, "reingest")
    for n in range(60):  # members' follows, however many, push no admin action out
        simcord_bot.core.audit.record("someone", "follow", "Scheidung Meier Nachbar", f"saved as #{n}")
    result = await admin.slash(channel, "stats")
    text = str(reply_of(result).embeds[0].to_dict())
    assert "Admin log" in text and "reingest" in text  # simcord's clients speak en-US
    assert "Scheidung Meier" not in text  # a member's follows are not the admins' log
    plain = str(reply_of(await reader.slash(channel, "stats")).embeds[0].to_dict())
    assert "Admin log" not in plain and "reingest" not in plain and "Scheidung Meier" not in plain


async def test_an_unanswered_remove_confirmation_expires_and_loses_its_buttons(server, simcord_bot):
    env, guild, channel, admin, reader = server
    shown = await admin.slash(channel, "remove", article_id="2025-06-baeckerei-preise")
    assert shown.response.message.components
    await env.advance_time(121)  # the buttons answer for 120 s
    assert shown.response.content == t("remove_expired", "en", id="2025-06-baeckerei-preise")
    assert not shown.response.message.components
    assert (simcord_bot.settings.ingest.corpus_dir / "2025-06-baeckerei-preise.txt").exists()


async def test_a_remove_confirmation_from_before_a_restart_says_it_lapsed(
    server, simcord_bot, admin_settings, embedder
):
    """A click on a confirmation the last process asked had failed without a word
    ("This interaction failed"): no view of this process knew its buttons. It removes
    nothing and says to ask again."""
    env, guild, channel, admin, reader = server
    shown = await admin.slash(channel, "remove", article_id="2025-06-baeckerei-preise")
    await env.restart_bot(bot_with(admin_settings, Searcher.open(admin_settings.store, embedder)))
    clicked = await admin.click(shown.response.message, label="Remove")
    assert shown.response.content == t("remove_lapsed", "en")
    assert not shown.response.message.components and clicked.response is not None
    assert (simcord_bot.settings.ingest.corpus_dir / "2025-06-baeckerei-preise.txt").exists()
    assert "2025-06-baeckerei-preise" in Writer.live(env.bot.core.searcher.chroma).committed_articles()


async def test_discord_shows_paths_in_the_corpus_folder_not_where_the_server_keeps_it(server, simcord_bot):
    """The CLI prints whole paths; a channel sees ``CORPUS_DIR``-relative ones."""
    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    (corpus / "neu").mkdir()
    (corpus / "neu" / "kaputt.jsonl").write_text('{"id": "x", "text": "ok"}\n{kaputt\n', encoding="utf-8")
    shown = [reply_of(await admin.slash(channel, "reingest")).content]
    assert "\n• neu/kaputt.jsonl:2: malformed JSON" in shown[0]
    removal = await admin.slash(channel, "remove", article_id="2025-06-baeckerei-preise")
    await admin.click(removal.response.message, label="Remove")
    shown.append(removal.response.content)
    log = reply_of(await admin.slash(channel, "stats")).embeds[0].fields
    shown.append(next(f.value for f in log if f.name == "Admin log").replace("\\", ""))  # as Discord shows it
    assert "file moved to .trash/" in shown[-1] and "reingest CORPUS_DIR →" in shown[-1]
    assert all(str(corpus.parent) not in text and str(corpus.resolve().parent) not in text for text in shown)


def test_only_the_corpus_folder_itself_is_shortened(tmp_path):
    corpus = tmp_path / "corpus"
    text = f"reingest {corpus} → 1 failed; {corpus}/neu/a.txt:2: bad; {tmp_path}/corpus2/b.txt"
    assert (
        corpus_relative(text, corpus) == f"reingest CORPUS_DIR → 1 failed; neu/a.txt:2: bad; {tmp_path}/corpus2/b.txt"
    )


JSONL_ARTICLES = [
    {
        "id": "faehre-warnemuende",
        "title": "Neue Fähre in Warnemünde",
        "text": "In Warnemünde verkehrt seit Montag eine neue Elektrofähre. "
        "Sie bringt bis zu 300 Fahrgäste über die Warnow.",
    },
    {
        "id": "leuchtturm-saniert",
        "title": "Leuchtturm saniert",
        "text": "Der Leuchtturm von Warnemünde ist nach zwei Jahren Sanierung wieder geöffnet. "
        "Die Arbeiten kosteten 1,8 Millionen Euro.",
    },
]


async def test_a_store_error_during_remove_is_audited_with_its_message(server, simcord_bot, monkeypatch):
    """The admin log is where an operator learns why a change failed: "failed: InternalError"
    alone sends them to the server logs."""
    env, guild, channel, admin, reader = server

    def disk_error(self, article_id):
        raise InternalError("Database error: disk I/O error")

    monkeypatch.setattr(Writer, "delete_article", disk_error)
    # a citation id, as answers show them, names its article, as in /article
    shown = await admin.slash(channel, "remove", article_id=" 2025-06-baeckerei-preise#1 ")
    await admin.click(shown.response.message, label="Remove")
    assert shown.response.content in (t("error", "de"), t("error", "en"))  # not left waiting on the buttons
    assert [r for _, a, r in audit(simcord_bot) if a == "remove"] == [
        "failed: InternalError: Database error: disk I/O error"
    ]
    assert (simcord_bot.settings.ingest.corpus_dir / "2025-06-baeckerei-preise.txt").exists()
    assert [type(e) for e in env.errors] == [InternalError]  # logged by the view, as discord.py does


async def test_remove_of_one_article_from_a_jsonl_file_keeps_the_others(server, simcord_bot):
    import json

    env, guild, channel, admin, reader = server
    corpus = simcord_bot.settings.ingest.corpus_dir
    data = "\n".join(json.dumps(a, ensure_ascii=False) for a in JSONL_ARTICLES) + "\n"
    uploaded = await admin.slash(channel, "upload", file=("warnemuende.jsonl", data.encode()))
    assert "`faehre-warnemuende#1`" in reply_of(uploaded).content
    shown = await admin.slash(channel, "remove", article_id="faehre-warnemuende")
    await admin.click(shown.response.message, label="Remove")
    kept = [json.loads(line)["id"] for line in (corpus / "warnemuende.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept == ["leuchtturm-saniert"]
    (trashed,) = (corpus / ".trash").glob("*faehre-warnemuende.jsonl")
    assert json.loads(trashed.read_text(encoding="utf-8"))["id"] == "faehre-warnemuende"
    committed = Writer.live(Chroma(simcord_bot.settings.store)).committed_articles()
    assert "faehre-warnemuende" not in committed and "leuchtturm-saniert" in committed
    answer = await reader.slash(channel, "ask", question="Was kostete die Sanierung des Leuchtturms in Warnemünde?")
    assert "1,8 Millionen Euro" in reply_of(answer).embeds[0].description
    await admin.slash(channel, "reingest")  # the file's remaining article stays, the removed one stays gone
    committed = Writer.live(Chroma(simcord_bot.settings.store)).committed_articles()
    assert "faehre-warnemuende" not in committed and "leuchtturm-saniert" in committed
