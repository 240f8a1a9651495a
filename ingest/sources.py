"""Finding and reading article files: the I/O edge in front of the pure parsers.

Every problem becomes a :class:`Failure` naming file, line and reason, so one bad file
never stops the others from being ingested.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from vectorstore.text import composed

from .article import Article, ParseError
from .parse import parse_jsonl, parse_markdown, parse_native, validate_article_id

SUFFIXES = (".txt", ".md", ".jsonl")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Failure:
    path: str
    line: int | None
    reason: str
    article_id: str = ""  # a duplicate's: the id another file holds
    line_id: str = ""  # a failed JSONL line's: the id it names, when it names one

    def as_dict(self) -> dict[str, str | int | None]:
        return {"path": self.path, "line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"

    @classmethod
    def duplicate(cls, article: Article, path: str, first: str) -> Failure:
        """An article whose id another file holds: one id cites one text. A JSONL record's
        line is named, the one way to find it in a large file."""
        return cls(path, article.line, f"duplicate article id {article.id!r} (first in {first})", article.id)


def discover(paths: Iterable[str | Path]) -> tuple[list[Path], list[Failure]]:
    """Article files under ``paths`` (recursive), sorted for a stable ingest order.

    Symlinks that leave the folder they were found in are refused: an admin pointing the
    bot at a corpus must not make it read ``/etc``.
    """
    found: list[Path] = []
    failures: list[Failure] = []
    for root in map(Path, paths):
        if not root.exists():
            failures.append(Failure(str(root), None, "no such file or directory"))
            continue
        if root.is_file():
            if root.suffix.lower() in SUFFIXES:
                found.append(root)
            else:  # read as text it would be stored: a .json or .csv file as one article of raw data
                reason = f"not an article file: only {', '.join(SUFFIXES)} are ingested"
                failures.append(Failure(str(root), None, reason))
            continue
        base = root.resolve()

        def unlisted(exc: OSError, root: Path = root) -> None:
            # A folder that cannot be listed is a failed source: what was stored from it stays.
            failures.append(Failure(str(exc.filename or root), None, f"cannot list folder: {exc.strerror}"))

        for dirpath, dirnames, filenames in os.walk(root, onerror=unlisted):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in dirnames:  # os.walk does not enter a linked folder: one leaving the corpus is said
                linked = Path(dirpath) / name
                if linked.is_symlink() and not linked.resolve().is_relative_to(base):
                    failures.append(Failure(str(linked), None, "symlink points outside the corpus folder"))
            for name in sorted(filenames):
                p = Path(dirpath) / name
                if name.startswith(".") or p.suffix.lower() not in SUFFIXES:
                    continue
                if p.is_symlink() and not p.resolve().is_relative_to(base):
                    failures.append(Failure(str(p), None, "symlink points outside the corpus folder"))
                    continue
                found.append(p)
    unique: dict[str, Path] = {}  # a file named twice (``corpus corpus/a.md``, relative and absolute) is one
    for p in found:
        unique.setdefault(stored_path(p), p)
    return list(unique.values()), failures


def too_large(size: int, limit: int, what: str = "file") -> str:
    """Why something over a size limit is refused, each size in a scale that shows it:
    in MB alone ``MAX_FILE_BYTES=100`` read "file is 0.0 MB, over the 0 MB limit".
    ``what`` names it: "file", an upload's name, "the response"."""
    shown, limit_shown = _size(size), _size(limit)
    if shown == limit_shown:  # 20.99 MB over a limit of 20.97 MB
        shown, limit_shown = f"{size} bytes", f"{limit} bytes"
    return f"{what} is {shown}, over the limit of {limit_shown}"


def past_limit(limit: int, what: str) -> str:
    """:func:`too_large` for something cut off as soon as it passed ``limit``, its whole
    size unknown (a response read as it streams in)."""
    return f"{what} is larger than the limit of {_size(limit)}"


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1_000_000 else f"{n / 1e6:.1f}".removesuffix(".0") + " MB"


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The file as UTF-8 text, or a :class:`ParseError` saying why not."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror}") from None
    if size > max_bytes:
        raise ParseError(too_large(size, max_bytes))
    if size == 0:
        raise ParseError("file is empty")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read: {exc.strerror}") from None
    if is_utf16(data):
        raise ParseError("UTF-16 text; re-save the file as UTF-8")
    if b"\x00" in data[:8192]:
        raise ParseError("binary file (contains NUL bytes), or text not saved as UTF-8; re-save it as UTF-8")
    try:
        return composed(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(f"not UTF-8 (byte 0x{data[exc.start]:02x}); re-save the file as UTF-8", line=line) from None


def is_utf16(data: bytes) -> bool:
    """Text saved as UTF-16 (Notepad's "Unicode"): its byte order mark, and bytes that read
    as UTF-16. Its NUL bytes would otherwise call it a binary file."""
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    try:
        data.decode("utf-16")
    except UnicodeDecodeError:
        return False
    return True


def parse_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[list[Article], list[Failure]]:
    try:
        text = read_text(path, max_bytes)
        if path.suffix.lower() == ".jsonl":
            articles, errors = parse_jsonl(text)
            failures = [Failure(str(path), e.line, e.reason, line_id=e.article_id) for e in errors]
            return [_with_path(a, path) for a in articles], failures
        article_id = validate_article_id(path.stem)
        parse = parse_markdown if path.suffix.lower() == ".md" else parse_native
        return [_with_path(parse(text, article_id), path)], []
    except ParseError as exc:
        return [], [Failure(str(path), exc.line, exc.reason)]


def stored_path(path: Path) -> str:
    """How the store names an article's file: its folder resolved, so the same file has
    the same path from any working directory and however its folder was reached (the
    path is part of the article's hash), and its own name kept, so a linked file is still
    the one ``/remove`` moves to the trash and the one whose stem is its id."""
    return str(path.parent.resolve() / path.name)


def _with_path(article: Article, path: Path) -> Article:
    return replace(article, path=stored_path(path))


def load_articles(
    paths: Iterable[str | Path], max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[Article], list[Failure]]:
    """All articles under ``paths``; a second article with an id already seen is a failure.

    Duplicates are reported instead of silently overwriting the first one.
    """
    files, failures = discover(paths)
    articles: list[Article] = []
    first_seen: dict[str, str] = {}
    for path in files:
        parsed, errs = parse_file(path, max_bytes)
        failures.extend(errs)
        for article in parsed:
            if article.id in first_seen:
                failures.append(Failure.duplicate(article, str(path), first_seen[article.id]))
                continue
            first_seen[article.id] = str(path)
            articles.append(article)
    return articles, failures
