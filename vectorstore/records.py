"""The records absatz stores and returns.

``ingest`` builds :class:`Unit` records; ``bot`` receives :class:`Hit` and
:class:`ParagraphView`. The citation id ``<article_id>#<paragraph>`` links them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

from .errors import BadCitationId

# Metadata copied onto every stored record, so a hit can be cited without a second read.
ARTICLE_FIELDS = ("title", "date", "dateline", "agency", "source", "url", "category", "path", "author_code")


def citation_id(article_id: str, paragraph: int) -> str:
    return f"{article_id}#{paragraph}"


def parse_citation_id(value: str) -> tuple[str, int]:
    """``000_a05d8c91f093345a#2`` → (article id, 2); :class:`BadCitationId` otherwise."""
    article_id, sep, number = value.strip().rpartition("#")
    if not sep or not article_id or not number.isdigit() or int(number) < 1:
        raise BadCitationId(value)
    return article_id, int(number)


def date_number(date: str) -> int:
    """``2023-09`` → 20230900, so Chroma can range-filter dates as integers."""
    if not date:
        return 0
    parts = (date.split("-") + ["00", "00"])[:3]
    return int(parts[0]) * 10000 + int(parts[1]) * 100 + int(parts[2])


@dataclass(frozen=True)
class Unit:
    """One embedded record: a passage window of a paragraph, or one of its sentences.

    ``embed_text`` carries the title and heading as context (a paragraph alone often
    lacks its subject); ``text`` is the verbatim source text shown to users.
    """

    kind: Literal["passage", "sentence"]
    article_id: str
    paragraph: int
    index: int
    text: str
    embed_text: str
    heading: str
    article: dict[str, str]
    article_hash: str
    content_hash: str

    @property
    def id(self) -> str:
        """Unique per article version, so a new version is written beside the old one."""
        sep = "~" if self.kind == "passage" else "."
        return f"{citation_id(self.article_id, self.paragraph)}{sep}{self.index}@{self.article_hash[:10]}"

    @property
    def para_id(self) -> str:
        return citation_id(self.article_id, self.paragraph)

    def metadata(self) -> dict:
        meta = {k: self.article.get(k, "") for k in ARTICLE_FIELDS}
        meta.update(
            article_id=self.article_id,
            paragraph=self.paragraph,
            para_id=self.para_id,
            index=self.index,
            heading=self.heading,
            date_num=date_number(self.article.get("date", "")),
            article_hash=self.article_hash,
            hash=self.content_hash,
            n_paragraphs=int(self.article.get("n_paragraphs", 0) or 0),
        )
        return meta


class SentenceVector(NamedTuple):
    """A sentence of a paragraph with its stored vector: what answer selection ranks."""

    index: int
    text: str
    vector: np.ndarray


@dataclass(frozen=True)
class SentenceMatch:
    text: str
    index: int
    score: float


@dataclass
class Hit:
    """A paragraph found by search, with the evidence that put it there."""

    para_id: str
    article_id: str
    paragraph: int
    score: float
    dense: float
    lexical: float
    meta: dict
    passage: str = ""
    sentences: list[SentenceMatch] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return self.meta.get("heading", "")

    @property
    def title(self) -> str:
        return self.meta.get("title", "")

    @property
    def date(self) -> str:
        return self.meta.get("date", "")


@dataclass(frozen=True)
class ParagraphView:
    """A paragraph as ``/source`` shows it: whole text, heading, article metadata."""

    para_id: str
    article_id: str
    paragraph: int
    text: str
    heading: str
    meta: dict
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleSummary:
    article_id: str
    title: str
    date: str
    dateline: str
    agency: str
    source: str
    url: str
    path: str
    paragraphs: int
    headings: tuple[str, ...]
