"""Answers, hits and paragraphs as terminal text. Pure functions: data in, text out."""

from __future__ import annotations

import datetime as dt

from ingest.parse import shorten
from vectorstore.records import Hit, ParagraphView

from .answer import Answer, Citation


def citation_label(c: Citation | ParagraphView) -> str:
    """``title · date · heading · ¶n`` — the line users recognise a source by."""
    if isinstance(c, Citation):
        title, date, heading, n = c.title, c.date, c.heading, c.paragraph
    else:
        title, date, heading, n = c.meta.get("title", ""), c.meta.get("date", ""), c.heading, c.paragraph
    return " · ".join(x for x in (title, date, heading, f"¶{n}") if x)


def marked(a: Answer, before: str, after: str) -> str:
    """The answer with its span (the fact asked for) between ``before`` and ``after``."""
    if a.span is None:
        return a.answer
    return f"{a.answer[:a.span.start]}{before}{a.answer[a.span.start:a.span.end]}{after}{a.answer[a.span.end:]}"


def answer_text(a: Answer, width: int = 100, bold: tuple[str, str] = ("", "")) -> str:
    """``bold`` wraps the answer span (ANSI codes on a terminal; nothing when piped)."""
    lines = [marked(a, *bold)]
    if a.citations:
        lines.append("")
    for c in a.citations:
        lines.append(f"[{c.n}] {citation_label(c)}  ({c.id})")
        lines.append(f"    „{shorten(c.quote, width * 3)}“")
    return "\n".join(lines)


def hits_text(hits: list[Hit]) -> str:
    if not hits:
        return "(no matches)"
    out = []
    for rank, h in enumerate(hits, start=1):
        sentence = h.sentences[0].text if h.sentences else h.passage
        out.append(f"{rank:>2}. {h.para_id}  score {h.score:.3f}  {shorten(h.title, 70)}")
        if h.heading:
            out.append(f"    [{h.heading}]")
        out.append(f"    {shorten(sentence, 220)}")
    return "\n".join(out)


def byline(meta: dict) -> str:
    """``2023-09 · ZIOLKOWSKI (dpa-AFX)`` from whatever metadata the article has."""
    place = meta.get("dateline", "")
    agency = meta.get("agency", "")
    where = f"{place} ({agency})" if place and agency else place or agency
    return " · ".join(x for x in (meta.get("date", ""), where, meta.get("source", "")) if x)


def paragraph_text(p: ParagraphView, before: ParagraphView | None, after: ParagraphView | None) -> str:
    lines = [f"{p.para_id} — {p.meta.get('title', '')}", byline(p.meta)]
    if p.heading:
        lines.append(f"## {p.heading}")
    if before:
        lines += ["", f"¶{before.paragraph} {shorten(before.text, 300)}"]
    lines += ["", f"¶{p.paragraph} {p.text}"]
    if after:
        lines += ["", f"¶{after.paragraph} {shorten(after.text, 300)}"]
    return "\n".join(x for x in lines if x is not None)


def when(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return dt.datetime.fromtimestamp(float(timestamp), tz=dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
