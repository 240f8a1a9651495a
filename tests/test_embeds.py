"""Discord limits hold for the worst inputs: 2,000-word paragraphs, huge quotes, 25+ sources."""

from dataclasses import replace

import discord

from absatz import Matches, SourceView
from absatz.answer import Answer, Citation
from absatz.gaps import Gap, Wording
from absatz.question_types import Span
from absatz.render import paragraph_text
from absatz.scopes import Scope
from absatz.texts import t
from bot.cogs.gaps import gaps_embed
from bot.cogs.scopes import describe
from bot.embeds import answer_embed, article_embed, citation_id_from_field, paragraph_embed, search_embed
from vectorstore.records import ArticleMeta, ArticleSummary, Hit, ParagraphView, SentenceMatch

from .hostile import PHISH, link_targets

SENTENCE = "Die Raketen seien ostwärts in Richtung offenes Meer geflogen und jeweils etwa 650 Kilometer weit."
LONG = " ".join([SENTENCE] * 150)  # ~2,000 words


def within_limits(embed: discord.Embed) -> None:
    assert len(embed) <= 6000
    assert len(embed.title or "") <= 256 and len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name) <= 256 and len(f.value) <= 1024 for f in embed.fields)
    assert len(embed.footer.text or "") <= 2048


def citation(n: int, text: str = LONG) -> Citation:
    return Citation(
        n,
        f"artikel-{n}#3",
        f"artikel-{n}",
        3,
        "Titel " * 80,
        "2024-05",
        "BERLIN",
        "dpa",
        "Zwischentitel " * 30,
        text,
        text,
        0.9,
    )


def test_answer_with_huge_quotes_and_many_citations_fits():
    a = Answer(
        "Frage " * 100,
        " ".join(f"{LONG} [{n}]" for n in range(1, 31)),
        False,
        [citation(n) for n in range(1, 31)],
        "de",
    )
    embed = answer_embed(a, 0.2)
    within_limits(embed)
    # Markers survive shortening, and each field still names its citation id.
    assert "[1]" in embed.description and "[2]" in embed.description
    assert citation_id_from_field(embed, 3) == "artikel-3#3"
    assert all(f.value.endswith("`") for f in embed.fields)


def test_shortening_happens_at_a_word_boundary_with_an_ellipsis():
    embed = answer_embed(Answer("Frage?", f"{LONG} [1]", False, [citation(1)], "de"), 0.1)
    quote_line = embed.fields[0].value.splitlines()[0]
    assert quote_line.endswith("…")
    assert quote_line[2:-1].strip().split()[-1] in SENTENCE.split()


def test_two_thousand_word_paragraph_source_fits():
    p = ParagraphView("a#2", "a", 2, LONG, "Zwischentitel", ArticleMeta(title="T" * 400, date="2024-05"))
    before = ParagraphView("a#1", "a", 1, LONG, "", ArticleMeta())
    after = ParagraphView("a#3", "a", 3, LONG, "", ArticleMeta())
    embed = paragraph_embed(SourceView(p, before, after), "de")
    within_limits(embed)
    assert "(gekürzt)" in embed.description and "¶1" in embed.description and "¶3" in embed.description
    # the section heading opens the cited paragraph, not the one before it
    assert embed.description.index("¶1") < embed.description.index("Zwischentitel") < embed.description.index("¶2")


def test_source_shows_each_section_heading_above_its_first_paragraph():
    before = ParagraphView("a#1", "a", 1, "Erster.", "Vorher", ArticleMeta())
    p = ParagraphView("a#2", "a", 2, "Zweiter.", "Vorher", ArticleMeta())
    after = ParagraphView("a#3", "a", 3, "Dritter.", "Danach", ArticleMeta())
    description = paragraph_embed(SourceView(p, before, after), "de").description
    assert description.count("Vorher") == 1 and description.index("Vorher") < description.index("¶1")
    assert description.index("¶2") < description.index("Danach") < description.index("¶3")
    text = paragraph_text(p, before, after)
    assert text.count("## Vorher") == 1 and text.index("## Vorher") < text.index("¶1")
    assert text.index("¶2") < text.index("## Danach") < text.index("¶3")


def test_search_and_article_embeds_fit():
    hits = [
        Hit(
            f"a#{i}",
            "a",
            i,
            1.0,
            0.9,
            0.0,
            ArticleMeta(title="T" * 300),
            passage=LONG,
            sentences=[SentenceMatch(LONG, 0, 0.9)],
        )
        for i in range(1, 11)
    ]
    within_limits(search_embed("q" * 600, Matches(hits, True), "de"))
    summary = ArticleSummary(
        "a",
        ArticleMeta(
            title="T" * 400,
            date="2024",
            dateline="X",
            agency="Y",
            n_paragraphs=99,
            headings=tuple(f"Titel {i} " * 10 for i in range(200)),
        ),
    )
    within_limits(article_embed(summary, "de"))


def _answer_with_span(text: str, fact: str) -> Answer:
    from absatz.question_types import Span

    start = text.index(fact)
    return Answer(
        "Wie weit flogen die Raketen?",
        text,
        False,
        [citation(1, SENTENCE)],
        "de",
        span=Span(start, start + len(fact), fact),
    )


def test_the_fact_asked_for_is_bold_in_discord_and_on_a_terminal():
    from absatz.render import answer_text

    a = _answer_with_span(f"{SENTENCE} [1]", "etwa 650 Kilometer")
    assert "**etwa 650 Kilometer**" in answer_embed(a, 0.1).description
    assert "\x1b[1metwa 650 Kilometer\x1b[0m" in answer_text(a, bold=("\x1b[1m", "\x1b[0m"))
    assert answer_text(a).splitlines()[0] == a.answer  # piped: plain text


def test_a_shortened_answer_keeps_the_bold_fact_when_it_survives_and_fits():
    a = _answer_with_span(f"{SENTENCE} {LONG} [1]", "etwa 650 Kilometer")
    embed = answer_embed(a, 0.1)
    within_limits(embed)
    assert embed.description.count("**") == 2 and "[1]" in embed.description


def test_article_text_is_shown_verbatim_not_formatted():
    """German gender stars and a ``~~`` in a quote are text, not Markdown."""
    sentence = "Lehrer*innen und Schüler*innen sollen mehr Mitsprache erhalten, ~~Kielbus~~ fährt."
    a = _answer_with_span(f"{sentence} [1]", "Schüler*innen")
    a = replace(a, citations=[citation(1, sentence)])
    embed = answer_embed(a, 0.1)
    assert embed.description == (
        "Lehrer\\*innen und **Schüler\\*innen** sollen mehr Mitsprache erhalten, \\~\\~Kielbus\\~\\~ fährt. [1]"
    )
    assert embed.fields[0].value.startswith("> Lehrer\\*innen und Schüler\\*innen")
    meta = ArticleMeta(title="Schule", date="2025-02")
    view = SourceView(ParagraphView("schule#1", "schule", 1, sentence, "Lehrer*innen", meta), None, None)
    assert "**Lehrer\\*innen**" in paragraph_embed(view, "de").description
    assert "Lehrer\\*innen und Schüler\\*innen" in paragraph_embed(view, "de").description


def test_markdown_after_a_bracket_and_a_parenthesis_is_still_escaped():
    """discord.py's masked-link pattern spans from the first ``[`` to the last ``)`` and
    left what lies between unescaped: ``*5*`` after ``[Quelle](x)`` turned italic."""
    sentence = "Laut [Quelle](x) stieg der Preis um *5* Prozent (brutto), so __alle__."
    a = Answer("Frage?", f"{sentence} [1]", False, [citation(1, sentence)], "de")
    embed = answer_embed(a, 0.1)
    shown = "Laut [Quelle]\\(x) stieg der Preis um \\*5\\* Prozent (brutto), so \\_\\_alle\\_\\_."
    assert embed.description == f"{shown} [1]"
    assert embed.fields[0].value.startswith(f"> {shown}")
    meta = ArticleMeta(title="Preise", date="2025-02")
    view = SourceView(ParagraphView("preise#1", "preise", 1, sentence, "", meta), None, None)
    assert shown in paragraph_embed(view, "de").description


def test_a_masked_link_in_an_article_stays_text_wherever_it_is_shown():
    """``[Konto bestätigen](https://evil.example/login)`` had been escaped as
    ``[Konto bestätigen\\](…)``: Discord honours no escape inside a masked link's text
    (discord/discord-api-docs#6185), so it was a clickable phishing link labelled
    "Konto bestätigen\\" in titles, headings and quotes. Now the backslash stands between
    "]" and "(", which no link can span, and reads the same."""
    heading = "Preise [Innung](https://evil.example/h)"
    quote = f"Ein Brötchen kostet laut {PHISH} jetzt 80 Cent, [[x](https://evil.example/a)](https://evil.example/b)."
    c = replace(citation(1, quote), title=f"{PHISH} ||x||", heading=heading, url="https://example.org/evil")
    embed = answer_embed(Answer(f"Was sagt {PHISH}?", f"{quote} [1]", False, [c], "de"), 0.1)
    meta = ArticleMeta(title=c.title, date="2025-06", headings=(heading,), url=c.url)
    view = SourceView(
        ParagraphView("evil#2", "evil", 2, quote, heading, meta),
        ParagraphView("evil#1", "evil", 1, f"Vorher {PHISH}.", "", meta),
        ParagraphView("evil#3", "evil", 3, f"Danach {PHISH}.", "Mehr [dazu](https://evil.example/m)", meta),
    )
    hit = Hit("evil#2", "evil", 2, 1.0, 0.9, 0.0, meta, passage=quote, sentences=[SentenceMatch(quote, 0, 0.9)])
    shown = [
        embed,
        paragraph_embed(view, "de"),
        search_embed(PHISH, Matches([hit], True), "de"),
        article_embed(ArticleSummary("evil", meta), "de", [ArticleSummary("evil2", meta)]),
    ]
    texts = [x for e in shown for x in (e.title, e.description, *(y for f in e.fields for y in (f.name, f.value)))]
    assert [u for u in link_targets(*texts) if "evil.example" in u] == []
    assert f"]({c.url})" in embed.fields[0].value  # the article's own address stays a link
    assert "Konto bestätigen]\\(https://evil.example/login)" in embed.description  # reads as written
    assert "[Konto bestätigen]\\(https://evil.example/login) \\|\\|x\\|\\|" in embed.fields[0].name
    assert "Preise [Innung]\\(https://evil.example/h)" in shown[1].description


BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"


def test_a_right_to_left_override_in_one_source_cannot_reverse_the_rest_of_the_answer():
    """An unclosed U+202E (RIGHT-TO-LEFT OVERRIDE) in one article's sentence reversed the
    rest of the answer's line on Discord: the markers and another article's sentence
    ("65" read "56"). The controls are not shown; the article keeps them, and the source
    button still finds the quote in it."""
    from absatz.api import holds, quote_parts
    from bot.views import quote_from_field

    evil = "Ein Brötchen kostet in \u2067Hamburg \u202e80 Cent.\u200f"
    c1 = replace(citation(1, evil), title="Titel\u202e", heading="Preise\u2066", url="https://example.org/\u202eevil")
    c2 = replace(citation(2, "In München kostet es 65 Cent."), title="Bäckerpreise")
    a = Answer("Was kostet ein Brötchen?", f"{evil} [1] In München kostet es 65 Cent. [2]", False, [c1, c2], "de")
    embed = answer_embed(a, 0.1)
    meta = ArticleMeta(title=c1.title, date="2025-06", dateline="HAMBURG\u202e", agency="dpa", headings=(c1.heading,))
    view = SourceView(ParagraphView("evil#2", "evil", 2, evil, c1.heading, meta), None, None)
    hit = Hit("evil#2", "evil", 2, 1.0, 0.9, 0.0, meta, passage=evil, sentences=[SentenceMatch(evil, 0, 0.9)])
    shown = [embed, paragraph_embed(view, "de"), search_embed("Brötchen", Matches([hit], True), "de")]
    shown.append(article_embed(ArticleSummary("evil", meta), "de"))
    texts = [
        x or ""
        for e in shown
        for x in (e.title, e.description, e.footer.text, *(y for f in e.fields for y in (f.name, f.value)))
    ]
    assert [x for x in texts if any(ch in x for ch in BIDI_CONTROLS)] == []
    assert embed.description == "Ein Brötchen kostet in Hamburg 80 Cent. [1] In München kostet es 65 Cent. [2]"
    assert embed.fields[0].name.startswith("[1] Titel · 2024-05 · Preise · ¶3")
    assert holds(evil, quote_parts(quote_from_field(embed, 1)))  # the article's text as it is


def test_the_source_button_reads_back_the_quote_it_escaped():
    """The button finds the paragraph by the quote the answer showed: escaping must not
    make it look gone ("Lehrer*innen" shown as "Lehrer\\*innen")."""
    from bot.views import quote_from_field

    quote = "Lehrer*innen, Schüler_innen und ~~Gäste~~ | `alle` > zufrieden - sagt [Verband](x)."
    embed = answer_embed(Answer("Frage?", f"{quote} [1]", False, [citation(1, quote)], "de"), 0.1)
    assert quote_from_field(embed, 1) == quote and citation_id_from_field(embed, 1) == "artikel-1#3"
    # an answer posted before "](" was escaped as "]\\(" still has its button
    before = discord.Embed().add_field(name="[1] T", value="> sagt [Verband\\](x) \\*5\\*.\n`artikel-1#3`")
    assert quote_from_field(before, 1) == "sagt [Verband](x) *5*."


def test_a_shortened_answer_bolds_the_span_where_it_is_not_an_earlier_match():
    """The span's text (``1``) also occurs before it (the marker ``[1]``): the bold goes
    where the span is, or nowhere."""
    second = "Das Spiel endete 1:0, nach einer langen Nachspielzeit."
    text = f"{LONG} [1] {second} [1]"
    start = text.index("1:0")
    a = replace(_answer_with_span(text, "Das Spiel"), span=Span(start, start + 1, "1"))
    description = answer_embed(a, 0.1).description
    assert "[**1**]" not in description and "endete **1**:0" in description


def test_runaway_heading_and_dateline_still_fit():
    heading = "Zwischentitel " * 270  # ~3,500 characters, as a Markdown or web page heading may be
    p = ParagraphView("a#2", "a", 2, LONG, heading, ArticleMeta(title="T", date="2024-05"))
    before = ParagraphView("a#1", "a", 1, LONG, "", ArticleMeta())
    embed = paragraph_embed(SourceView(p, before, None), "de")
    within_limits(embed)
    assert "¶2" in embed.description and "Zwischentitel" in embed.description
    summary = ArticleSummary("a", ArticleMeta(title="T", dateline="BERLIN " * 800, agency="dpa", n_paragraphs=3))
    within_limits(article_embed(summary, "de"))
    # /source of a long paragraph whose import brought a runaway dateline: the footer's
    # byline gives way, the paragraph id the footer ends with stays whole
    p = replace(p, heading="", meta=summary.meta)
    embed = paragraph_embed(SourceView(p, before, replace(before, paragraph=3, para_id="a#3")), "de")
    within_limits(embed)
    assert embed.footer.text.endswith(" · a#2") and "BERLIN" in embed.footer.text


def test_an_address_discord_would_refuse_is_not_the_embed_link():
    def source(url: str) -> discord.Embed:
        p = ParagraphView("a#1", "a", 1, SENTENCE, "", ArticleMeta(title="T", url=url))
        return paragraph_embed(SourceView(p, None, None), "de")

    assert source("https://example.de/artikel?id=1").url == "https://example.de/artikel?id=1"
    assert source("https://example.de/mit leerzeichen").url == "https://example.de/mit%20leerzeichen"
    for bad in ("www.example.de/artikel", "https://example.de/a\tb", "javascript:alert(1)", "https://"):
        assert source(bad).url is None, bad
        within_limits(source(bad))
    summary = ArticleSummary("a", ArticleMeta(title="T", url="ftp://example.de/a", n_paragraphs=1))
    assert article_embed(summary, "de").url is None


def test_ten_long_coverage_gaps_fit_one_embed():
    long = "Wie hoch ist die Förderung für Balkonkraftwerke in der Gemeinde " * 8
    gaps = [
        Gap(
            Wording("", long + str(i)),
            40,
            30,
            10,
            tuple(f"{long} Grund {j}" for j in range(5)),
            tuple(Wording("", f"{long} {j}") for j in range(5)),
        )
        for i in range(12)
    ]
    for language in ("de", "en"):
        embed = gaps_embed(gaps, 7, language)
        within_limits(embed)
        assert len(embed.fields) == 10 and all(f.value.startswith("**Wie hoch") for f in embed.fields)


def test_a_long_subject_gives_way_to_its_follow_up_in_gaps():
    """Cut from the end, a subject of 300 characters hid the follow-up it was shown for."""
    subject = "Wie hoch ist die Förderung für Balkonkraftwerke in der Gemeinde Hinterwald? " * 4
    gaps = [Gap(Wording(subject, f"Und in Vorderwald {i}?"), 2, 2, 0, (), ()) for i in range(10)]
    embed = gaps_embed(gaps, 7, "de")
    within_limits(embed)
    assert [f.value.endswith(f" → Und in Vorderwald {i}?**") for i, f in enumerate(embed.fields)] == [True] * 10
    assert all(f.value.startswith("**Wie hoch ist die Förderung") for f in embed.fields)
    # the other wordings of a follow-up on the same subject are listed by their own words
    shown = Wording(subject, "Und in Vorderwald?")
    gap = Gap(shown, 2, 2, 0, (), (shown, Wording(subject, "And in Vorderwald?"), Wording("", "Und Vorderwald?")))
    (field,) = gaps_embed([gap], 7, "en").fields
    assert field.value.endswith("And in Vorderwald? · Und Vorderwald?")


def test_a_follow_up_too_long_for_its_field_still_shows_its_subject_and_its_start():
    """Cut from the end, the subject filled the field and the follow-up was not seen."""
    subject = "Wie hoch ist die Förderung für Balkonkraftwerke in der Gemeinde Hinterwald? " * 4
    follow_up = "Und wie hoch ist sie in Vorderwald, wenn man dort auch noch eine Wärmepumpe einbaut? " * 5
    gaps = [Gap(Wording(subject, follow_up.strip()), 2, 2, 0, (), ()) for _ in range(10)]
    embed = gaps_embed(gaps, 7, "de")
    within_limits(embed)
    for field in embed.fields:
        subject_shown, follow_up_shown = field.value.split(" → ")
        assert subject_shown.startswith("**Wie hoch ist die") and follow_up_shown.startswith("Und wie hoch ist sie")


def test_what_members_typed_is_shown_in_gaps_as_typed_not_as_links():
    """A masked link in a question or a 👎 reason had been a clickable link in the admins'
    channel ("[Admin-Passwort zurücksetzen](https://evil.example/login)")."""
    question = Wording("", "Wo ist das [Admin-Passwort zurücksetzen](https://evil.example/login) Formular?")
    reason = "**WICHTIG** [hier melden](https://evil.example/x) ||spoiler||"
    others = (question, Wording("", "Wo finde ich das *Formular*?"))
    (field,) = gaps_embed([Gap(question, 3, 1, 2, (reason,), others)], 7, "en").fields
    assert "](" not in field.value and not link_targets(field.value)  # nothing Discord reads as a link
    assert "\\*\\*WICHTIG\\*\\*" in field.value and "\\|\\|spoiler\\|\\|" in field.value
    assert "\\*Formular\\*" in field.value
    shown = "**Wo ist das [Admin-Passwort zurücksetzen]\\(https://evil.example/login) Formular?**"
    assert field.value.startswith(shown)


def test_a_follow_up_holding_an_arrow_keeps_its_own_words_in_gaps():
    """The subject and the follow-up were told apart by the last " → " of the line shown,
    so a follow-up that held one lost its first part to the subject."""
    subject = "Wie hoch ist die Förderung für Balkonkraftwerke in der Gemeinde Hinterwald? " * 4
    shown = Wording(subject, "Und Linz → Wels?")
    gap = Gap(shown, 2, 2, 0, (), (shown, Wording(subject, "And Linz → Wels?")))
    (field,) = gaps_embed([gap], 7, "de").fields
    within_limits(gaps_embed([gap], 7, "de"))
    bold, others = field.value.split("\n")
    assert bold.startswith("**Wie hoch ist die Förderung") and bold.endswith(" → Und Linz → Wels?**")
    assert others.endswith(": And Linz → Wels?")
    # a question of its own that reads as the follow-up shown is not listed beside it
    (field,) = gaps_embed([Gap(shown, 2, 2, 0, (), (shown, Wording("", str(shown))))], 7, "de").fields
    assert "\n" not in field.value


def test_long_citation_ids_and_a_long_scope_still_fit_and_stay_whole():
    cites = [replace(citation(n), id=f"{'x' * 195}-{n}#3") for n in range(1, 5)]
    a = Answer("Frage " * 100, " ".join(f"{LONG} [{n}]" for n in range(1, 5)), False, cites, "de")
    embed = answer_embed(a, 0.2, searched="Kategorie Politik · " * 200)
    within_limits(embed)
    assert [citation_id_from_field(embed, n) for n in range(1, 5)] == [c.id for c in cites]
    assert "[4]" in embed.description


def test_markdown_in_an_address_never_moves_the_citation_id_the_buttons_read():
    """``citation_id_from_field`` takes the text between the field's last two backticks:
    a backtick, ``)`` or ``>`` in the linked address would end the link or the id early."""
    for url in ("https://example.com/a`b_(c)", "https://example.com/x>y `z`", "https://example.com/q?a=(1) 2"):
        c = replace(citation(1, SENTENCE), title="T", url=url)
        embed = answer_embed(Answer("Frage?", f"{SENTENCE} [1]", False, [c], "de"), 0.1)
        value = embed.fields[0].value
        assert citation_id_from_field(embed, 1) == "artikel-1#3", value
        link = value[value.index("](") + 2 : -1]
        assert not set(link) & set("`()<> ") and link.startswith("https://example.com/"), value
    p = ParagraphView("a#1", "a", 1, SENTENCE, "", ArticleMeta(title="T", url="https://example.com/a`b_(c)"))
    assert paragraph_embed(SourceView(p, None, None), "de").url == "https://example.com/a%60b_%28c%29"


def test_article_titles_are_shown_verbatim_in_answers_sources_and_articles():
    """Like ``/search``: a title's ``**Sternchen**`` keeps its asterisks, and a long title
    still fits the embed title once escaped."""
    title = "Sensation: **Sternchen** und _Unterstrich_ " * 8
    shown = "Sensation: \\*\\*Sternchen\\*\\* und \\_Unterstrich\\_"
    c = replace(citation(1, SENTENCE), title=title)
    field = answer_embed(Answer("Frage?", f"{SENTENCE} [1]", False, [c], "de"), 0.1).fields[0]
    assert field.name.startswith(f"[1] {shown}") and len(field.name) <= 200
    meta = ArticleMeta(title=title, date="2025-07", n_paragraphs=1)
    source = paragraph_embed(SourceView(ParagraphView("a#1", "a", 1, SENTENCE, "", meta), None, None), "de")
    article = article_embed(ArticleSummary("a", meta), "de")
    for embed in (source, article):
        assert embed.title.startswith(shown) and len(embed.title) <= 256
        within_limits(embed)


def test_titles_show_the_question_without_mentions_links_or_markdown():
    """An embed title renders no mention: ``<@123>`` would show as digits."""
    asked = "<@123> Wie weit flogen die NATO-Raketen (3*4)? https://example.com/a"
    a = Answer(asked, SENTENCE + " [1]", False, [citation(1, SENTENCE)])
    assert answer_embed(a, 1.0).title == "Wie weit flogen die NATO-Raketen (3\\*4)?"
    assert search_embed(asked, Matches([], False), "de").title == "Wie weit flogen die NATO-Raketen (3\\*4)?"


def test_a_scope_of_a_hundred_sources_is_confirmed_and_shown_in_one_message():
    sources = tuple(f"Lokalredaktion Stadtteil {i:03d}" for i in range(120))
    scope = Scope(sources=sources, window_days=90, mode="auto")
    for key in ("scope_saved", "scope_is"):
        reply = t(key, "de", channel="<#123456789012345678>", what=describe(scope, "de"))
        assert len(reply) <= 2000 and "Stadtteil 000" in reply
        # the period and the mode are never what gives way
        assert reply.endswith(f"{t('scope_days', 'de', n=90)} · {t('scope_mode_auto', 'de')}")


def test_a_scope_shows_the_corpus_names_as_written():
    """/scope set and /scope show put a category or source as the corpus spells it (a
    feed's, a page's) into the reply as Markdown: a masked link, a spoiler."""
    scope = Scope(categories=("[Login](https://ev.il/x) ||x||",), window_days=90)
    shown = describe(scope, "en")
    assert shown == "[Login]\\(https://ev.il/x) \\|\\|x\\|\\| · last 90 days · answers mentions"
    assert link_targets(shown) == []
    # the audit log keeps the name as it is (/stats escapes what it shows of the log)
    assert describe(scope, "en", markdown=False) == "[Login](https://ev.il/x) ||x|| · last 90 days · answers mentions"


def test_an_ingest_summary_that_fills_a_message_is_sent_not_replaced_by_an_ellipsis():
    """/upload sends the summary and then the new citation ids; a summary of 1,999
    characters (many warnings) had been dropped whole for "…"."""
    from pathlib import Path

    from bot.cogs.admin import MESSAGE, summary_text
    from bot.embeds import lines_within
    from ingest.pipeline import IngestReport

    for pad in range(120):
        report = IngestReport(added=["a"], warnings=["Schwelle gestiegen " + "x" * pad] + ["w" * 95] * 20)
        summary = summary_text(report, "de", Path("/corpus"))
        reply = lines_within([summary, "`a#1` … `a#3`"], MESSAGE)
        assert len(reply) <= MESSAGE and reply.startswith(summary)  # whole, its line breaks kept
        assert reply in (summary, f"{summary}\n…", f"{summary}\n`a#1` … `a#3`") and "…\n…" not in reply
    assert lines_within(["x" * 2500, "y"], 10) == "xxxxxxxxx…"
    assert lines_within(["ab", "cd", "ef"], 6) == "ab\n…"
    # a kept line that ends in "…" itself had hidden that more lines followed
    assert lines_within(["a", "long line…", "c", "d"], 14) == "a\nlong line…\n…"


def test_an_upload_whose_embedder_cannot_load_fails_and_does_not_blame_the_file():
    """An embedder's error carries a reason, as a bad file's does: it had been shown as
    "Rejected", which tells the admin to fix the file."""
    import pickle

    from bot.cogs.admin import Admin
    from ingest.article import ParseError
    from vectorstore.errors import EmbedderError

    broken = pickle.loads(pickle.dumps(EmbedderError("cannot load EMBEDDING_MODEL='x': disk full", "disk full")))
    bad = pickle.loads(pickle.dumps(ParseError("bericht.md is not UTF-8 (line 3); re-save it as UTF-8", line=3)))
    assert Admin._upload_refusal(broken, "bericht.md", "en") == t(  # escaped, as every error a message quotes
        "upload_failed", "en", reason="cannot load EMBEDDING\\_MODEL='x': disk full", name="bericht.md"
    )
    assert Admin._upload_refusal(bad, "bericht.md", "en") == t("rejected", "en", reason=str(bad))
