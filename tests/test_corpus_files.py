"""Uploaded corpus files: what is refused (names, an id twice), and that the refusal says why."""

import json
import re

import pytest

from absatz.corpus import Corpus
from absatz.db.audit import AuditLog
from absatz.settings import Settings
from ingest.article import ParseError
from ingest.corpus import parse_upload, safe_filename
from ingest.settings import IngestSettings

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


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_an_id_twice_in_one_upload_is_refused_naming_both_lines():
    """Taken, the second line failed on every later /reingest of the folder."""
    data = jsonl({"id": "a1", "text": "Eins."}, {"id": "b2", "text": "Zwei."}).replace(b"\n", b"\r\n")
    data += b"\n" + jsonl({"id": "a1", "text": "Drei."})
    with pytest.raises(ParseError, match=r"^dup\.jsonl line 4: duplicate article id 'a1' \(first on line 1\) "):
        parse_upload("dup.jsonl", data, max_bytes=1_000_000)


def test_a_rejected_upload_writes_nothing_and_is_audited(tmp_path):
    corpus = Corpus(Settings(ingest=IngestSettings(corpus_dir=tmp_path / "corpus")), AuditLog(tmp_path / "audit.db"))
    data = jsonl({"id": "a1", "text": "Eins."}, {"id": "a1", "text": "Zwei."})
    with pytest.raises(ParseError, match="line 2: duplicate article id 'a1'"):
        corpus.upload("dup.jsonl", data, actor="admin", stored_paths={})
    (entry,) = corpus.audit.recent()
    assert not (tmp_path / "corpus").exists() and entry.result.startswith("rejected: dup.jsonl line 2")
