"""News-aware answers on a developing story: date filters, "latest" questions, both dates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from absatz.answer import answer
from ingest.pipeline import ingest_paths
from vectorstore.chroma import Chroma
from vectorstore.dates import RECENCY_WINDOW, DateRange, asks_for_latest, recency_order
from vectorstore.filters import Filter, month_days
from vectorstore.readindex import Reader
from vectorstore.records import ArticleMeta, Hit, date_number
from vectorstore.related import related
from vectorstore.search import Searcher

from .conftest import CORPUS, json_lines, run_cli, settings_for, write_jsonl
from .hostile import PHISH, link_targets

STORY = Path(__file__).parent / "data" / "story"
FEB, MAY, SEP = "2024-02-lindenbruecke-gesperrt", "2024-05-lindenbruecke-verlaengert", "2024-09-lindenbruecke-frei"
# Two reports dated to the day, either side of 2024-05-15 (the story above is dated by month).
FEST_10, FEST_20 = "2024-05-10-stadtfest-halle", "2024-05-20-stadtfest-halle-bilanz"
DAY_DATED = [
    {
        "id": FEST_10,
        "date": "2024-05-10",
        "title": "Stadtfest in Halle eröffnet",
        "source": "absatz-Test, fiktiv",
        "text": "Das Stadtfest in Halle hat am Freitag mit einem Umzug durch die Altstadt begonnen. Rund 20.000 "
        "Menschen kamen am ersten Abend.\n\nDie Bühne am Marktplatz zeigt bis Sonntag Konzerte.",
    },
    {
        "id": FEST_20,
        "date": "2024-05-20",
        "title": "Stadtfest in Halle zieht Bilanz",
        "source": "absatz-Test, fiktiv",
        "text": "Das Stadtfest in Halle zählte nach Angaben der Veranstalter 85.000 Besucher. Die Polizei meldete "
        "keine größeren Zwischenfälle.\n\nIm nächsten Jahr soll das Stadtfest vier Tage dauern.",
    },
]


@pytest.fixture(scope="module")
def story_store(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("story")
    days = write_jsonl(root / "days" / "stadtfest.jsonl", DAY_DATED).parent
    settings = settings_for(root / "chroma")
    report = ingest_paths(Chroma(settings), embedder, [STORY, CORPUS, days])
    assert not report.failed and FEST_20 in report.added
    return settings


@pytest.fixture(scope="module")
def story(story_store, embedder):
    return Searcher.open(story_store, embedder)


def test_every_passage_carries_its_date(story):
    hit = story.search("Lindenbrücke Risse", k=1).hits[0]
    assert hit.meta.date == "2024-02" and hit.meta.date_num == 20240200


def test_filters_run_inside_the_store(story):
    hits = story.search("Lindenbrücke Magdeburg", k=5, where=Filter(dates=DateRange.parse("2024-04", "2024-06"))).hits
    assert hits and all(h.meta.date.startswith("2024-05") for h in hits)
    assert hits[0].article_id == MAY


def test_date_filter_applies_before_ranking_not_after(story):
    """The period's articles rank far below others on this question: a filter applied to
    the ranked hits afterwards would return nothing; filtering first returns k hits."""
    question = "Wie lange ist die Lindenbrücke in Magdeburg wegen der Reparatur gesperrt?"
    period = DateRange.parse("2025-01", "2025-12")
    in_period = lambda h: period.since <= h.meta.date_num <= period.until  # noqa: E731
    unfiltered = story.search(question, k=10).hits
    assert len(unfiltered) == 10 and not any(in_period(h) for h in unfiltered), (
        "the case must rank every paragraph of the period below the first 10 hits"
    )
    filtered = story.search(question, k=3, where=Filter(dates=period)).hits
    assert len(filtered) == 3 and all(in_period(h) for h in filtered)
    # A narrow filter still returns that period's best match, even for a question
    # whose best match overall lies elsewhere.
    a = answer(
        story, "Wie viel kostet die Reparatur der Lindenbrücke?", where=Filter(dates=DateRange.parse(None, "2024-03"))
    )
    assert a.citations[0].article_id == FEB and "2 Millionen Euro" in a.answer


def test_cli_date_options_and_their_errors(story_store, capsys):
    path = ["--chroma-path", str(story_store.chroma_path)]
    code, out, _ = run_cli(capsys, "search", "Lindenbrücke", "--since", "2024-08", "--json", *path)
    hits = json_lines(out)[0]["hits"]
    assert code == 0 and hits and hits[0]["article_id"] == SEP
    assert {h["date"] for h in hits} <= {"2024-09", "2025-01", "2025-03", "2025-06"}
    code, _, err = run_cli(capsys, "ask", "Lindenbrücke?", "--since", "gestern", *path)
    assert code == 2 and "--since" in err
    code, _, err = run_cli(capsys, "search", "Lindenbrücke", "--until", "2024-02-30", *path)
    assert code == 2 and "--until" in err and "2024-02-30" in err


def search_ids(capsys, store, query: str, *options: str) -> list[str]:
    code, out, err = run_cli(
        capsys, "search", query, "--json", "-k", "10", *options, "--chroma-path", str(store.chroma_path)
    )
    assert code == 0, err
    return [h["article_id"] for h in json_lines(out)[0]["hits"]]


def test_cli_day_dates_filter_to_the_day(story_store, capsys):
    query = "Stadtfest in Halle"
    since = search_ids(capsys, story_store, query, "--since", "2024-05-15")
    assert since[0] == FEST_20 and FEST_10 not in since
    assert all(i[:7] >= "2024-06" or i.startswith("2024-05-20") for i in since if i[:4].isdigit())
    until = search_ids(capsys, story_store, query, "--until", "2024-05-15")
    assert until[0] == FEST_10 and FEST_20 not in until
    day = search_ids(capsys, story_store, query, "--since", "2024-05-20", "--until", "2024-05-20")
    assert set(day) == {FEST_20}
    month = search_ids(capsys, story_store, query, "--since", "2024-05", "--until", "2024-05")
    assert {FEST_10, FEST_20} <= set(month)  # a month bound covers every day of it


def test_an_article_dated_by_month_is_in_a_period_that_holds_the_whole_month(story_store, capsys):
    """``2024-05`` is some day in May: kept when the period holds all of May, from either
    bound, and left out when it holds only part (it was in with --until 05-15 and out
    with --since 05-01 before)."""
    query = "Lindenbrücke Sperrung verlängert"
    assert MAY in search_ids(capsys, story_store, query, "--since", "2024-05-01")
    assert MAY in search_ids(capsys, story_store, query, "--until", "2024-05-31")
    assert MAY not in search_ids(capsys, story_store, query, "--until", "2024-05-15")
    assert MAY not in search_ids(capsys, story_store, query, "--since", "2024-05-15")
    code, _, err = run_cli(
        capsys, "search", query, "--since", "2024-05-32", "--chroma-path", str(story_store.chroma_path)
    )
    assert code == 2 and "--since" in err and "2024-05-32" in err


def test_a_period_to_the_last_day_of_a_shorter_month_holds_that_month(built_store, capsys):
    """``--until 2025-06-30`` holds all of June: an article dated ``2025-06`` was left out,
    as if June had a 31st day."""
    question = ["Was kostet ein Brötchen in München?", "--json", "--chroma-path", str(built_store.chroma_path)]
    for bound in ("2025-06-30", "2025-06"):
        code, out, _ = run_cli(capsys, "ask", *question, "--until", bound)
        assert code == 0 and json_lines(out)[0]["citations"][0]["article_id"] == "2025-06-baeckerei-preise", bound
    code, out, _ = run_cli(capsys, "ask", *question, "--until", "2025-06-29")
    assert json_lines(out)[0]["abstained"]
    assert month_days(np.array([20240200, 20230200, 20000200, 21000200])).tolist() == [29, 28, 29, 28]


def test_latest_questions_rank_newer_reports_first(story):
    assert asks_for_latest("Was ist zuletzt über die Lindenbrücke berichtet worden?")
    assert asks_for_latest("What is the latest on the bridge?")
    a = answer(story, "Was ist zuletzt über die Lindenbrücke in Magdeburg berichtet worden?")
    assert a.citations[0].article_id == SEP
    hits = story.search("Was gibt es Neuestes zur Lindenbrücke in Magdeburg?", k=5).hits
    story_dates = [h.meta.date for h in hits if h.article_id.startswith("2024-") and "linden" in h.article_id]
    assert story_dates[0] == "2024-09"


@pytest.mark.parametrize(
    "question",
    ["Ist die Lindenbrücke derzeit gesperrt?", "Ist die Lindenbrücke in Magdeburg aktuell gesperrt?"],
)
def test_a_question_about_the_current_state_cites_the_newest_report(story, question):
    """The May report echoes "gesperrt" and ranked far ahead of September's "wieder
    freigegeben" (fused 0.91 against 0.64), so the bot said the bridge stays closed."""
    a = answer(story, question)
    assert a.citations[0].article_id == SEP and "freigegeben" in a.answer


def test_a_newer_report_comes_in_its_own_order_lead_first():
    """Far below the window the fused score no longer tells a report's paragraphs apart:
    beside more articles, September's cost paragraph (0.640) had beaten its lead (0.637),
    and "Ist die Lindenbrücke derzeit gesperrt?" was answered with what the repair cost."""

    def hit(article: str, n: int, date: str, score: float, dense: float, lexical: float = 1.0) -> Hit:
        meta = ArticleMeta(title=article, date=date)
        return Hit(f"{article}#{n}", article, n, score, dense, lexical, meta)

    hits = [
        hit(FEB, 1, "2024-02", 1.0, 0.906),
        hit(MAY, 2, "2024-05", 0.914, 0.903),
        hit(FEB, 2, "2024-02", 0.89, 0.902),
        hit(SEP, 2, "2024-09", 0.640, 0.878),
        hit(SEP, 1, "2024-09", 0.637, 0.870),
        hit("bahn", 1, "2024-10", 0.6, 0.80),  # newer, but another story
        hit("radweg", 1, "2024-11", 0.5, 0.89, lexical=0.0),  # close, but shares no word
    ]
    ordered = [h.para_id for h in recency_order(hits, "Ist die Lindenbrücke derzeit gesperrt?")]
    assert ordered == [f"{SEP}#1", f"{SEP}#2", f"{MAY}#2", f"{FEB}#1", f"{FEB}#2", "bahn#1", "radweg#1"]
    assert recency_order(hits, "Ist die Lindenbrücke gesperrt?") == hits


def test_ordinary_questions_are_not_reordered_by_date(story):
    assert not asks_for_latest("Wann wurde die Lindenbrücke wegen Rissen gesperrt?")
    hits = story.search("Wann wurde die Lindenbrücke wegen Rissen gesperrt?", k=5).hits
    assert hits[0].article_id == FEB
    plain = story.search("Was wurde über die Lindenbrücke in Magdeburg berichtet?", k=5).hits
    # A newer report is about as relevant (within the window in which a "latest" question
    # would move it first), yet the order stays the relevance order.
    close = [h for h in plain if h.score >= plain[0].score - RECENCY_WINDOW]
    assert any(h.meta.date_num > plain[0].meta.date_num for h in close)
    assert [h.score for h in plain] == sorted((h.score for h in plain), reverse=True)


def test_latest_questions_put_the_newest_of_comparably_relevant_hits_first(story):
    hits = story.search("Was ist zuletzt über die Lindenbrücke in Magdeburg berichtet worden?", k=5).hits
    best = max(h.score for h in hits)
    close = [h for h in hits if h.score >= best - RECENCY_WINDOW]
    dates = [h.meta.date_num for h in close]
    assert len(set(dates)) > 1 and dates == sorted(dates, reverse=True)
    # ... which is not the relevance order: the date moved a less relevant report up.
    assert [h.score for h in close] != sorted((h.score for h in close), reverse=True)


def test_disagreeing_reports_are_shown_with_both_dates(story):
    a = answer(story, "Wie viel kostet die Reparatur der Lindenbrücke?")
    assert len(a.citations) == 2 and a.citations[0].date > a.citations[1].date
    assert a.answer.startswith(f"Stand {a.citations[0].date}:") and f"Stand {a.citations[1].date}:" in a.answer
    assert "4,1 Millionen Euro" in a.answer
    en = answer(story, "How much does the repair of the Lindenbrücke cost?")
    assert en.answer.startswith("As of ")
    for reply in (a, en):  # the fact in bold is the newest report's, the one the answer leads with
        newest = reply.answer.split(f" [{1}]")[0]
        assert reply.span is not None and reply.span.end <= len(newest), (reply.answer, reply.span)


UPDATE = (
    "date 2025-09 MÜNCHEN (absatz-Test, fiktiv) - Bayerische Bäckereien haben ihre Preise abermals erhöht. Ein "
    "Brötchen kostet in München jetzt durchschnittlich 70 Cent, teilte der Landesinnungsverband mit. Im Juni waren "
    "es noch 65 Cent.\n\nDer Verband nannte erneut höhere Löhne als Grund."
)


def test_the_bold_fact_of_disagreeing_reports_is_the_newest_one(tmp_path, embedder):
    """The answer leads with the newest report, "Stand 2025-09: … 70 Cent", but the bold
    went to the better-scored older one's 65 Cent."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2025-06-baeckerei-preise.txt").write_text(
        (CORPUS / "2025-06-baeckerei-preise.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (corpus / "2025-09-baeckerei-update.txt").write_text(UPDATE, encoding="utf-8")
    store = settings_for(tmp_path / "chroma")
    ingest_paths(Chroma(store), embedder, [corpus])
    a = answer(Searcher.open(store, embedder), "Was kostet ein Brötchen zurzeit?")
    assert a.answer.startswith("Stand 2025-09:") and "Stand 2025-06:" in a.answer
    assert a.span is not None and a.span.text == "70 Cent"


def test_the_date_of_a_report_is_never_bolded_as_the_fact():
    from absatz.answer_span import find_answer_span
    from absatz.question_types import Expected

    def bold(first: str, second: str) -> str | None:
        text = f"Stand 2024-09-12: {first} [1] Stand 2024-05-03: {second} [2]"
        ranges = [(text.index(s), text.index(s) + len(s)) for s in (first, second)]
        span = find_answer_span(text, "Wann ist die Lindenbrücke wieder offen?", Expected.DATE, ranges)
        return span.text if span else None

    assert bold("Die Brücke bleibt gesperrt.", "Die Sanierung dauert länger.") is None
    assert "1. Oktober" in (bold("Die Brücke bleibt gesperrt.", "Sie soll ab 1. Oktober wieder offen sein.") or "")


def test_related_articles_follow_the_story_newest_first(story_store):
    found = related(Reader(Chroma(story_store)).view().index, FEB)
    assert [r.article_id for r in found[:2]] == [SEP, MAY]
    assert all("linden" in r.article_id for r in found)


def test_source_json_shows_date_dateline_agency(story_store, capsys):
    code, out, _ = run_cli(capsys, "source", f"{MAY}#2", "--json", "--chroma-path", str(story_store.chroma_path))
    meta = json.loads(out)["meta"]
    assert (meta["date"], meta["dateline"], meta["agency"]) == ("2024-05", "MAGDEBURG", "absatz-Test, fiktiv")


@pytest.fixture
def simcord_bot(story_store, story, tmp_path):
    from bot.settings import BotSettings

    from .simcord_helpers import bot_with

    return bot_with(BotSettings(store=story_store, shard_count=1, bot_db=tmp_path / "bot.sqlite3"), story)


async def test_discord_article_follows_the_story_and_ask_takes_dates(simcord_env):
    from .simcord_helpers import reply_of

    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("news")
    alice = guild.add_member(simcord_env.create_user("alice"))
    result = await alice.slash(channel, "article", id=FEB)
    text = str(result.response.embeds[0].to_dict())
    assert SEP in text and MAY in text and text.index(SEP) < text.index(MAY)
    result = await alice.slash(
        channel, "ask", question="Wie viel kostet die Reparatur der Lindenbrücke?", until="2024-03"
    )
    embed = reply_of(result).embeds[0]
    assert "2 Millionen Euro" in embed.description and "2024-02" in embed.fields[0].name
    bad = await alice.slash(channel, "ask", question="Lindenbrücke?", since="gestern")
    # Named as Discord shows the option, not as the command line spells it.
    assert bad.ephemeral and "`since`" in bad.response.content and "gestern" in bad.response.content
    assert "--since" not in bad.response.content
    pasted = await alice.slash(channel, "ask", question="Lindenbrücke?", since="gestern " * 400)
    # A pasted page as the option still gets the reply that names it, within one message.
    assert pasted.ephemeral and "`since`" in pasted.response.content and len(pasted.response.content) <= 2000
    linked = await alice.slash(channel, "ask", question="Lindenbrücke?", since=f"{PHISH} **gestern**")
    # What the member typed comes back as typed: no link, no bold.
    content = linked.response.content
    assert "Konto bestätigen" in content and link_targets(content) == [] and "\\*\\*gestern" in content


async def test_discord_search_takes_day_dates(simcord_env):
    guild = simcord_env.create_guild()
    channel = guild.create_text_channel("news")
    alice = guild.add_member(simcord_env.create_user("alice"))
    after = reply_text(await alice.slash(channel, "search", query="Stadtfest in Halle", since="2024-05-15"))
    assert f"{FEST_20}#" in after and f"{FEST_10}#" not in after
    before = reply_text(await alice.slash(channel, "search", query="Stadtfest in Halle", until="2024-05-15"))
    assert f"{FEST_10}#" in before and f"{FEST_20}#" not in before
    bad = await alice.slash(channel, "search", query="Stadtfest", since="2024-05-15", until="2024-05-01")
    content = bad.response.content
    assert bad.ephemeral and "2024-05-15" in content and "2024-05-01" in content and "--since" not in content


def reply_text(result) -> str:
    from .simcord_helpers import reply_of

    return reply_of(result).embeds[0].description
