"""Article → the units that get embedded: passage windows and sentences.

The paragraph stays the citation unit. A paragraph longer than the embedding model
reads well (10kGNAD articles are single paragraphs of thousands of words) becomes
overlapping sentence windows that keep the paragraph's number.
"""

from __future__ import annotations

import hashlib
import json

from vectorstore.records import Unit
from vectorstore.text import split_sentences

from .article import Article, Paragraph

WINDOW_WORDS = 160
OVERLAP_SENTENCES = 1


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def article_hash(article: Article) -> str:
    """Changes whenever anything stored for the article would change, its sentences too:
    when the splitting rules change, the next ingest rewrites exactly the articles they
    split differently (re-embedding only the sentences and passages that changed)."""
    payload = {
        "title": article.title,
        "meta": [
            article.date,
            article.dateline,
            article.agency,
            article.url,
            article.source,
            article.category,
            article.author_code,
            article.path,
        ],
        "paragraphs": [(p.heading, p.text, split_sentences(p.text)) for p in article.paragraphs],
    }
    return _hash(json.dumps(payload, ensure_ascii=False))


def _split_long_sentence(sentence: str, limit: int) -> list[str]:
    words = sentence.split()
    return [" ".join(words[i : i + limit]) for i in range(0, len(words), limit)]


def windows(sentences: list[str], limit: int = WINDOW_WORDS, overlap: int = OVERLAP_SENTENCES) -> list[str]:
    """Group sentences into windows of at most ``limit`` words, overlapping by whole sentences.

    A paragraph that fits is one window: its whole text.
    """
    pieces: list[str] = []
    for s in sentences:
        pieces.extend(_split_long_sentence(s, limit) if len(s.split()) > limit else [s])
    if sum(len(p.split()) for p in pieces) <= limit:
        return [" ".join(pieces)] if pieces else []
    out: list[str] = []
    start = 0
    while start < len(pieces):
        end, words = start, 0
        while end < len(pieces) and (end == start or words + len(pieces[end].split()) <= limit):
            words += len(pieces[end].split())
            end += 1
        out.append(" ".join(pieces[start:end]))
        if end >= len(pieces):
            break
        start = max(end - overlap, start + 1)
    return out


def context(article: Article, paragraph: Paragraph) -> str:
    return "\n".join(x for x in (article.title, paragraph.heading) if x)


def units_for(article: Article, ahash: str | None = None) -> list[Unit]:
    """``ahash`` spares splitting every paragraph again for the hash when the caller has it."""
    ahash = ahash or article_hash(article)
    units: list[Unit] = []
    for p in article.paragraphs:
        ctx = context(article, p)
        sentences = split_sentences(p.text) or [p.text]
        # A window that repeats one before it is indexed once: copies would fill the
        # passage pool of every question they are near, crowding out other paragraphs.
        for i, text in enumerate(dict.fromkeys(windows(sentences))):
            embed = f"{ctx}\n{text}" if ctx else text
            units.append(Unit("passage", article.id, p.n, i, text, embed, p.heading, ahash, _hash(embed)))
        for i, text in enumerate(sentences):
            embed = f"{article.title}: {text}" if article.title else text
            units.append(Unit("sentence", article.id, p.n, i, text, embed, p.heading, ahash, _hash(embed)))
    return units
