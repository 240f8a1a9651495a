"""The article model every input format is parsed into.

Kept free of storage concerns so parsing stays a pure function of the input text.
"""

from __future__ import annotations

from dataclasses import dataclass

from vectorstore.errors import AbsatzError
from vectorstore.records import ArticleMeta


@dataclass(frozen=True)
class Paragraph:
    """One body paragraph: the unit a citation points at.

    ``n`` is 1-based over body paragraphs only; headings never take a number, so the
    citation id of a paragraph survives edits to the headings around it.
    """

    n: int
    text: str
    heading: str = ""


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    paragraphs: tuple[Paragraph, ...]
    date: str = ""
    dateline: str = ""
    agency: str = ""
    author_code: str = ""
    url: str = ""
    source: str = ""
    category: str = ""
    path: str = ""
    line: int | None = None  # a JSONL record's line in its file: where a failure about it points

    @property
    def headings(self) -> list[str]:
        seen: list[str] = []
        for p in self.paragraphs:
            if p.heading and (not seen or seen[-1] != p.heading):
                seen.append(p.heading)
        return seen

    def meta(self) -> ArticleMeta:
        """What the store keeps about the article besides its text."""
        return ArticleMeta(
            title=self.title,
            date=self.date,
            dateline=self.dateline,
            agency=self.agency,
            source=self.source,
            url=self.url,
            category=self.category,
            path=self.path,
            author_code=self.author_code,
            n_paragraphs=len(self.paragraphs),
            headings=tuple(self.headings),
        )


class ParseError(AbsatzError):
    """Input that cannot become an article; ``line`` points the admin at the spot."""

    key = "bad_file"  # the file is the problem, not the bot: an upload says "rejected"

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason, reason=reason, line=line)
        self.reason = reason
        self.line = line
        self.article_id = ""  # a JSONL line's id, when the line names one
