"""Changing the corpus folder for admins: accepting uploads, moving removed articles
to the trash. Every path is checked to stay inside ``CORPUS_DIR``."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from vectorstore.text import composed

from .article import Article, ParseError
from .parse import jsonl_lines, parse_jsonl, parse_markdown, parse_native, record_id, validate_article_id
from .sources import SUFFIXES, is_utf16, too_large

TRASH = ".trash"
MAX_FILE_NAME = 151
_SAFE_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_FILE_NAME - 1}}}")


def safe_filename(name: str) -> str:
    """The upload's own name, if it is a plain file name we can store as is.

    Anything with a directory part, a leading dot, ``..`` or odd characters is refused
    rather than "cleaned": a silently renamed file would surprise the admin later. The
    message says all of that, ASCII included: "letters" read as allowing ``ümlaut.txt``.
    """
    if name != Path(name).name or "/" in name or "\\" in name:
        raise ParseError(f"file name {name!r} must not contain a folder")
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise ParseError(
            f"file name {name!r} may only use ASCII letters (a-z, A-Z), digits, '.', '_' and '-', "
            f"start with a letter or digit, hold no '..' and be at most {MAX_FILE_NAME} characters long"
        )
    if Path(name).suffix.lower() not in SUFFIXES:
        raise ParseError(f"{name!r} is not a .txt, .md or .jsonl file")
    return name


def parse_upload(name: str, data: bytes, max_bytes: int) -> tuple[str, list[Article]]:
    """Check an uploaded file completely before anything is written."""
    name = safe_filename(name)
    if problem := upload_too_large(name, len(data), max_bytes):
        raise ParseError(problem)
    if not data.strip():
        raise ParseError(f"{name} is empty")
    if is_utf16(data):
        raise ParseError(f"{name} is UTF-16 text; re-save it as UTF-8")
    if b"\x00" in data:
        raise ParseError(f"{name} is a binary file")
    try:
        text = composed(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(f"{name} is not UTF-8 (line {line}); re-save it as UTF-8", line=line) from None
    suffix = Path(name).suffix.lower()
    if suffix == ".jsonl":
        articles, errors = parse_jsonl(text)
        if errors:
            first = errors[0]
            raise ParseError(f"{name} line {first.line}: {first.reason} ({len(errors)} bad line(s))", line=first.line)
    else:
        stem = validate_article_id(Path(name).stem)
        articles = [(parse_markdown if suffix == ".md" else parse_native)(text, stem)]
    if not articles:
        raise ParseError(f"{name} holds no article")
    return name, articles


def upload_too_large(name: str, size: int, max_bytes: int) -> str | None:
    """Why an upload of ``size`` bytes is refused by its size, or ``None``; the bot asks
    before it downloads the file."""
    return too_large(size, max_bytes, what=name) if size > max_bytes else None


def inside(corpus_dir: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(corpus_dir.resolve())


def _atomic_write(target: Path, data: bytes) -> None:
    """Write beside the target and rename: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_upload(corpus_dir: Path, name: str, data: bytes) -> Path:
    target = corpus_dir / safe_filename(name)
    if not inside(corpus_dir, target):
        raise ParseError(f"{name!r} would be written outside the corpus folder")
    corpus_dir.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, data)
    return target


def trash_replaced(corpus_dir: Path, name: str, previous: bytes) -> Path:
    """Keep the bytes an upload replaced in ``CORPUS_DIR/.trash``: the file's articles
    that the new version no longer holds leave the index, but their text is not lost."""
    trash = corpus_dir / TRASH
    trash.mkdir(exist_ok=True)
    stamp, base = time.strftime("%Y%m%d-%H%M%S"), Path(name).name
    target = trash / f"{stamp}-{base}"
    n = 1
    while target.exists():  # several replacements within one second keep each version
        n += 1
        target = trash / f"{stamp}-{n}-{base}"
    _atomic_write(target, previous)
    return target


def trash_article(corpus_dir: Path, path: Path, article_id: str) -> Path | None:
    """Move a removed article out of the corpus into ``CORPUS_DIR/.trash`` (never deleted).

    A JSONL file keeps its other articles: only the removed line moves to the trash.
    """
    if not path.exists() or not inside(corpus_dir, path):
        return None
    trash = corpus_dir / TRASH
    trash.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    if path.suffix.lower() != ".jsonl":
        target = trash / f"{stamp}-{path.name}"
        shutil.move(str(path), target)
        return target
    kept: list[str] = []
    removed: list[str] = []
    for line in jsonl_lines(path.read_text(encoding="utf-8")):
        try:
            is_it = isinstance(obj := json.loads(line), dict) and record_id(obj) == article_id
        except (ValueError, RecursionError):  # malformed JSON, or a number of more digits than Python converts
            is_it = False
        (removed if is_it else kept).append(line)
    target = trash / f"{stamp}-{article_id}.jsonl"
    target.write_text("\n".join(removed) + "\n", encoding="utf-8")
    if any(line.strip() for line in kept):
        _atomic_write(path, "\n".join(kept).encode("utf-8"))  # the last line's break is kept as ""
    else:
        path.unlink()
    return target
