"""Pure parsers: input text → :class:`Article`.

One function per format, no I/O, so every rule of the native format is tested directly
on real text and the file-handling edge (``sources``) stays thin.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from vectorstore.text import shorten, split_sentences, without_controls

from .article import Article, Paragraph, ParseError

# ` date 2023-09 ZIOLKOWSKI (dpa-AFX) - text…` — the dpa-AFX export's first line. The
# dateline and agency are looked for on that line only, and only where they are short:
# a later "Scholz (SPD) - der …" is body text, not the article's source. The keyword and
# a word with a digit make the line a date line whatever that word is, so a date that
# cannot be read (``date 20xx-01``, ``date 14.09.2023``) is refused by ``_check_date``
# rather than left in the title of an undated article.
_NATIVE_HEAD = re.compile(
    r"^\s*date[^\S\n]+(?P<date>\S*\d\S*)(?:\s+|$)"
    r"(?:(?P<dateline>[^\n]{0,80}?)\s*\((?P<agency>[^()\n]{1,40})\)\s*[-–—]\s*)?(?P<rest>.*)$",
    re.DOTALL,
)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# An ATX heading: one to six ``#`` and a space (``#MeToo …`` opens a paragraph).
_MARKDOWN_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
MAX_MARKDOWN_HEADING_CHARS = 256
# The backslash that escapes a paragraph's opening '#' (``\# kein Titel``, ``\\#``).
_ESCAPED_HASH = re.compile(r"\\(?=\\*#)")
# Trailing author code such as `/bal/DP/ngu` glued to the last sentence's full stop.
_AUTHOR_CODE = re.compile(r"(?<=[.!?\"“”»])\s*(?P<code>(?:/[A-Za-zÄÖÜäöü0-9-]{1,8})+)\s*$")
# A line that looks empty separates paragraphs, also when it holds a no-break or zero-width
# space (text copied from a web page).
_BLANK_LINES = re.compile(r"\n[ \t\r\f\v\u00a0\u2007\u202f\u200b\u2060\ufeff]*\n")
_DATE = re.compile(r"^\d{4}-\d{2}(?:-\d{2})?$")
_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*\n")
_FRONT_MATTER_END = re.compile(r"^---+[ \t]*$", re.MULTILINE)
# A footnote reference glued to the text of a page copied from the web ("gesunken.[2]",
# "gesunken [2]."): the notes are not in the corpus, and in an answer quoting the
# sentence it would read as a citation marker pointing to another source, or none.
# A Markdown link's text ("[1](url)", "[[2]](#cite_note-2)") and a list's numbers on
# lines of their own stay.
_FOOTNOTE_REF = re.compile(r"(?<=[^\s\[])[^\S\n]?\[\d{1,3}\](?![(\]])")

MAX_HEADING_CHARS = 120
MAX_HEADING_WORDS = 14
MAX_TITLE_CHARS = 90


def is_heading(block: str) -> bool:
    """A short stand-alone line without closing punctuation is a section heading.

    Headings may be questions (``Waffenlieferungen aus Nordkorea für Russland?``), but a
    line ending in ``.``, ``!``, ``:``, ``;``, ``,`` or a closing quote is body text.
    """
    if "\n" in block.strip():
        return False
    line = block.strip()
    if not line or len(line) > MAX_HEADING_CHARS or len(line.split()) > MAX_HEADING_WORDS:
        return False
    return line[-1] not in ".!:;,\"'“”»«…)" and any(c.isalpha() for c in line)


def derive_title(paragraphs: list[Paragraph] | tuple[Paragraph, ...]) -> str:
    """No explicit title: the article's first sentence, shortened for display."""
    if not paragraphs:
        return ""
    sentences = split_sentences(paragraphs[0].text)
    first = sentences[0] if sentences else paragraphs[0].text
    return shorten(first.rstrip("."), MAX_TITLE_CHARS)


def _blocks(text: str) -> list[tuple[int, str]]:
    """Blank-line separated blocks with the 1-based line each starts on."""
    blocks: list[tuple[int, str]] = []
    pos = 0
    for m in [*_BLANK_LINES.finditer(text), None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip("\n\r\t "))
            line = text.count("\n", 0, pos + lead) + 1
            blocks.append((line, _prose(chunk)))
        pos = m.end() if m else len(text)
    return blocks


def _prose(text: str) -> str:
    """A block's text as stored: one space between words, footnote references left out."""
    return " ".join(_FOOTNOTE_REF.sub("", text).split())


def _paragraphs_from_blocks(blocks: list[tuple[int, str]]) -> list[Paragraph]:
    paragraphs: list[Paragraph] = []
    heading = ""
    for i, (_, block) in enumerate(blocks):
        # The first block opens the article and the last one closes it: both are body
        # text, since a heading always introduces paragraphs after it.
        if 0 < i < len(blocks) - 1 and is_heading(block):
            heading = block
            continue
        paragraphs.append(Paragraph(n=len(paragraphs) + 1, text=block, heading=heading))
    return paragraphs


def _clean_text(text: str) -> str:
    """A file's text with one kind of line end and control characters as spaces: a
    terminal obeys them, and an article's escape sequences had cleared the screen of whoever
    ran ``absatz source`` or ``ask`` on it, retitled the window and printed a fake error."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if "\x00" in text:
        raise ParseError("contains NUL bytes (binary file?)")
    return without_controls(text)


def parse_native(text: str, article_id: str) -> Article:
    """The corpus's native ``.txt`` format (dpa-AFX export), or plain blank-line text."""
    text = _clean_text(text)
    meta: dict[str, str] = {}
    m = _NATIVE_HEAD.match(text)
    if m:
        meta = {
            "date": _check_date(m["date"], line=text.count("\n", 0, m.start("date")) + 1),
            "dateline": (m["dateline"] or "").strip(),
            "agency": (m["agency"] or "").strip(),
        }
        text = m["rest"]
    blocks = _blocks(text)
    if not blocks:
        raise ParseError("no text", line=1)
    author_code = ""
    line_no, last = blocks[-1]
    code = _AUTHOR_CODE.search(last)
    if code and code.start() > 0:
        author_code = code["code"].lstrip("/")
        blocks[-1] = (line_no, last[: code.start()].rstrip())
    paragraphs = _paragraphs_from_blocks(blocks)
    if not paragraphs:
        raise ParseError("no body paragraphs, only headings", line=1)
    return Article(
        id=article_id,
        title=derive_title(paragraphs),
        paragraphs=tuple(paragraphs),
        author_code=author_code,
        date=meta.get("date", ""),
        dateline=meta.get("dateline", ""),
        agency=meta.get("agency", ""),
    )


def _front_matter(text: str) -> tuple[dict[str, str], dict[str, int], str, int]:
    """Minimal YAML front matter (``key: value`` lines) without a YAML dependency: the
    values, the line of each key (so a bad value is named by its line), the body and the
    number of lines before it."""
    # "--- " opens it as "--- " closes it; "----------" is a horizontal rule, not front matter
    opening = _FRONT_MATTER_OPEN.match(text)
    if opening is None:
        return {}, {}, text, 0
    start = opening.end()
    end = _FRONT_MATTER_END.search(text, start)  # right after the opening line: empty front matter
    if end is None:
        raise ParseError("front matter opened with '---' but never closed", line=1)
    meta: dict[str, str] = {}
    lines: dict[str, int] = {}
    for i, line in enumerate(text[start : end.start()].splitlines(), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ParseError(f"front matter line is not 'key: value': {line.strip()[:60]!r}", line=i)
        meta[key.strip().lower()] = _scalar(value.strip())
        lines[key.strip().lower()] = i
    body_start = end.end() + 1
    return meta, lines, text[body_start:], text.count("\n", 0, body_start)


def _scalar(value: str) -> str:
    """A front-matter value: a quoted YAML scalar unquoted, anything else as written, so
    ``"Succession" finale: "We did it"`` keeps its quotes."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            unquoted = json.loads(value)
        except json.JSONDecodeError:
            return value
        return unquoted if isinstance(unquoted, str) else value
    if len(value) >= 2 and value[0] == value[-1] == "'" and "'" not in value[1:-1].replace("''", ""):
        return value[1:-1].replace("''", "'")
    return value


def parse_markdown(text: str, article_id: str) -> Article:
    """Markdown: optional front matter (title, date, url, source, category, author);
    ATX ``#`` lines are headings. ``author`` is the article's author field (``author_code``)."""
    text = _clean_text(text)
    meta, lines, body, offset = _front_matter(text)
    title = meta.get("title", "")
    date = _check_date(meta.get("date", ""), line=lines.get("date"))
    paragraphs: list[Paragraph] = []
    heading = ""
    for _, block in _blocks(_markdown_blocks_fix(body)):
        if _MARKDOWN_HEADING.match(block):
            level_text = shorten(block.lstrip("#").strip(), MAX_MARKDOWN_HEADING_CHARS)
            if block.startswith("# ") and not title and not paragraphs:
                title = level_text
            else:
                heading = level_text
            continue
        paragraphs.append(Paragraph(n=len(paragraphs) + 1, text=_unescape_paragraph(block), heading=heading))
    if not paragraphs:
        raise ParseError("no body paragraphs", line=offset + 1)
    return Article(
        id=article_id,
        title=shorten(title, 256) if title else derive_title(paragraphs),
        paragraphs=tuple(paragraphs),
        date=date,
        url=meta.get("url", ""),
        source=meta.get("source", ""),
        category=meta.get("category", ""),
        author_code=meta.get("author", ""),
    )


def _unescape_paragraph(block: str) -> str:
    """A paragraph written as ``\\#MeToo …`` so that it is no heading reads as the text it
    escapes; only that first backslash goes, a later ``\\#`` in the text is the text."""
    return block[1:] if _ESCAPED_HASH.match(block) else block


def _markdown_blocks_fix(text: str) -> str:
    """Put every ``#`` heading on its own block so ``_blocks`` sees it alone: also one
    indented, bare (``#``) or with a tab after its marks, which :data:`_MARKDOWN_HEADING`
    reads as a heading once the block's whitespace is collapsed; the text under it had
    been swallowed into the heading, without a word of failure."""
    return re.sub(r"(?m)^[ \t]*(#{1,6}(?:[ \t].*)?)$", r"\n\1\n", text)


def _check_date(value: Any, line: int | None) -> str:
    """The date as written, if it is one: a month 13 or a 31 June would be compared as
    an integer like any other and land the article in a period it is not in."""
    date = str(value or "").strip()
    if date and not _DATE.match(date):
        raise ParseError(f"date {date!r} is not YYYY-MM or YYYY-MM-DD", line=line)
    if date:
        year, month, day = (date + "-01").split("-")[:3]
        try:
            dt.date(int(year), int(month), int(day))
        except ValueError:
            raise ParseError(f"date {date!r} is no day of the calendar", line=line) from None
    return date


def parse_json_record(obj: Any, line: int) -> Article:
    """One JSONL record: ``id`` and ``text`` (blank-line paragraphs) or ``paragraphs``."""
    if not isinstance(obj, dict):
        raise ParseError("line is not a JSON object", line=line)
    article_id = record_id(obj)
    if not article_id:
        raise ParseError("missing 'id'", line=line)
    validate_article_id(article_id, line=line)
    if isinstance(obj.get("paragraphs"), list):
        for k, p in enumerate(obj["paragraphs"], start=1):
            if not isinstance(p, str):  # {"x": 1} or null would be stored as "{'x': 1}", "None"
                raise ParseError(f"'paragraphs' item {k} is {_json_kind(p)}, not a string", line=line)
            if "\x00" in p:
                raise ParseError(f"'paragraphs' item {k} contains NUL bytes", line=line)
        texts = [_prose(without_controls(p)) for p in obj["paragraphs"]]
        paragraphs = [Paragraph(n=i, text=t) for i, t in enumerate(filter(None, texts), start=1)]
    elif isinstance(obj.get("text"), str):
        try:
            paragraphs = _paragraphs_from_blocks(_blocks(_clean_text(obj["text"])))
        except ParseError as exc:
            raise ParseError(exc.reason, line=line) from None
    else:
        raise ParseError("needs 'text' (string) or 'paragraphs' (list)", line=line)
    if not paragraphs:
        raise ParseError("no body paragraphs", line=line)
    fields = {key: _text_field(obj, key, line) for key in ("title", "dateline", "agency", "url", "source", "category")}
    title = fields.pop("title").strip()
    return Article(
        id=article_id,
        title=shorten(title, 256) if title else derive_title(paragraphs),
        paragraphs=tuple(paragraphs),
        date=_check_date(obj.get("date"), line=line),
        line=line,
        **fields,
    )


def _text_field(obj: dict[str, Any], key: str, line: int) -> str:
    """A JSONL record's metadata field as text: a string, a number, or nothing (null or
    absent). A list, an object or true/false had been stored, and cited, as Python's
    text of it: "{'de': 'Neue Brücke', …}", "['Politik', 'Lokal']", "True"."""
    value = obj.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParseError(f"'{key}' is {_json_kind(value)}, not a string", line=line)
    return without_controls(str(value))


def _json_kind(value: Any) -> str:
    """What a JSON value is, in JSON's words (an admin wrote JSON, not Python)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    kinds = {dict: "an object", list: "a list", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def record_id(obj: dict[str, Any]) -> str:
    """The id a JSONL record's article is stored under ("" when it has none)."""
    return str(obj.get("id") or "").strip()


def jsonl_lines(text: str) -> list[str]:
    """A JSONL file's lines as the parser numbers them: only line breaks end a line, not
    the U+2028 a JSON string may hold (``str.splitlines`` would split the record there)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")


def parse_jsonl(text: str) -> tuple[list[Article], list[ParseError]]:
    """Every valid line becomes an article; each bad line is one error naming its line. A
    line whose id an earlier line has is bad too: one id cites one text. A file of blank
    lines alone is an error of the whole file, as an empty file is: read as holding no
    articles, it would remove every article stored from it."""
    articles: list[Article] = []
    errors: list[ParseError] = []
    first_line: dict[str, int] = {}
    lines = jsonl_lines(text)
    if not any(raw.strip() for raw in lines):
        raise ParseError("file holds only blank lines")
    for i, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if "\x00" in raw:
            errors.append(ParseError("contains NUL bytes", line=i))
            continue
        try:
            obj = json.loads(raw)
            if _SURROGATE_ESCAPE.search(raw):  # a lone one (\ud800) is no text UTF-8 can hold
                json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except json.JSONDecodeError as exc:
            errors.append(ParseError(f"malformed JSON: {exc.msg}", line=i))
            continue
        except RecursionError:
            errors.append(ParseError("malformed JSON: nested too deeply", line=i))
            continue
        except UnicodeEncodeError:
            errors.append(ParseError("an escaped lone surrogate (such as \\ud800) is not text", line=i))
            continue
        except ValueError as exc:  # a number of more digits than Python converts
            errors.append(ParseError(f"malformed JSON: {str(exc).split(':')[0]}", line=i))
            continue
        try:
            article = parse_json_record(obj, line=i)
        except ParseError as exc:
            exc.article_id = record_id(obj) if isinstance(obj, dict) else ""
            errors.append(exc)
            continue
        seen = first_line.setdefault(article.id, i)
        if seen != i:
            duplicate = ParseError(f"duplicate article id {article.id!r} (first on line {seen})", line=i)
            duplicate.article_id = article.id
            errors.append(duplicate)
            continue
        articles.append(article)
    return articles, errors


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,199}")


def validate_article_id(article_id: str, line: int | None = None) -> str:
    """Ids appear in citation ids (``id#n``) and Chroma ids, so keep them plain. The
    message names the ASCII range: "letters" read as allowing ``ümlaut``, which is refused."""
    if not _ID.fullmatch(article_id):
        raise ParseError(
            f"article id {article_id!r} must be 1-200 ASCII letters (a-z, A-Z), digits, '.', '_' or '-', "
            "starting with a letter or digit",
            line=line,
        )
    return article_id
