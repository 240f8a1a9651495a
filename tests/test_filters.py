"""Search filters by category and source: applied before ranking, like dates, so a slice
returns its own best paragraph even when the rest of the corpus matches better."""

from __future__ import annotations

import pytest

from absatz.answer import answer
from ingest.pipeline import ingest_paths
from vectorstore.chroma import Chroma
from vectorstore.dates import DateRange
from vectorstore.filters import Filter
from vectorstore.search import Searcher

from .conftest import settings_for, write_jsonl
from .test_news import search_ids

QUESTION = "Wie viele Container hat der Hamburger Hafen im vergangenen Jahr umgeschlagen?"
ARTICLES = [
    # The best match for the question overall: Sport, from the Sportblatt.
    {
        "id": "hafenlauf",
        "date": "2024-06",
        "category": "Sport",
        "source": "Sportblatt",
        "title": "Hafenlauf zwischen den Containern",
        "text": "Der Hamburger Hafen hat im vergangenen Jahr 7,7 Millionen Container umgeschlagen, sagte der "
        "Veranstalter des Hafenlaufs. Zwischen diesen Containern liefen am Sonntag 3.000 Läufer.\n\n"
        "Die Siegerin brauchte für die zehn Kilometer 34 Minuten.",
    },
    # The Wirtschaft slice: its second paragraph answers, less directly.
    {
        "id": "hafenbilanz",
        "date": "2024-02",
        "category": "Wirtschaft",
        "source": "Hafenkurier",
        "title": "Hafenbilanz: weniger Umschlag",
        "text": "Die Hafengesellschaft stellte ihre Bilanz am Montag in der Handelskammer vor. Der Vorstand "
        "sprach von einem schwierigen Jahr.\n\n"
        "Im vergangenen Jahr schlug der Hamburger Hafen 7,7 Millionen Standardcontainer um, vier "
        "Prozent weniger als im Jahr davor.\n\n"
        "Für das kommende Jahr rechnet die Branche mit einer leichten Erholung.",
    },
    {
        "id": "stadtrat",
        "date": "2024-03",
        "category": "Politik",
        "source": "Hafenkurier",
        "title": "Stadtrat beschließt neue Radwege",
        "text": "Der Stadtrat hat den Bau von zwölf Kilometern neuer Radwege beschlossen. Die Arbeiten beginnen "
        "im Herbst.",
    },
    {
        "id": "zoo",
        "date": "2024-04",
        "category": "Panorama",
        "source": "Sportblatt",
        "title": "Eisbären im Zoo",
        "text": "Der Zoo in Kiel bekommt zwei Eisbären aus Finnland. Sie ziehen im Mai in ihr neues Gehege.",
    },
    # No date: in no period.
    {
        "id": "bruecke",
        "category": "Verkehr",
        "source": "Brückenblatt",
        "title": "Köhlbrandbrücke wird saniert",
        "text": "Die Köhlbrandbrücke im Hamburger Hafen wird saniert. Während der Arbeiten ist eine Fahrspur "
        "je Richtung gesperrt.",
    },
]


@pytest.fixture(scope="module")
def sliced(tmp_path_factory, embedder) -> Searcher:
    root = tmp_path_factory.mktemp("sliced")
    corpus = write_jsonl(root / "corpus" / "hafen.jsonl", ARTICLES).parent
    settings = settings_for(root / "chroma")
    report = ingest_paths(Chroma(settings), embedder, [corpus])
    assert not report.failed and len(report.added) == len(ARTICLES)
    return Searcher.open(settings, embedder)


def test_the_other_slice_matches_better_without_a_filter(sliced):
    hits = sliced.search(QUESTION, k=5).hits
    assert hits[0].para_id == "hafenlauf#1"
    assert sliced.search(QUESTION, k=5, where=Filter()).hits == hits  # an empty filter sees everything


def test_a_category_filter_returns_only_that_slice_and_its_best_paragraph(sliced):
    hits = sliced.search(QUESTION, k=5, where=Filter(categories=("Wirtschaft",))).hits
    assert hits and {h.meta.category for h in hits} == {"Wirtschaft"}
    assert hits[0].para_id == "hafenbilanz#2"
    # Names compare case-insensitively; several names mean any of them.
    assert sliced.search(QUESTION, k=5, where=Filter(categories=("wirtschaft",))).hits == hits
    both = sliced.search(QUESTION, k=10, where=Filter(categories=("Wirtschaft", "Politik"))).hits
    assert {h.article_id for h in both} == {"hafenbilanz", "stadtrat"}
    a = answer(sliced, QUESTION, where=Filter(categories=("Wirtschaft",)))
    assert not a.abstained and a.citations[0].id == "hafenbilanz#2" and "7,7 Millionen" in a.answer


def test_a_source_filter_returns_only_that_slice_and_its_best_paragraph(sliced):
    hits = sliced.search(QUESTION, k=5, where=Filter(sources=("Hafenkurier",))).hits
    assert hits and {h.meta.source for h in hits} == {"Hafenkurier"}
    assert hits[0].para_id == "hafenbilanz#2"


def test_filter_parts_combine_and_an_empty_slice_finds_nothing(sliced):
    hits = sliced.search(QUESTION, k=5, where=Filter(sources=("Sportblatt",), categories=("Panorama",))).hits
    assert {h.article_id for h in hits} == {"zoo"}
    dated = Filter(dates=DateRange.parse("2024-03", None), sources=("Hafenkurier",))
    assert {h.article_id for h in sliced.search(QUESTION, k=5, where=dated).hits} == {"stadtrat"}
    assert sliced.search(QUESTION, k=5, where=Filter(categories=("Feuilleton",))).hits == []


def test_an_article_without_a_date_is_in_no_period(sliced, capsys):
    """Who asks for a period wants articles known to be in it; an undated article is
    stored as date 0, which any ``--until`` alone would let through."""
    store = sliced.chroma.settings
    assert search_ids(capsys, store, "Köhlbrandbrücke")[0] == "bruecke"
    for period in (["--until", "2024-12"], ["--since", "2024-01"], ["--since", "2024-01", "--until", "2024-12"]):
        found = search_ids(capsys, store, "Köhlbrandbrücke", *period)
        assert found and "bruecke" not in found, period
