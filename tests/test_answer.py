"""Cited answers over the sample corpus and the real seed article."""

import pytest

from bot.answer import NOT_FOUND, answer

from .conftest import needs_seed

SEED_ID = "000_a05d8c91f093345a"


@needs_seed
def test_german_question_cites_the_exact_paragraph(searcher):
    a = answer(searcher, "Wie weit flogen die Raketen?")
    assert not a.abstained
    first = a.citations[0]
    assert first.id == f"{SEED_ID}#2"
    assert "650 Kilometer" in a.answer and "[1]" in a.answer
    assert first.quote in first.text and "650 Kilometer" in first.text
    assert (first.date, first.dateline, first.agency, first.paragraph) == ("2023-09", "ZIOLKOWSKI", "dpa-AFX", 2)


@needs_seed
def test_english_question_finds_german_text(searcher):
    a = answer(searcher, "How far did North Korea's missiles fly?")
    assert not a.abstained and a.language == "en"
    assert a.citations[0].id == f"{SEED_ID}#2"


@pytest.mark.parametrize(
    "question, cited",
    [
        ("Wann soll die Schnellfahrstrecke zwischen Erfurt und Kassel fertig sein?", "2024-10-bahn-strecke#1"),
        ("Was kostet ein Brötchen in München?", "2025-06-baeckerei-preise#1"),
        ("Who scored the goals in the cup final?", "2024-09-pokalfinale#2"),
        ("Wie viele Blitzer will Köln aufstellen?", "2025-03-tempo30-koeln#4"),
    ],
)
def test_sample_corpus_questions(searcher, question, cited):
    a = answer(searcher, question)
    assert not a.abstained
    assert a.citations[0].id == cited


@pytest.mark.parametrize("question", ["Wie backe ich ein Sauerteigbrot?", "What is the capital of Australia?", "Wer gewann die Tour de France 1998?"])
def test_off_topic_questions_abstain(searcher, question):
    a = answer(searcher, question)
    assert a.abstained and a.citations == []
    assert a.answer in NOT_FOUND.values()


def test_abstention_speaks_the_question_language(searcher):
    assert answer(searcher, "How do I bake sourdough bread?").answer == NOT_FOUND["en"]
    assert answer(searcher, "Wie backe ich ein Sauerteigbrot?").answer == NOT_FOUND["de"]


@pytest.mark.parametrize("question", ["", "   ", "🙂🙂", "???"])
def test_empty_questions_are_refused_cleanly(searcher, question):
    a = answer(searcher, question)
    assert a.abstained and not a.citations


def test_every_marker_points_to_a_citation(searcher):
    a = answer(searcher, "Was kritisieren Umweltverbände am neuen Terminal im Hamburger Hafen?")
    import re

    markers = {int(m) for m in re.findall(r"\[(\d+)\]", a.answer)}
    assert markers == {c.n for c in a.citations}
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    for c in a.citations:
        assert c.quote in c.text
