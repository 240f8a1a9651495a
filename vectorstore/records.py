"""The records absatz stores and returns, typed.

``ingest`` builds an :class:`ArticleMeta` and the :class:`Unit` records of each article;
the store keeps the metadata once per article, in its commit record
(:class:`ArticleRecord`); readers get :class:`Hit`, :class:`ParagraphView` and
:class:`ArticleSummary`, each carrying the same :class:`ArticleMeta`. The citation id
``<article_id>#<paragraph>`` links them all.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .errors import BadCitationId

# What Chroma accepts as a metadata value.
MetaValue = str | int | float | bool
Metadata = dict[str, MetaValue]


def citation_id(article_id: str, paragraph: int) -> str:
    return f"{article_id}#{paragraph}"


def parse_citation_id(value: str) -> tuple[str, int]:
    """``000_a05d8c91f093345a#2`` → (article id, 2); :class:`BadCitationId` otherwise.
    Spaces around the ``#`` are a slip of the keyboard, as ``/article`` reads them (no
    article id holds one): ``…345a #2`` had been "not in the corpus"."""
    article_id, sep, number = (part.strip() for part in value.strip().rpartition("#"))
    digits = number.lstrip("0")
    # no article has a billion paragraphs, and int() refuses thousands of digits
    if not sep or not article_id or not number.isdecimal() or not digits or len(digits) > 9:
        raise BadCitationId(value)
    return article_id, int(digits)


def date_number(date: str) -> int:
    """``2023-09`` → 20230900: dates compare and range-filter as integers."""
    if not date:
        return 0
    parts = [*date.split("-"), "00", "00"][:3]
    return int(parts[0]) * 10000 + int(parts[1]) * 100 + int(parts[2])


def text_of(meta: Mapping[str, object], key: str) -> str:
    value = meta.get(key)
    return "" if value is None else str(value)


def number_of(meta: Mapping[str, object], key: str) -> float | None:
    """A number Chroma kept (a string from older records too); None when there is none."""
    value = meta.get(key)
    return float(value) if isinstance(value, (int, float, str)) and value != "" else None


@dataclass(frozen=True)
class ArticleMeta:
    """What is known about an article besides its text: the one definition that ingest
    writes, the store keeps and every reader shows."""

    title: str = ""
    date: str = ""
    dateline: str = ""
    agency: str = ""
    source: str = ""
    url: str = ""
    category: str = ""
    path: str = ""
    author_code: str = ""
    n_paragraphs: int = 0
    headings: tuple[str, ...] = ()

    @property
    def date_num(self) -> int:
        return date_number(self.date)

    def to_metadata(self) -> Metadata:
        """As Chroma stores it: scalar values only, so the headings travel as JSON."""
        return {
            "title": self.title,
            "date": self.date,
            "dateline": self.dateline,
            "agency": self.agency,
            "source": self.source,
            "url": self.url,
            "category": self.category,
            "path": self.path,
            "author_code": self.author_code,
            "n_paragraphs": self.n_paragraphs,
            "headings": json.dumps(list(self.headings), ensure_ascii=False),
            "date_num": self.date_num,
        }

    @classmethod
    def from_metadata(cls, meta: Mapping[str, object]) -> ArticleMeta:
        """Tolerant of records written by older versions: a missing key is empty."""
        return cls(
            title=text_of(meta, "title"),
            date=text_of(meta, "date"),
            dateline=text_of(meta, "dateline"),
            agency=text_of(meta, "agency"),
            source=text_of(meta, "source"),
            url=text_of(meta, "url"),
            category=text_of(meta, "category"),
            path=text_of(meta, "path"),
            author_code=text_of(meta, "author_code"),
            n_paragraphs=int(number_of(meta, "n_paragraphs") or 0),
            headings=tuple(json.loads(text_of(meta, "headings") or "[]")),
        )


@dataclass(frozen=True)
class ArticleRecord:
    """The record in ``.articles`` that commits one article version: until it is written,
    the version's passages and sentences are invisible to readers and to the manifest."""

    article_id: str
    article_hash: str
    meta: ArticleMeta
    committed: float = 0.0  # when (time.time()); an ingest compares it with the last announcement

    def to_metadata(self) -> Metadata:
        return {
            **self.meta.to_metadata(),
            "article_id": self.article_id,
            "article_hash": self.article_hash,
            "committed": self.committed,
        }

    @classmethod
    def from_metadata(cls, meta: Mapping[str, object]) -> ArticleRecord:
        return cls(
            text_of(meta, "article_id"),
            text_of(meta, "article_hash"),
            ArticleMeta.from_metadata(meta),
            number_of(meta, "committed") or 0.0,
        )


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
    article_hash: str
    content_hash: str

    @property
    def id(self) -> str:
        """Unique per article version, so a new version is written beside the old one."""
        sep = "~" if self.kind == "passage" else "."
        return f"{citation_id(self.article_id, self.paragraph)}{sep}{self.index}@{self.article_hash[:10]}"

    def metadata(self) -> Metadata:
        """Where the unit sits and which version it belongs to; the article's metadata is
        kept once, in its :class:`ArticleRecord`. (Records written before carry a copy of
        it too, which nothing reads.)"""
        return {
            "article_id": self.article_id,
            "paragraph": self.paragraph,
            "index": self.index,
            "heading": self.heading,
            "article_hash": self.article_hash,
            "hash": self.content_hash,
        }


@dataclass(frozen=True)
class StoredUnit:
    """A committed passage or sentence as the read index is built from it."""

    article_id: str
    paragraph: int
    index: int
    heading: str
    text: str
    vector: np.ndarray


@dataclass
class Records:
    """Committed records of some articles, as the read index is built from them."""

    articles: list[ArticleRecord] = field(default_factory=list)
    passages: list[StoredUnit] = field(default_factory=list)
    sentences: list[StoredUnit] = field(default_factory=list)


@dataclass(frozen=True)
class SentenceVector:
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
    meta: ArticleMeta
    heading: str = ""
    passage: str = ""
    sentences: list[SentenceMatch] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def date(self) -> str:
        return self.meta.date


@dataclass(frozen=True)
class ParagraphView:
    """A paragraph as ``/source`` shows it: whole text, heading, article metadata."""

    para_id: str
    article_id: str
    paragraph: int
    text: str
    heading: str
    meta: ArticleMeta
    sentences: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArticleSummary:
    """An article as ``/article`` lists it; the rest of its metadata is in ``meta``."""

    article_id: str
    meta: ArticleMeta

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def date(self) -> str:
        return self.meta.date

    @property
    def source(self) -> str:
        return self.meta.source

    @property
    def url(self) -> str:
        return self.meta.url

    @property
    def paragraphs(self) -> int:
        return self.meta.n_paragraphs

    @property
    def headings(self) -> tuple[str, ...]:
        return self.meta.headings
