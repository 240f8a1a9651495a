"""The parsers on real text: the seed article exactly, and every input format."""

import json

import pytest

from ingest.article import ParseError
from ingest.corpus import trash_article
from ingest.parse import is_heading, parse_json_record, parse_jsonl, parse_markdown, parse_native, validate_article_id
from ingest.sources import parse_file
from vectorstore.text import split_sentences

from .conftest import SEED, XQUAD, needs_seed, needs_xquad, write_jsonl


@needs_seed
def test_seed_article_parses_exactly():
    a = parse_native(SEED.read_text(encoding="utf-8"), SEED.stem)
    assert (a.date, a.dateline, a.agency) == ("2023-09", "ZIOLKOWSKI", "dpa-AFX")
    assert len(a.paragraphs) == 11
    assert a.headings == [
        "Krabben und Teigtaschen",
        "Alte Freunde",
        "Putin hat Probleme bei Feldzug gegen die Ukraine",
        "Waffenlieferungen aus Nordkorea für Russland?",
        "Putin sieht Perspektiven für militärtechnische Kooperation",
        "Kim an russischem Raketenprogramm interessiert",
    ]
    assert "650 Kilometer" in a.paragraphs[1].text
    assert a.paragraphs[10].text.endswith("voran.")
    assert a.author_code == "bal/DP/ngu"
    assert [p.n for p in a.paragraphs] == list(range(1, 12))
    # Headings belong to the paragraphs after them, and are not paragraphs themselves.
    assert a.paragraphs[2].heading == "Krabben und Teigtaschen"
    assert a.paragraphs[7].heading == "Putin sieht Perspektiven für militärtechnische Kooperation"
    assert not any(p.text in a.headings for p in a.paragraphs)
    assert a.title.startswith("Nordkoreas Staatschef Kim Jong Un")


def test_plain_txt_without_date_line_is_an_article():
    a = parse_native("Erster Absatz hier.\n\n\n\nZweiter Absatz.\n", "plain")
    assert [p.text for p in a.paragraphs] == ["Erster Absatz hier.", "Zweiter Absatz."]
    assert a.date == "" and a.title == "Erster Absatz hier"


def test_headings_rules():
    assert is_heading("Alte Freunde")
    assert is_heading("Waffenlieferungen aus Nordkorea für Russland?")
    assert not is_heading("Er kam.")
    assert not is_heading("Er sagte:")
    assert not is_heading(" ".join(["Wort"] * 30))


def test_headings_do_not_shift_paragraph_numbers():
    with_heading = parse_native("A eins.\n\nZwischentitel\n\nB zwei.\n\nC drei.", "x")
    without = parse_native("A eins.\n\nB zwei.\n\nC drei.", "x")
    assert [(p.n, p.text) for p in with_heading.paragraphs] == [(p.n, p.text) for p in without.paragraphs]


def test_only_headings_is_an_error():
    with pytest.raises(ParseError):
        parse_native("   \n\n\n", "x")


def test_markdown_front_matter_and_headings():
    md = (
        "---\ntitle: Ein Titel\ndate: 2024-05-17\nurl: https://example.org/a\nsource: Test\n---\n\n"
        "Erster Absatz.\n\n## Teil zwei\nZweiter Absatz.\n"
    )
    a = parse_markdown(md, "md1")
    assert (a.title, a.date, a.url, a.source) == ("Ein Titel", "2024-05-17", "https://example.org/a", "Test")
    assert [(p.n, p.heading, p.text) for p in a.paragraphs] == [
        (1, "", "Erster Absatz."),
        (2, "Teil zwei", "Zweiter Absatz."),
    ]


def test_a_markdown_paragraph_opening_with_a_hashtag_is_body_text():
    a = parse_markdown("Erster Absatz.\n\n#MeToo hat die Debatte verändert.\n\n## Teil zwei\n\nLetzter Absatz.", "m")
    assert [(p.heading, p.text) for p in a.paragraphs] == [
        ("", "Erster Absatz."),
        ("", "#MeToo hat die Debatte verändert."),
        ("Teil zwei", "Letzter Absatz."),
    ]


@pytest.mark.parametrize(
    "heading",
    ["  ## Eintritt", "## Eintritt", "#", "##\tEintritt"],
)
def test_text_right_under_a_markdown_heading_is_a_paragraph_however_the_heading_is_written(heading):
    """An indented heading, a bare "#" or a tab after the marks took the text under it
    into the heading: the article lost the paragraph, and the ingest said nothing."""
    text = f"# Zoo Ulm\n\nIn Ulm eröffnet ein neuer Zoo.\n\n{heading}\nDer Eintritt kostet 17 Euro.\n"
    a = parse_markdown(text, "zoo")
    assert a.title == "Zoo Ulm"
    assert [p.text for p in a.paragraphs] == ["In Ulm eröffnet ein neuer Zoo.", "Der Eintritt kostet 17 Euro."]
    assert a.paragraphs[1].heading == heading.strip().lstrip("#").strip()


@pytest.mark.parametrize("blank", ["\u00a0", " \u200b ", "\ufeff"])
def test_a_line_that_only_looks_empty_separates_paragraphs(blank):
    """Text copied from a web page: a line of a no-break or zero-width space read as part
    of one paragraph, and the next paragraph's id named nothing."""
    a = parse_native(f"date 2024-11 BONN - Bonn baut ein Hallenbad.\n{blank}\nDas Bad soll 2027 öffnen.\n", "bad")
    assert [p.text for p in a.paragraphs] == ["BONN - Bonn baut ein Hallenbad.", "Das Bad soll 2027 öffnen."]


def test_terminal_escape_sequences_in_an_article_are_stored_as_spaces():
    """``absatz source`` and ``ask`` print titles and paragraphs: an article's escape
    sequences had cleared the screen, retitled the window and printed a fake error line."""
    esc = "\x1b]0;PWNED\x07"
    record = {"id": "esc", "title": f"Stadtwerke {esc}Kassel", "text": "Strom kostet mehr.\x1b[2J\x1b[31m FEHLER"}
    jsonl = parse_json_record(record, 1)
    listed = parse_json_record({"id": "esc", "paragraphs": ["Strom kostet mehr.\x1b[2J", "\x1b\x07"]}, 1)
    assert len(listed.paragraphs) == 1  # one of control characters alone is no paragraph
    native = parse_native(f"Strom kostet mehr.{esc}\n\nZweiter Absatz.", "esc")
    markdown = parse_markdown(f"# Stadtwerke {esc}Kassel\n\nStrom kostet mehr.\x1b[2J", "esc")
    for a in (jsonl, listed, native, markdown):
        shown = " ".join([a.title, *(p.text for p in a.paragraphs)])
        assert "\x1b" not in shown and "\x07" not in shown and "Strom kostet mehr." in shown, shown


def test_a_runaway_markdown_heading_is_shortened_not_kept_whole():
    a = parse_markdown("Erster Absatz.\n\n## " + "Überschrift " * 300 + "\n\nZweiter Absatz.", "m")
    assert 0 < len(a.paragraphs[1].heading) <= 256 and a.paragraphs[1].text == "Zweiter Absatz."


def test_native_header_without_agency_keeps_every_word_of_the_body():
    text = (
        "date 2023-09-14 BERLIN - Die Koalition streitet.\n\n"
        "Auch Bundeskanzler Olaf Scholz (SPD) - der sich lange zurückhielt - äußerte sich am Montag."
    )
    a = parse_native(text, "x")
    assert (a.date, a.dateline, a.agency) == ("2023-09-14", "", "")
    oder = parse_native("date 2023-09-01 FRANKFURT (Oder) (dpa) - Der Text.\n\nZwei.", "y")
    assert (oder.dateline, oder.agency, oder.paragraphs[0].text) == ("FRANKFURT (Oder)", "dpa", "Der Text.")
    assert [p.text for p in a.paragraphs] == [
        "BERLIN - Die Koalition streitet.",
        "Auch Bundeskanzler Olaf Scholz (SPD) - der sich lange zurückhielt - äußerte sich am Montag.",
    ]


def test_markdown_bad_date_names_the_problem_and_its_line():
    with pytest.raises(ParseError, match="YYYY-MM") as err:
        parse_markdown("---\ntitle: Titel\nsource: Test\ndate: gestern\n---\nText.", "md2")
    assert err.value.line == 4


def test_empty_front_matter_is_closed_and_the_body_keeps_its_lines():
    a = parse_markdown("---\n---\n\nText hier.\n", "md4")
    assert [p.text for p in a.paragraphs] == ["Text hier."]
    with pytest.raises(ParseError, match="no body paragraphs") as err:
        parse_markdown("---\ntitle: T\n---\n\n## Nur Titel\n", "md5")
    assert err.value.line == 4


@pytest.mark.parametrize("date", ["2024-13", "2024-06-31", "2024-00", "2023-02-29"])
def test_a_date_that_is_no_day_of_the_calendar_is_refused_in_every_format(date):
    """A month 13 was stored and compared as an integer, landing the article in no real period."""
    with pytest.raises(ParseError, match="no day of the calendar") as native:
        parse_native(f"date {date} BERLIN (dpa) - Die Koalition streitet.", "n1")
    assert native.value.line == 1
    with pytest.raises(ParseError, match="no day of the calendar"):
        parse_markdown(f"---\ndate: {date}\n---\nText.", "md3")
    with pytest.raises(ParseError, match="no day of the calendar"):
        parse_json_record({"id": "j1", "date": date, "text": "Text."}, 4)
    assert parse_native("date 2024-02-29 BERLIN (dpa) - Die Koalition streitet.", "n2").date == "2024-02-29"


@pytest.mark.parametrize("date", ["20xx-01", "2023-9", "14.09.2023", "2023-09-14T10:00", "2023-09,"])
def test_a_date_line_whose_date_cannot_be_read_is_refused_with_its_file_and_line(tmp_path, date):
    """``date 20xx-01 …`` was no date line to the parser: the article came out undated,
    titled "date 20xx-01 BERLIN", and fell out of every period filter unnoticed."""
    path = tmp_path / "bad-date.txt"
    path.write_text(f"\ndate {date} BERLIN (dpa) - Die Koalition streitet.\n\nZweiter Absatz.", encoding="utf-8")
    articles, failures = parse_file(path)
    assert articles == [] and [(f.path, f.line) for f in failures] == [(str(path), 2)]
    assert f"bad-date.txt:2: date {date!r} is not YYYY-MM or YYYY-MM-DD" in str(failures[0])


@pytest.mark.parametrize(
    "text",
    [
        "Date 2024: die besten Apps für Singles\n\nDas Jahr beginnt mit neuen Apps.",
        "Datum 2024-01-05 war der Stichtag. Danach ging es schnell.",
        "date night in Berlin: 3 Restaurants im Test.\n\nDer erste Abend.",
    ],
)
def test_text_that_merely_opens_with_a_date_word_is_no_date_line(text):
    a = parse_native(text, "x")
    assert a.date == "" and a.paragraphs[0].text == " ".join(text.split("\n\n")[0].split())


def test_a_date_line_that_holds_only_its_date_keeps_it():
    """The seed's own date line is read as before by ``test_seed_article_parses_exactly``."""
    a = parse_native("date 2023-09\n\nNur ein Absatz.", "x")
    assert (a.date, [p.text for p in a.paragraphs]) == ("2023-09", ["Nur ein Absatz."])
    with pytest.raises(ParseError, match="no text"):
        parse_native("date 2023-09\n", "x")


def test_jsonl_paragraph_list_and_bad_lines():
    text = "\n".join(
        [
            json.dumps({"id": "a1", "paragraphs": ["Eins.", "Zwei."], "title": "T", "date": "2024-01"}),
            "{not json",
            json.dumps({"id": "a2"}),
            json.dumps({"id": "a3", "text": "Absatz eins.\n\nAbsatz zwei.", "category": "Kultur"}),
        ]
    )
    articles, errors = parse_jsonl(text + '\n{"id": "a4", "text": "Absatz.", "n": ' + "1" * 5000 + "}")
    assert [a.id for a in articles] == ["a1", "a3"]
    assert [(e.line, "JSON" in e.reason or "text" in e.reason) for e in errors] == [(2, True), (3, True), (5, True)]
    assert errors[2].reason == "malformed JSON: Exceeds the limit (4300 digits) for integer string conversion"
    assert articles[1].category == "Kultur" and len(articles[1].paragraphs) == 2


def test_jsonl_rejects_ids_that_would_break_citation_ids():
    with pytest.raises(ParseError, match="article id"):
        parse_json_record({"id": "../etc#1", "text": "x"}, line=4)


@pytest.mark.parametrize("article_id", ["ümlaut", "Straße-2024", "abc\n"])
def test_an_article_id_beyond_ascii_is_refused_by_a_message_that_says_ascii(article_id):
    """The message said "letters", and ü is a letter; a trailing newline passed the check."""
    with pytest.raises(ParseError, match=r"1-200 ASCII letters \(a-z, A-Z\), digits") as refused:
        validate_article_id(article_id, line=3)
    assert refused.value.line == 3
    assert validate_article_id("Strasse-2024_v1.2") == "Strasse-2024_v1.2"


@needs_xquad
def test_xquad_articles_parse_with_five_paragraphs_each():
    articles, errors = parse_jsonl((XQUAD / "articles.jsonl").read_text(encoding="utf-8"))
    assert not errors and len(articles) == 48
    assert {len(a.paragraphs) for a in articles} == {5}


def test_sentence_splitter_keeps_abbreviations_and_ordinals():
    text = (
        "Am 13. September kam Dr. Müller z. B. nach Berlin. In der 23. Minute fiel das Tor. Das war 2019. "
        "Danach nicht mehr. Er trainierte Hannover 96. Der Verein trennte sich von ihm."
    )
    assert split_sentences(text) == [
        "Am 13. September kam Dr. Müller z. B. nach Berlin.",
        "In der 23. Minute fiel das Tor.",
        "Das war 2019.",
        "Danach nicht mehr.",
        "Er trainierte Hannover 96.",
        "Der Verein trennte sich von ihm.",
    ]
    assert " ".join(split_sentences(text)) == text


def test_sentence_splitter_keeps_birth_years_bracketed_dates_and_dotted_abbreviations():
    """Each of these cut a 10kGNAD quote in two, so the answer lost its fact ("Riga")."""
    text = (
        "Die Künstlerin Vija Celmins (geb. 1938 in Riga) stellt aus. "
        "Das Team spielt gegen Moldau (5. September) und in Schweden (8. September). "
        "Die U.S. Army half. Er trainierte Wr. Neustadt. Sie spielen in der vierten Liga (5. Rang in Polen). "
        "Dann kam das Jahr 2019. Mehr nicht."
    )
    assert split_sentences(text) == [
        "Die Künstlerin Vija Celmins (geb. 1938 in Riga) stellt aus.",
        "Das Team spielt gegen Moldau (5. September) und in Schweden (8. September).",
        "Die U.S. Army half.",
        "Er trainierte Wr. Neustadt.",
        "Sie spielen in der vierten Liga (5. Rang in Polen).",
        "Dann kam das Jahr 2019.",
        "Mehr nicht.",
    ]


def test_sentence_splitter_keeps_et_al_regnal_numbers_and_nationalities():
    """Each cut an XQuAD-de or 10kGNAD quote in two: "Jones et al." lost the years that
    answer the question, "Queen Elizabeth II." her age. A Roman number before another
    word ends its sentence as often as not ("Hartz IV.")."""
    text = (
        "Die Erkenntnisse wurden von Jones et al. 1998 und Briffa 2000 gestützt. "
        "An der Feier nahmen Queen Elizabeth II. (89) und Prinz Philip teil. "
        "Rund 5,5 Millionen Menschen beziehen Hartz IV. Viele von ihnen arbeiten. "
        "Es sang Francisco Araiza, mex. Opernsänger, und Wolfgang Huber, ehem. EKD-Ratsvorsitzender."
    )
    assert split_sentences(text) == [
        "Die Erkenntnisse wurden von Jones et al. 1998 und Briffa 2000 gestützt.",
        "An der Feier nahmen Queen Elizabeth II. (89) und Prinz Philip teil.",
        "Rund 5,5 Millionen Menschen beziehen Hartz IV.",
        "Viele von ihnen arbeiten.",
        "Es sang Francisco Araiza, mex. Opernsänger, und Wolfgang Huber, ehem. EKD-Ratsvorsitzender.",
    ]


def test_sentence_splitter_keeps_academic_titles_whole():
    """ "Prof. Dr. med. Anna Roth" had been cut after "med.", so the quote named no one."""
    text = (
        "Die Klinik leitet Prof. Dr. med. Anna Roth. Ihr Stellvertreter ist Dr. rer. nat. Jan Berg. "
        "Die Halle plante Dipl.-Ing. Uwe Kern. Es sprach Abg. Lisa Ott. Sie wohnt in Berlin-Mitte. Dort lebt sie gern."
    )
    assert split_sentences(text) == [
        "Die Klinik leitet Prof. Dr. med. Anna Roth.",
        "Ihr Stellvertreter ist Dr. rer. nat. Jan Berg.",
        "Die Halle plante Dipl.-Ing. Uwe Kern.",
        "Es sprach Abg. Lisa Ott.",
        "Sie wohnt in Berlin-Mitte.",
        "Dort lebt sie gern.",
    ]
    # a title's parts are abbreviations only in a title: these end their sentences
    ended = (
        "Deutschland scheidet aus der Fußball-EM. Der Trainer geht. Sie ist Kundin der ING. Das ist, was er mag. Gut."
    )
    assert len(split_sentences(ended)) == 5


def test_footnote_references_are_left_out_of_the_text_and_other_brackets_kept():
    article = parse_native(
        "Die Quote sank.[2][3] Sie lag bei 9 Prozent [12]. Die Regel [Anm. d. Red.] gilt seit [2019].\n\n"
        "[1] steht am Anfang.",
        "fn",
    )
    assert [p.text for p in article.paragraphs] == [
        "Die Quote sank. Sie lag bei 9 Prozent. Die Regel [Anm. d. Red.] gilt seit [2019].",
        "[1] steht am Anfang.",
    ]
    # a Markdown link's text and a list's numbers on lines of their own are no footnotes
    listed = parse_native(
        "Lies den Bericht [1](https://x.example/b) und [[2]](#cite_note-2).\n[1] Eins.\n[2] Zwei.", "md"
    )
    assert (
        listed.paragraphs[0].text
        == "Lies den Bericht [1](https://x.example/b) und [[2]](#cite_note-2). [1] Eins. [2] Zwei."
    )
    records, errors = parse_jsonl('{"id": "j1", "paragraphs": ["Sie sank auf 9 Prozent.[4]"]}')
    assert not errors and records[0].paragraphs[0].text == "Sie sank auf 9 Prozent."


def test_a_jsonl_line_with_an_id_an_earlier_line_has_is_a_bad_line():
    """Taken, one id would cite two texts; the folder ingest named no line for it."""
    text = '{"id": "a1", "text": "Eins."}\n\n{"id": "b2", "text": "Zwei."}\n{"id": "a1", "text": "Drei."}\n'
    articles, errors = parse_jsonl(text)
    assert [a.id for a in articles] == ["a1", "b2"] and articles[0].paragraphs[0].text == "Eins."
    assert [(e.line, str(e)) for e in errors] == [(4, "duplicate article id 'a1' (first on line 1)")]


def test_removing_one_article_keeps_a_broken_line_of_its_jsonl_file(tmp_path):
    """``/remove`` of a good article in a file that also holds a line with a number of
    5,000 digits had ended in a traceback: that line stays in the file, as any bad line."""
    broken = '{"id": "kaputt", "text": "x", "n": ' + "1" * 5000 + "}"
    path = write_jsonl(tmp_path / "corpus" / "a.jsonl", [{"id": "weg", "text": "A."}, {"id": "bleibt", "text": "B."}])
    path.write_text(path.read_text(encoding="utf-8") + broken + "\n", encoding="utf-8")
    trashed = trash_article(tmp_path / "corpus", path, "weg")
    assert trashed is not None and json.loads(trashed.read_text(encoding="utf-8"))["id"] == "weg"
    assert path.read_text(encoding="utf-8").splitlines() == ['{"id": "bleibt", "text": "B."}', broken]


def test_removing_one_article_leaves_every_other_line_of_its_jsonl_file_whole(tmp_path):
    """The file is cut into lines as the parser cuts it: a text holding U+2028 (valid in a
    JSON string, common in CMS exports) had been split in two by ``splitlines``, and an id
    written with spaces, or behind a byte order mark, had stayed in the file, so the
    removed article came back with the next ingest."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    path = corpus / "a.jsonl"
    lines = [
        json.dumps({"id": " weg1 ", "text": "Eins."}),
        json.dumps({"id": "bleibt", "text": "Zeile\u2028mit Trenner."}, ensure_ascii=False),
        json.dumps({"id": "weg2", "text": "Zwei."}),
    ]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    for gone in ("weg2", "weg1"):
        trashed = trash_article(corpus, path, gone)
        assert trashed is not None and json.loads(trashed.read_text(encoding="utf-8"))["id"].strip() == gone
    articles, errors = parse_jsonl(path.read_text(encoding="utf-8"))
    assert errors == [] and [a.id for a in articles] == ["bleibt"]
    assert articles[0].paragraphs[0].text == "Zeile mit Trenner."  # whitespace, as stored


def test_a_jsonl_file_of_blank_lines_is_an_error_of_the_file(tmp_path):
    """As an empty file is: read as holding no articles, it would remove all it held."""
    path = tmp_path / "leer.jsonl"
    path.write_text("\n  \n\n", encoding="utf-8")
    articles, failures = parse_file(path)
    assert articles == [] and [(f.line, f.reason) for f in failures] == [(None, "file holds only blank lines")]


@pytest.mark.parametrize(
    "items, reason",
    [
        ([{"x": 1}], "'paragraphs' item 1 is an object, not a string"),
        (["Gut.", 5], "'paragraphs' item 2 is a number, not a string"),
        (["Gut.", None], "'paragraphs' item 2 is null, not a string"),
        (["Gut.\x00Böse."], "'paragraphs' item 1 contains NUL bytes"),
    ],
)
def test_a_paragraph_that_is_no_text_fails_its_line(items, reason):
    """It had been stored as its Python spelling ("{'x': 1}", "None")."""
    text = json.dumps({"id": "ok", "text": "Gut."}) + "\n" + json.dumps({"id": "a2", "paragraphs": items}) + "\n"
    articles, errors = parse_jsonl(text)
    assert [a.id for a in articles] == ["ok"] and [(e.line, e.reason) for e in errors] == [(2, reason)]


@pytest.mark.parametrize(
    "field, value, reason",
    [
        ("title", {"de": "Neue Brücke", "en": "New bridge"}, "'title' is an object, not a string"),
        ("category", ["Politik", "Lokal"], "'category' is a list, not a string"),
        ("url", {"href": "https://example.org/a"}, "'url' is an object, not a string"),
        ("title", True, "'title' is true, not a string"),
    ],
)
def test_metadata_that_is_no_text_fails_its_line(field, value, reason):
    """It had been stored, and cited, as its Python spelling ("{'de': 'Neue Brücke', …}")."""
    good = {"id": "ok", "text": "Gut.", "source": 7, "agency": None}  # a number is text, null is nothing
    text = json.dumps(good) + "\n" + json.dumps({"id": "a2", "text": "Gut.", field: value}) + "\n"
    articles, errors = parse_jsonl(text)
    assert [(a.id, a.source, a.agency) for a in articles] == [("ok", "7", "")]
    assert [(e.line, e.reason) for e in errors] == [(2, reason)]


def test_decomposed_text_is_read_composed(tmp_path):
    """Copied on macOS, "ü" arrives as "u" and a combining mark: the quote looked the same,
    but keyword search cut every such word in two and missed it."""
    import unicodedata

    from vectorstore.text import query_terms, tokenize

    text = "date 2025-02 GÖRLITZ (x) - In Görlitz übernimmt Bärbel Schönhüber die Leitung der Bühne.\n"
    path = tmp_path / "buehne.txt"
    path.write_text(unicodedata.normalize("NFD", text), encoding="utf-8")
    ((article,), failures) = parse_file(path)
    assert not failures and article.paragraphs[0].text.startswith("In Görlitz übernimmt Bärbel Schönhüber")
    assert tokenize(unicodedata.normalize("NFD", "Schönhüber")) == ["schonhub"]
    assert query_terms(unicodedata.normalize("NFD", "Wer ist Frau Schönhüber?")) == ["frau", "schonhub"]


@pytest.mark.parametrize("opening", ["--- ", "---\t"])
def test_front_matter_opens_with_trailing_spaces_as_it_closes_with_them(opening):
    """The closing line took trailing spaces, the opening one did not: its title and date
    had become the first paragraph."""
    a = parse_markdown(f"{opening}\ntitle: Mein Titel\ndate: 2024-01-02\n---\n\nText hier.\n", "md6")
    assert (a.title, a.date, [p.text for p in a.paragraphs]) == ("Mein Titel", "2024-01-02", ["Text hier."])


def test_a_first_line_of_more_dashes_is_a_rule_in_the_text_not_front_matter():
    a = parse_markdown("----------\nDer Rat tagte.\n\n-----\n\nMehr Text.\n", "md7")
    assert [p.text for p in a.paragraphs] == ["---------- Der Rat tagte.", "-----", "Mehr Text."]


def test_utf16_text_is_named_as_such(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("Ein Artikel über Köln.".encode("utf-16"))
    _, failures = parse_file(path)
    assert [f.reason for f in failures] == ["UTF-16 text; re-save the file as UTF-8"]
