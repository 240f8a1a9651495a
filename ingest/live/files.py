"""A web article becomes a Markdown file in the corpus folder, like any other article.

``CORPUS_DIR/web/<site-slug>/<article-id>.md`` with front matter (``title``, ``date``,
``url``, ``source``, ``category``, ``author``) and the body as ``## Heading`` lines and
blank-line separated paragraphs — exactly what ``ingest.parse.parse_markdown`` reads. So
incremental ingest, the ingest lock, ``/reingest``, removal and the audit treat it as
they treat every file, and a file rewritten only when its bytes change keeps ingest
incremental (the pipeline re-embeds only changed paragraphs).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import WriteFailed
from .extract import WebArticle
from .urls import article_id_for, article_path

TEMP_PREFIX = ".absatz-"  # hidden: never picked up by ingest or the folder watcher
# A paragraph opening with '#' (or with backslashes and then '#') gets one more backslash.
_NEEDS_ESCAPE = re.compile(r"\\*#")


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    article_id: str
    changed: bool  # False: the file already held exactly this article
    created: bool  # True: there was no file before


def render_markdown(article: WebArticle) -> str:
    """The article as the corpus's Markdown: front matter, ``## `` headings, paragraphs."""
    meta = {
        "title": article.title,
        "date": article.date,
        "url": article.url,
        "source": article.site,
        "category": article.category,
        "author": article.author,
    }
    lines = ["---"]
    lines += [f"{key}: {_front_matter_value(_one_line(value))}" for key, value in meta.items() if _one_line(value)]
    lines += ["---", ""]
    for block in article.blocks:
        text = _one_line(block.text)
        if not text:
            continue
        if block.heading:
            lines += [f"## {text}", ""]
        else:
            lines += [_escape_paragraph(text), ""]
    return "\n".join(lines)


def _escape_paragraph(text: str) -> str:
    """A paragraph opening with '#' ("# nicht Überschrift") would read as a heading:
    Markdown's backslash escape keeps it a paragraph, and ``parse_markdown`` removes that
    one backslash again, so the stored text is the page's text. A paragraph already opening
    with ``\\#`` gets its backslash too, or the parser would take that one away."""
    return "\\" + text if _NEEDS_ESCAPE.match(text) else text


def _front_matter_value(value: str) -> str:
    """As written, unless a quote opens or closes it: then a double-quoted scalar, which
    the parser reads back exactly (``"Tatort" ist zurück``)."""
    quoted = value.startswith(("'", '"')) or value.endswith(("'", '"'))
    return json.dumps(value, ensure_ascii=False) if quoted else value


def _one_line(value: str) -> str:
    return " ".join(str(value or "").split())


def write_article(corpus_dir: Path, article: WebArticle) -> WrittenFile:
    """Write the article's file if its content changed; atomically (temp file, rename),
    so ingest and the watcher never read half a file."""
    path = article_path(corpus_dir, article.url)
    data = render_markdown(article).encode("utf-8")
    article_id = article_id_for(article.url)
    try:
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            old = None
        if old == data:
            return WrittenFile(path, article_id, changed=False, created=False)
        atomic_write(path, data)
    except OSError as exc:  # a full disk, a file where its folder should be: this page fails, not the run
        raise WriteFailed(article.url, f"cannot write {path}: {exc.strerror or exc}") from None
    return WrittenFile(path, article_id, changed=True, created=old is None)


def atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
