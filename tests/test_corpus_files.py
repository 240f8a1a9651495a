"""Names of uploaded corpus files: what is refused, and that the refusal says why."""

import re

import pytest

from ingest.article import ParseError
from ingest.corpus import parse_upload, safe_filename

ARTICLE = b"date 2025-05 BERLIN (dpa) - Die Koalition streitet.\n\nZweiter Absatz."


@pytest.mark.parametrize("name", ["ümlaut.txt", "Straße.md", "café-news.jsonl"])
def test_a_file_name_beyond_ascii_is_refused_by_a_message_that_says_ascii(name):
    """The message said "may only use letters", and ü is a letter."""
    with pytest.raises(ParseError, match=r"may only use ASCII letters \(a-z, A-Z\), digits, '\.', '_' and '-'"):
        parse_upload(name, ARTICLE, max_bytes=1_000_000)


@pytest.mark.parametrize("name", ["..evil.txt", "-x.txt", "a" * 148 + ".txt", "news.txt\n"])
def test_the_message_names_every_rule_the_name_broke(name):
    rules = "start with a letter or digit, hold no '..' and be at most 151 characters long"
    with pytest.raises(ParseError, match=re.escape(rules)):
        safe_filename(name)


def test_a_plain_ascii_name_is_taken_as_is():
    name, (article,) = parse_upload("Umlaut-2025_05.txt", ARTICLE, max_bytes=1_000_000)
    assert (name, article.id, article.date) == ("Umlaut-2025_05.txt", "Umlaut-2025_05", "2025-05")
    assert safe_filename("a" * 147 + ".txt") == "a" * 147 + ".txt"
