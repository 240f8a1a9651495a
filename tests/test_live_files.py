"""Web articles as Markdown files in the corpus: ids, paths, the file format (read back by
the real parser), writes only when the content changed; and the Markdown front matter's
``category`` and ``author``."""

from __future__ import annotations

import hashlib

import pytest

from ingest.live.extract import Block, WebArticle
from ingest.live.files import render_markdown, write_article
from ingest.live.urls import (
    article_id_for,
    article_path,
    canonical_url,
    same_site,
    site_slug,
)
from ingest.parse import parse_markdown, validate_article_id
from ingest.sources import load_articles

URL = "https://www.tagesschau.de/inland/wahl-100.html"


def article(**changes) -> WebArticle:
    base = WebArticle(
        url=URL,
        title="Wahl in Brandenburg: SPD knapp vorn",
        blocks=(
            Block("Die SPD hat die Landtagswahl in Brandenburg knapp gewonnen."),
            Block("Die Ergebnisse", heading=True),
            Block("Nach dem vorläufigen Endergebnis kommt die SPD auf 30,9 Prozent."),
            Block("#Wahl2024: Unter diesem Stichwort diskutierten Tausende im Netz."),
        ),
        date="2024-09-22",
        author="Anna Schmidt",
        site="tagesschau.de",
        category="Inland",
    )
    return base.with_changes(**changes)


def test_markdown_front_matter_reads_category_and_author():
    text = (
        "---\ntitle: T\ndate: 2024-09-22\nurl: https://x.de/a\nsource: X\ncategory: Inland\n"
        "author: Anna Schmidt\n---\n\nText hier.\n"
    )
    parsed = parse_markdown(text, "x-1")
    assert (parsed.category, parsed.author_code, parsed.source, parsed.url) == (
        "Inland",
        "Anna Schmidt",
        "X",
        "https://x.de/a",
    )
    plain = parse_markdown("---\ntitle: T\n---\n\nText hier.\n", "x-2")
    assert (plain.category, plain.author_code) == ("", "")


def test_canonical_urls_and_ids():
    assert canonical_url("HTTPS://WWW.Tagesschau.DE:443/inland/wahl-100.html?utm_source=rss&id=7#kommentare") == (
        "https://www.tagesschau.de/inland/wahl-100.html?id=7"
    )
    assert canonical_url("http://example.com") == "http://example.com/"
    assert site_slug(URL) == "tagesschau-de"
    digest = hashlib.sha1(URL.encode()).hexdigest()[:12]
    assert article_id_for(URL) == f"tagesschau-de-{digest}"
    assert article_id_for(URL + "?utm_medium=feed#top") == article_id_for(URL)
    assert article_id_for(URL + "?WT.mc_id=rss&wt.tsrc=email") == article_id_for(URL)  # WebTrends campaigns
    assert validate_article_id(article_id_for("http://127.0.0.1:8080/a")) == article_id_for("http://127.0.0.1:8080/a")
    assert same_site("https://www.spiegel.de/a", "https://spiegel.de/b")
    assert same_site("https://m.spiegel.de/a", "https://www.spiegel.de/b")
    assert not same_site("https://www.tagesschau.de/a", "https://evil.example/b")


def test_rendered_file_reads_back_as_the_same_article():
    text = render_markdown(article())
    assert text.startswith(
        "---\ntitle: Wahl in Brandenburg: SPD knapp vorn\ndate: 2024-09-22\nurl: https://www.tagesschau.de/inland/wahl-100.html\n"
        "source: tagesschau.de\ncategory: Inland\nauthor: Anna Schmidt\n---\n"
    )
    parsed = parse_markdown(text, article_id_for(URL))
    assert parsed.title == "Wahl in Brandenburg: SPD knapp vorn"
    assert (parsed.date, parsed.url, parsed.source, parsed.category, parsed.author_code) == (
        "2024-09-22",
        URL,
        "tagesschau.de",
        "Inland",
        "Anna Schmidt",
    )
    assert [(p.n, p.heading) for p in parsed.paragraphs] == [(1, ""), (2, "Die Ergebnisse"), (3, "Die Ergebnisse")]
    assert parsed.paragraphs[1].text == "Nach dem vorläufigen Endergebnis kommt die SPD auf 30,9 Prozent."
    # a paragraph starting with '#' stays a paragraph, with the page's text
    assert parsed.paragraphs[2].text == "#Wahl2024: Unter diesem Stichwort diskutierten Tausende im Netz."


@pytest.mark.parametrize(
    "text",
    [
        "# nicht Überschrift",
        "#MeToo ist eine Debatte.",
        "## auch keine Überschrift",
        "\\#Wahl2024 mit Backslash",
        "\\\\# zwei Backslashes",
        "\u200b# beginnt unsichtbar",
        "C# und \\# mitten im Satz",
    ],
)
def test_a_paragraph_opening_with_a_hash_reads_back_exactly(text):
    blocks = (Block("Erster Absatz."), Block("Zwischentitel", heading=True), Block(text), Block("Letzter Absatz."))
    parsed = parse_markdown(render_markdown(article(blocks=blocks)), article_id_for(URL))
    assert [(p.heading, p.text) for p in parsed.paragraphs] == [
        ("", "Erster Absatz."),
        ("Zwischentitel", text),
        ("Zwischentitel", "Letzter Absatz."),
    ]


@pytest.mark.parametrize("text", ["#MeToo Debatte", "C#", "###", "\\# Zwischentitel"])
def test_a_heading_and_title_with_hashes_read_back_exactly(text):
    blocks = (Block("Erster Absatz."), Block(text, heading=True), Block("Letzter Absatz."))
    parsed = parse_markdown(render_markdown(article(title=text, blocks=blocks)), article_id_for(URL))
    assert parsed.title == text
    assert [p.heading for p in parsed.paragraphs] == ["", text]


@pytest.mark.parametrize(
    "title", ['"Succession"-Finale: "Wir haben es geschafft"', "'Tatort' aus Münster", "Er sagte: 'Nein'", '"Tatort"']
)
def test_a_title_with_quotes_reads_back_as_written(title):
    text = render_markdown(article(title=title))
    assert parse_markdown(text, article_id_for(URL)).title == title


def test_front_matter_takes_quoted_and_unquoted_values_as_yaml_does():
    def title(value: str) -> str:
        return parse_markdown(f"---\ntitle: {value}\n---\n\nText.", "a").title

    assert title('"Succession" finale: "We did it"') == '"Succession" finale: "We did it"'
    assert title('"Tatort"') == "Tatort" and title("'Tatort'") == "Tatort" and title("'It''s'") == "It's"


def test_written_only_when_changed(tmp_path):
    first = write_article(tmp_path, article())
    assert first.changed and first.created
    assert first.path == article_path(tmp_path, URL)
    assert first.path.relative_to(tmp_path).parts == ("web", "tagesschau-de", f"{article_id_for(URL)}.md")
    mtime = first.path.stat().st_mtime_ns
    again = write_article(tmp_path, article())
    assert not again.changed and again.path.stat().st_mtime_ns == mtime
    edited = write_article(tmp_path, article(blocks=(*article().blocks, Block("Ein neuer Absatz am Ende."))))
    assert edited.changed and not edited.created
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]  # no temp files left


def test_the_ingest_reads_the_web_folder(tmp_path):
    write_article(tmp_path, article())
    write_article(tmp_path, article(url="https://www.tagesschau.de/ausland/b-200.html", title="Zweiter Artikel"))
    articles, failures = load_articles([tmp_path])
    assert failures == []
    assert sorted(a.id for a in articles) == sorted(
        [article_id_for(URL), article_id_for("https://www.tagesschau.de/ausland/b-200.html")]
    )
    assert {a.category for a in articles} == {"Inland"}
