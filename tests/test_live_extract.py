"""HTML → article: the paragraphs and headings of each test page, exactly, and nothing
of the boilerplate around them (pages under ``tests/data/web/pages`` are shaped like real
German news pages: cookie banner, navigation, teaser boxes, related links, comments).
"""

from __future__ import annotations

import pytest

from ingest.live.extract import Block, ExtractError, extract_article, extract_fragment
from ingest.live.language import detect_language

from .web_server import PAGES, expected_page

BASE = "https://www.example-news.de"
PAGES_WITH_ARTICLES = ["waermenetz", "hochwasser", "tarif", "english"]

# Text that is on the pages but is not the article.
BOILERPLATE = [
    "Cookies",
    "Alle akzeptieren",
    "Datenschutz",
    "Impressum",
    "Politik",
    "Newsletter",
    "Meistgelesen",
    "Busfahrplan",
    "Lesen Sie auch",
    "Gaspreise",
    "Mehr zum Thema",
    "Solarpark",
    "Kommentare",
    "Klaus M.",
    "Endlich passiert mal was",
    "Skandinavien",
    "Anzeige",
    "Teilen",
    "Fernwärme Stadtwerke",
    "Ihre Privatsphäre",
    "Werbefrei",
    "Foto: Archiv",
    "Pegel Trier",
    "Zum Thema",
    "Weinlese",
    "Moselfähre",
    "Leserkommentare",
    "Sechs Jahre?",
    "Eintracht Trier",
    "Wärmepumpe sichern",
    "Kita-Gebühren",
    "A20: Baustelle",
    "Warnstreik legt",
    "Empfohlen von unseren Partnern",
    "Stromrechnung",
    "Kommentarfunktion",
    "JavaScript",
    "We use cookies",
    "Related stories",
    "Shipping rates",
]


def load(name: str) -> tuple[bytes, dict]:
    expected = expected_page(name)
    html = (PAGES / f"{name}.html").read_bytes().replace(b"{base}", BASE.encode())
    return html, expected


def as_blocks(expected: dict) -> list[Block]:
    return [Block(b["heading"], heading=True) if "heading" in b else Block(b["paragraph"]) for b in expected["blocks"]]


@pytest.mark.parametrize("name", PAGES_WITH_ARTICLES)
def test_paragraphs_and_headings_match_the_article_exactly(name):
    html, expected = load(name)
    article = extract_article(html, BASE + expected["path"] + "?utm_source=rss")
    assert list(article.blocks) == as_blocks(expected)


@pytest.mark.parametrize("name", PAGES_WITH_ARTICLES)
def test_no_boilerplate_survives(name):
    html, expected = load(name)
    article = extract_article(html, BASE + expected["path"])
    text = "\n".join(b.text for b in article.blocks)
    body = "\n".join(b.get("paragraph", b.get("heading")) for b in expected["blocks"])
    leaked = [s for s in BOILERPLATE if s in text and s not in body]
    assert leaked == []


@pytest.mark.parametrize("name", PAGES_WITH_ARTICLES)
def test_metadata(name):
    html, expected = load(name)
    article = extract_article(html, BASE + expected["path"])
    assert (article.title, article.date, article.author, article.site, article.category) == (
        expected["title"],
        expected["date"],
        expected["author"],
        expected["site"],
        expected["category"],
    )
    assert article.language == ("en" if name == "english" else "de")
    assert article.lead == next(b["paragraph"] for b in expected["blocks"] if "paragraph" in b)


def test_canonical_url_from_the_page_without_tracking_parameters():
    html, _ = load("hochwasser")  # canonical carries utm_source and utm_medium
    article = extract_article(html, BASE + "/region/41234?from=teaser")
    assert article.url == BASE + "/region/hochwasserschutz-mosel-a-41234.html"


def test_no_canonical_means_the_fetched_url():
    html, expected = load("tarif")
    article = extract_article(html, BASE + expected["path"] + "?utm_medium=rss#top")
    assert article.url == BASE + expected["path"]


def test_a_canonical_url_whose_port_is_no_port_is_not_believed():
    html, _ = load("hochwasser")
    html = html.replace(b'href="' + BASE.encode() + b"/region/", b'href="' + BASE.encode() + b":99999/region/", 1)
    assert b":99999/region/" in html
    assert extract_article(html, BASE + "/region/41234").url == BASE + "/region/41234"


def test_a_canonical_url_on_another_site_is_not_believed():
    html, expected = load("english")  # claims a canonical URL on tagesschau.de
    article = extract_article(html, BASE + expected["path"])
    assert article.url == BASE + expected["path"]


def test_tags_and_keywords():
    html, _ = load("hochwasser")
    assert extract_article(html, BASE + "/x").tags == ("Hochwasser", "Mosel", "Deiche", "Klimaanpassung")
    html, _ = load("tarif")
    assert extract_article(html, BASE + "/y").tags == ("Tarifstreit", "Nahverkehr")


def test_a_page_in_another_language_is_refused_with_a_reason():
    html = (PAGES / "francais.html").read_bytes()
    with pytest.raises(ExtractError) as err:
        extract_article(html, BASE + "/politique/budget-ecoles")
    assert str(err.value) == (
        f"{BASE}/politique/budget-ecoles: the article is in French (fr); only German and English articles are ingested"
    )


def test_english_is_accepted_but_refused_where_only_german_is_wanted():
    html, expected = load("english")
    assert extract_article(html, BASE + expected["path"]).language == "en"
    with pytest.raises(ExtractError, match="is in English"):
        extract_article(html, BASE + expected["path"], languages=("de",))


FINNISH = (
    "Hallitus kertoi keskiviikkona, että pienten yritysten verotus kevenee ensi vuonna. Ministeriön mukaan "
    "muutos on tärkeä askel talouden kannalta, ja sitä seuraavat muut toimet syksyllä. "
)
RUSSIAN = "Правительство в среду сообщило, что налоги для малого бизнеса будут снижены в следующем году. "
SHORT_GERMAN = "Ein Blitz hat am Montag ein Haus in Lienz getroffen. Verletzt wurde niemand, die Feuerwehr löschte."


@pytest.mark.parametrize(
    "text, refused",
    [
        (FINNISH * 6, True),  # 1,200 characters: German or English would have shown their function words
        (RUSSIAN * 2, True),  # short, but no German or English is written in Cyrillic
        (FINNISH * 2, False),  # short Latin text: too little to tell, so not refused
        (SHORT_GERMAN * 2, False),
        # German quoting English at length: too even to name, but surely one of them
        (
            "Der Minister sagte am Montag in der Debatte, dass er das Gesetz nicht unterstützen werde. " * 8
            + "The minister said that he would not support the law, and that it was a mistake. " * 6,
            False,
        ),
    ],
)
def test_a_page_whose_language_is_not_named_is_refused_when_it_surely_is_none_of_the_accepted(text, refused):
    """A page without ``lang`` in a language the function-word lists do not know (Finnish,
    Russian, Chinese, …) had passed ``FEEDS_LANGUAGES=de,en`` and was ingested."""
    page = f"<html><head><title>Uutiset</title></head><body><article><h1>Uutiset</h1><p>{text}</p></article>"
    paragraph = f"<p>{text}</p>"
    for extract in (
        lambda: extract_article(page, BASE + "/uutiset"),
        lambda: extract_fragment(paragraph, BASE + "/uutiset", "Uutiset"),
    ):
        if not refused:
            assert extract().language in ("", "de")
            continue
        with pytest.raises(ExtractError) as err:
            extract()
        assert str(err.value) == (
            f"{BASE}/uutiset: the article is not in German or English; only German and English articles are ingested"
        )
    assert extract_article(page, BASE + "/uutiset", languages=()).paragraphs  # no FEEDS_LANGUAGES: all taken
    # A language the detector does not know may be wanted: then nothing is judged so.
    for wanted in (("de", "ru"), ("de", "fi")):
        assert extract_article(page, BASE + "/uutiset", languages=wanted).paragraphs


def test_a_german_results_table_without_lang_is_not_taken_for_a_foreign_language():
    """No function words either, but a table or a ticker: refused for good, it would have
    cost a feed's results item."""
    rows = "".join(
        f"<p>{i}. Spieltag: FC Bayern München – Borussia Dortmund 2:1, VfB Stuttgart – Werder Bremen 0:0, "
        "Eintracht Frankfurt – SC Freiburg 3:2.</p>"
        for i in range(1, 10)
    )
    assert len(extract_fragment(rows, BASE + "/ergebnisse", "Ergebnisse").paragraphs) == 9


@pytest.mark.parametrize(
    "html, reason",
    [
        ((PAGES / "video.html").read_bytes(), "no article text found on the page (only"),
        (
            b"<html><body><div id='root'></div><script src='/app.js'></script></body></html>",
            "no article text found on the page",
        ),
        (b"", "not an HTML page"),
    ],
)
def test_a_page_without_article_text_is_an_error(html, reason):
    with pytest.raises(ExtractError) as err:
        extract_article(html, BASE + "/video/sturm")
    assert str(err.value).startswith(f"{BASE}/video/sturm: {reason}")


CONSENT = (
    "<html lang='de'><head><title>Nachrichten aus der Region</title></head><body><main><h1>Ihre Privatsphäre</h1>"
    "<p>Wir verwenden Cookies und ähnliche Technologien, um Inhalte zu personalisieren und Werbung anzuzeigen. "
    "Mit Klick auf „Alle akzeptieren“ willigen Sie in die Verarbeitung Ihrer Daten durch uns und unsere 142 "
    "Partner ein.</p><p>Ihre Einwilligung können Sie jederzeit in den Datenschutzeinstellungen widerrufen. Sie "
    "können unser Angebot auch werbefrei im Abo lesen.</p><p><button>Alle akzeptieren</button></p></main></body></html>"
)
CONSENT_EN = (
    "<html lang='en'><head><title>Daily News</title></head><body><main><h1>We value your privacy</h1>"
    "<p>We and our partners use cookies to store and access information on your device. You can accept all "
    "cookies or manage your privacy settings at any time. By clicking accept, you consent to tracking for "
    "personalised ads.</p></main></body></html>"
)
MISSING = (
    "<html lang='de'><head><title>Seite nicht gefunden | Tagesblatt</title></head><body><main>"
    "<h1>Diese Seite wurde leider nicht gefunden</h1><p>Der von Ihnen aufgerufene Artikel existiert nicht mehr "
    "oder wurde verschoben. Nutzen Sie unsere Suche oder besuchen Sie die Startseite, um aktuelle Nachrichten aus "
    "der Region zu lesen.</p></main></body></html>"
)
ABOUT_COOKIES = (
    "<html lang='de'><head><title>EuGH: Cookie-Banner brauchen Ablehnen-Knopf</title></head><body><article>"
    "<h1>EuGH: Cookie-Banner brauchen Ablehnen-Knopf</h1><p>Der Europäische Gerichtshof hat am Dienstag "
    "entschieden, dass Webseiten das Ablehnen von Cookies so einfach machen müssen wie das Akzeptieren. Geklagt "
    "hatte der Verbraucherzentrale Bundesverband gegen einen Online-Händler.</p><p>Nutzer müssten ihre "
    "Einwilligung frei und informiert geben können, hieß es in dem Urteil. Ein Banner, das nur „Alle "
    "akzeptieren“ anbiete, genüge dem nicht. Sie können sich nun auf das Urteil berufen.</p></article></body></html>"
)


@pytest.mark.parametrize(
    "html, reason",
    [
        (CONSENT, "the page shows a cookie or consent notice instead of the article"),
        (CONSENT_EN, "the page shows a cookie or consent notice instead of the article"),
        (MISSING, "the page says the article was not found"),
    ],
)
def test_a_consent_notice_or_a_not_found_page_served_for_an_article_is_no_article(html, reason):
    """Both had been ingested as articles under status 200, and cited in answers."""
    with pytest.raises(ExtractError) as err:
        extract_article(html, BASE + "/politik/artikel")
    assert str(err.value) == f"{BASE}/politik/artikel: {reason}"


def test_an_article_about_cookie_banners_is_an_article():
    article = extract_article(ABOUT_COOKIES, BASE + "/recht/cookies")
    assert article.title == "EuGH: Cookie-Banner brauchen Ablehnen-Knopf" and len(article.paragraphs) == 2


def test_full_text_from_a_feed_item():
    fragment = (
        "<p>Der Landtag hat am Mittwoch das neue Schulgesetz beschlossen. Künftig müssen alle Grundschulen "
        "im Land eine verlässliche Betreuung bis 16 Uhr anbieten.</p><h2>Mehr Stellen</h2>"
        "<p>Dafür will das Land bis 2027 rund 600 zusätzliche Stellen schaffen, teilte das Ministerium mit.</p>"
        "<p>Die Opposition kritisierte, dass viele Stellen schon heute nicht besetzt seien.</p>"
    )
    article = extract_fragment(fragment, BASE + "/landtag/schule?utm_source=rss", "Schulgesetz beschlossen")
    assert article.url == BASE + "/landtag/schule"
    assert article.title == "Schulgesetz beschlossen"
    assert [b.heading for b in article.blocks] == [False, True, False, False]
    assert article.headings == ["Mehr Stellen"]
    assert article.paragraphs[1].startswith("Dafür will das Land bis 2027")


@pytest.mark.parametrize("reference", ["&#1;", "&#x8;", "&#27", "&#xfffe;", "&#99999999999;"])
def test_a_reference_to_a_control_character_does_not_cost_the_article(reference):
    """lxml keeps what XML cannot hold, and trafilatura then found no text at all: the
    poller had skipped such an item for good."""
    # the page in ASCII with its umlauts as references, as a server may send it without a
    # charset: then it reaches the parser as bytes
    body = "Der Gemeinderat hat den Bau einer neuen Grundschule beschlossen, sagte die B&#252;rgermeisterin."
    paragraphs = "".join(f"<p>Absatz {i}: {body}</p>" for i in range(4)) + f"<p>Zuletzt{reference} 5&#8364; mehr.</p>"
    page = f"<html lang=de><head><title>Schule</title></head><body><article><h1>Schule</h1>{paragraphs}</article>"
    for article in (
        extract_article(page.encode(), BASE + "/schule"),
        extract_fragment(paragraphs, BASE + "/schule", "Schule"),
    ):
        assert len(article.paragraphs) == 5 and article.paragraphs[-1] == "Zuletzt 5€ mehr."
        assert article.paragraphs[0].endswith("sagte die Bürgermeisterin.")


@pytest.mark.parametrize(
    "text, declared, language",
    [
        (
            "Die Bundesregierung hat am Mittwoch beschlossen, dass die Steuern für kleine Betriebe sinken sollen. "
            "Das ist nach Angaben des Ministeriums ein wichtiger Schritt für den Mittelstand und die Wirtschaft.",
            "",
            "de",
        ),
        (
            "The government said on Wednesday that taxes for small businesses would fall. It was an important step "
            "for the economy, the ministry said, and it would be followed by further measures.",
            "",
            "en",
        ),
        (
            "Le gouvernement a annoncé mercredi que les impôts des petites entreprises vont baisser. C'est une étape "
            "importante pour l'économie selon le ministère qui prépare aussi d'autres mesures pour les familles.",
            "",
            "fr",
        ),
        ("Kurz", "de-DE", "de"),  # too short to tell: the page's lang attribute decides
        ("Kurz", "", ""),
    ],
)
def test_language_detection(text, declared, language):
    assert detect_language(text, declared) == language


def with_head(html: bytes, tag: str) -> bytes:
    return html.replace(b"</head>", tag.encode() + b"</head>", 1)


@pytest.mark.parametrize(
    "declaration",
    [
        f'<link rel="canonical" href="{BASE}/">',
        f'<meta property="og:url" content="{BASE}">',
        f'<link rel="canonical" href="{BASE}/nachrichten/">',  # the section above the article
    ],
)
def test_a_canonical_url_above_the_page_is_not_believed(declaration):
    """A template naming the homepage or the section on every article would give all of
    them one id, each overwriting the last."""
    html, expected = load("tarif")
    html = with_head(html, declaration)
    first = extract_article(html, BASE + expected["path"])
    second = extract_article(html, BASE + "/nachrichten/andere-meldung-56.html")
    assert (first.url, second.url) == (BASE + expected["path"], BASE + "/nachrichten/andere-meldung-56.html")


def test_a_canonical_url_without_the_query_that_picks_the_article_is_not_believed():
    """``/artikel.php?id=123`` and ``?id=456`` both claiming ``/artikel.php`` would share one id."""
    html, _ = load("tarif")
    html = with_head(html, f'<link rel="canonical" href="{BASE}/artikel.php">')
    first = extract_article(html, BASE + "/artikel.php?id=123&utm_source=feed")
    second = extract_article(html, BASE + "/artikel.php?id=456")
    assert (first.url, second.url) == (BASE + "/artikel.php?id=123", BASE + "/artikel.php?id=456")
    assert extract_article(html, BASE + "/artikel.php?seite=2").url == BASE + "/artikel.php"  # a rendering


@pytest.mark.parametrize(
    ("fetched", "canonical"),
    [
        ("/nachrichten/tarif-100/amp", "/nachrichten/tarif-100"),  # the AMP rendering
        ("/nachrichten/tarif-100/druckansicht", "/nachrichten/tarif-100"),
        ("/news/123456/tarifeinigung-erzielt", "/news/123456"),  # the article's number, the slug dropped
    ],
)
def test_a_canonical_url_of_a_variant_of_the_article_is_believed(fetched, canonical):
    html, _ = load("tarif")
    html = with_head(html, f'<link rel="canonical" href="{BASE}{canonical}">')
    assert extract_article(html, BASE + fetched).url == BASE + canonical


def test_a_relative_canonical_url_is_read_against_the_fetched_url():
    html, _ = load("hochwasser")
    html = html.replace(b'href="' + BASE.encode() + b"/region/", b'href="/region/', 1)
    assert b'href="/region/hochwasserschutz' in html
    article = extract_article(html, BASE + "/region/41234?from=teaser")
    assert article.url == BASE + "/region/hochwasserschutz-mosel-a-41234.html"


def test_a_line_break_separates_words_and_inline_markup_does_not():
    fragment = (
        "<p>Schwerin<br>Der Landtag hat am Mittwoch das neue Schul<b>gesetz</b> beschlossen.<br/>Künftig müssen "
        "alle Grundschulen im Land eine <em>verlässliche</em> Betreuung bis 16 Uhr anbieten.</p>"
        "<p>Dafür will das Land bis 2027 rund 600 zusätzliche Stellen schaffen, teilte das Ministerium mit.</p>"
    )
    article = extract_fragment(fragment, BASE + "/landtag/schule", "Schulgesetz beschlossen")
    assert article.lead == (
        "Schwerin Der Landtag hat am Mittwoch das neue Schulgesetz beschlossen. Künftig müssen "
        "alle Grundschulen im Land eine verlässliche Betreuung bis 16 Uhr anbieten."
    )


@pytest.mark.parametrize(
    "prefix, header",
    [(b"\xef\xbb\xbf", "iso-8859-1"), (b"", "iso-8859-1"), (b"", "windows-1252")],
    ids=["bom", "latin1-header", "cp1252-header"],
)
def test_utf8_bytes_are_read_as_utf8_whatever_the_header_says(prefix, header):
    html, expected = load("tarif")
    article = extract_article(prefix + html, BASE + expected["path"], charset=header)
    assert (article.title, article.lead) == (expected["title"], as_blocks(expected)[0].text)


def test_a_single_byte_page_is_read_with_the_header_charset():
    html, expected = load("tarif")
    cp1252 = html.decode("utf-8").encode("cp1252")
    article = extract_article(cp1252, BASE + expected["path"], charset="windows-1252")
    assert (article.title, article.lead) == (expected["title"], as_blocks(expected)[0].text)


@pytest.mark.parametrize("header", ["ISO-8859-1", "latin1"])
def test_a_windows_1252_page_that_names_latin_1_keeps_its_euro_sign_quotes_and_dashes(header):
    """Browsers read these labels as windows-1252; strict Latin-1 had stored "€", „“ and
    "–" as control characters, shown as spaces ("120 Millionen  in das Wärmenetz")."""
    lead = "Die Stadtwerke investieren 120 Millionen € in das neue Wärmenetz – „ein großer Schritt“, sagt der Chef."
    page = (
        "<html><head><title>Wärmenetz</title></head><body><article><h1>Wärmenetz wird ausgebaut</h1>"
        f"<p>{lead}</p><p>Der Ausbau beginnt im Frühjahr und soll bis 2030 rund 40.000 Haushalte erreichen.</p>"
        "</article></body></html>"
    ).encode("cp1252")
    article = extract_article(page, BASE + "/stadt/waermenetz", charset=header)
    assert article.lead == lead
    # one of its five undefined bytes (0x81) had sent the whole page back to strict Latin-1
    odd = page.replace(b"</article>", b"<p>Kontakt: Stadtwerke \x81 Pressestelle</p></article>")
    assert extract_article(odd, BASE + "/stadt/waermenetz", charset=header).lead == lead


def test_a_nested_list_keeps_the_outer_items_words_and_its_own_items():
    fragment = (
        "<p>Der Landtag hat am Mittwoch das neue Schulgesetz beschlossen. Künftig müssen alle Grundschulen "
        "im Land eine verlässliche Betreuung bis 16 Uhr anbieten.</p>"
        "<ul><li>Große Schulen ab August<ul><li>Schwerin, Rostock</li><li>Neubrandenburg</li></ul></li>"
        "<li>Kleine Schulen ab 2027</li></ul>"
    )
    article = extract_fragment(fragment, BASE + "/landtag/schule", "Schulgesetz beschlossen")
    assert article.paragraphs[1:] == [
        "Große Schulen ab August",
        "Schwerin, Rostock",
        "Neubrandenburg",
        "Kleine Schulen ab 2027",
    ]


def test_paragraphs_inside_a_list_item_keep_their_words_apart():
    fragment = (
        "<p>Der Landtag hat am Mittwoch das neue Schulgesetz beschlossen. Künftig müssen alle Grundschulen "
        "im Land eine verlässliche Betreuung bis 16 Uhr anbieten.</p>"
        "<ul><li><p>Große Schulen ab August</p><p>Kleine Schulen ab 2027</p></li></ul>"
    )
    article = extract_fragment(fragment, BASE + "/landtag/schule", "Schulgesetz beschlossen")
    assert article.paragraphs[1:] == ["Große Schulen ab August Kleine Schulen ab 2027"]
