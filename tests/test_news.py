"""News-aware answers on a developing story: date filters, "latest" questions, both dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer import answer
from ingest.pipeline import ingest_paths
from vectorstore.dates import DateRange, asks_for_latest
from vectorstore.search import Searcher
from vectorstore.store import Store

from .conftest import CORPUS, json_lines, run_cli, settings_for

STORY = Path(__file__).parent / "data" / "story"
FEB, MAY, SEP = "2024-02-lindenbruecke-gesperrt", "2024-05-lindenbruecke-verlaengert", "2024-09-lindenbruecke-frei"


@pytest.fixture(scope="module")
def story_store(tmp_path_factory, embedder):
    settings = settings_for(tmp_path_factory.mktemp("story") / "chroma")
    ingest_paths(Store(settings), embedder, [STORY, CORPUS])
    return settings


@pytest.fixture(scope="module")
def story(story_store, embedder):
    return Searcher.open(story_store, embedder)


def test_every_passage_carries_its_date(story):
    hit = story.search("Lindenbrücke Risse", k=1).hits[0]
    assert hit.meta["date"] == "2024-02" and hit.meta["date_num"] == 20240200


def test_filters_run_inside_the_store(story):
    hits = story.search("Lindenbrücke Magdeburg", k=5, dates=DateRange.parse("2024-04", "2024-06")).hits
    assert hits and all(h.meta["date"] == "2024-05" for h in hits)
    assert hits[0].article_id == MAY
    # A narrow filter still returns that period's best match, even for a question
    # whose best match overall lies elsewhere.
    a = answer(story, "Wie viel kostet die Reparatur der Lindenbrücke?", dates=DateRange.parse(None, "2024-03"))
    assert a.citations[0].article_id == FEB and "2 Millionen Euro" in a.answer


def test_cli_date_options_and_their_errors(story_store, capsys):
    path = ["--chroma-path", str(story_store.chroma_path)]
    code, out, _ = run_cli(capsys, "search", "Lindenbrücke", "--since", "2024-08", "--json", *path)
    assert code == 0 and {h["date"] for h in json_lines(out)[0]["hits"]} <= {"2024-09", "2025-01", "2025-03", "2025-06"}
    code, _, err = run_cli(capsys, "ask", "Lindenbrücke?", "--since", "gestern", *path)
    assert code == 2 and "--since" in err


def test_latest_questions_rank_newer_reports_first(story):
    assert asks_for_latest("Was ist zuletzt über die Lindenbrücke berichtet worden?")
    assert asks_for_latest("What is the latest on the bridge?")
    a = answer(story, "Was ist zuletzt über die Lindenbrücke in Magdeburg berichtet worden?")
    assert a.citations[0].article_id == SEP
    hits = story.search("Was gibt es Neuestes zur Lindenbrücke in Magdeburg?", k=5).hits
    story_dates = [h.meta["date"] for h in hits if h.article_id.startswith("2024-") and "linden" in h.article_id]
    assert story_dates[0] == "2024-09"


def test_ordinary_questions_are_not_reordered_by_date(story):
    assert not asks_for_latest("Wann wurde die Lindenbrücke wegen Rissen gesperrt?")
    hits = story.search("Wann wurde die Lindenbrücke wegen Rissen gesperrt?", k=5).hits
    assert hits[0].article_id == FEB
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_disagreeing_reports_are_shown_with_both_dates(story):
    a = answer(story, "Wie viel kostet die Reparatur der Lindenbrücke?")
    assert len(a.citations) == 2 and a.citations[0].date > a.citations[1].date
    assert a.answer.startswith(f"Stand {a.citations[0].date}:") and f"Stand {a.citations[1].date}:" in a.answer
    assert "4,1 Millionen Euro" in a.answer
    en = answer(story, "How much does the repair of the Lindenbrücke cost?")
    assert en.answer.startswith("As of ")


def test_related_articles_follow_the_story_newest_first(story_store):
    store = Store(story_store)
    related = store.related(FEB)
    assert [r.article_id for r in related[:2]] == [SEP, MAY]
    assert all("linden" in r.article_id for r in related)


def test_source_json_shows_date_dateline_agency(story_store, capsys):
    code, out, _ = run_cli(capsys, "source", f"{MAY}#2", "--json", "--chroma-path", str(story_store.chroma_path))
    meta = json.loads(out)["meta"]
    assert (meta["date"], meta["dateline"], meta["agency"]) == ("2024-05", "MAGDEBURG", "absatz-Test, fiktiv")


@pytest.fixture
def simcord_bot(story_store, story, tmp_path):
    from bot import create_bot
    from bot.settings import BotSettings

    return create_bot(BotSettings(store=story_store, shard_count=1, bot_db=tmp_path / "bot.sqlite3"), story)


async def test_discord_article_follows_the_story_and_ask_takes_dates(simcord_env):
    from .simcord_helpers import reply_of

    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("news")
    alice = guild.add_member(simcord_env.create_user("alice"))
    result = await alice.slash(channel, "article", id=FEB)
    text = str(result.response.embeds[0].to_dict())
    assert SEP in text and MAY in text and text.index(SEP) < text.index(MAY)
    result = await alice.slash(channel, "ask", question="Wie viel kostet die Reparatur der Lindenbrücke?", until="2024-03")
    embed = reply_of(result).embeds[0]
    assert "2 Millionen Euro" in embed.description and "2024-02" in embed.fields[0].name
    bad = await alice.slash(channel, "ask", question="Lindenbrücke?", since="gestern")
    assert bad.ephemeral and "--since" in bad.response.content
