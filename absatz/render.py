"""Answers, hits, paragraphs and stats as text and JSON-ready dicts. Pure functions:
data in, text out; the CLI prints them, the Discord embeds reuse the labels."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ingest.pipeline import IngestReport
from vectorstore.records import ArticleMeta, Hit, ParagraphView
from vectorstore.text import shorten

from .answer import Answer, Citation

if TYPE_CHECKING:
    from .api import Matches, Stats

__all__ = ["shorten"]  # the front ends cut text with the same helper as ingest


def citation_label(c: Citation | ParagraphView) -> str:
    """``title · date · heading · ¶n`` — the line users recognise a source by."""
    if isinstance(c, Citation):
        title, date, heading, n = c.title, c.date, c.heading, c.paragraph
    else:
        title, date, heading, n = c.meta.title, c.meta.date, c.heading, c.paragraph
    return " · ".join(x for x in (title, date, heading, f"¶{n}") if x)


def marked(a: Answer, before: str, after: str) -> str:
    """The answer with its span (the fact asked for) between ``before`` and ``after``."""
    if a.span is None:
        return a.answer
    return f"{a.answer[: a.span.start]}{before}{a.answer[a.span.start : a.span.end]}{after}{a.answer[a.span.end :]}"


def answer_text(a: Answer, width: int = 100, bold: tuple[str, str] = ("", "")) -> str:
    """``bold`` wraps the answer span (ANSI codes on a terminal; nothing when piped)."""
    lines = [marked(a, *bold)]
    if a.citations:
        lines.append("")
    for c in a.citations:
        lines.append(f"[{c.n}] {citation_label(c)}  ({c.id})")
        lines.append(f"    „{shorten(c.quote, width * 3)}“")
        if c.url:
            lines.append(f"    {c.url}")
    return "\n".join(lines)


def hits_text(found: Matches) -> str:
    if not found.hits:
        return "(no matches)"
    out = [] if found.close else ["(nothing in the corpus matches closely; the nearest paragraphs:)"]
    for rank, h in enumerate(found.hits, start=1):
        sentence = h.sentences[0].text if h.sentences else h.passage
        out.append(f"{rank:>2}. {h.para_id}  score {h.score:.3f}  {shorten(h.title, 70)}")
        if h.heading:
            out.append(f"    [{h.heading}]")
        out.append(f"    {shorten(sentence, 220)}")
    return "\n".join(out)


def hit_dict(h: Hit) -> dict[str, Any]:
    return {
        "id": h.para_id,
        "article_id": h.article_id,
        "paragraph": h.paragraph,
        "title": h.title,
        "date": h.date,
        "heading": h.heading,
        "score": round(h.score, 4),
        "dense": round(h.dense, 4),
        "lexical": round(h.lexical, 4),
        "sentence": h.sentences[0].text if h.sentences else "",
    }


def stats_dict(stats: Stats) -> dict[str, Any]:
    """:class:`~absatz.api.Stats` with the last ingest as a readable time."""
    d = asdict(stats)
    d["last_ingest"] = when(stats.last_ingest)
    return d


def eval_text(rows: list[dict[str, Any]]) -> str:
    """``absatz eval``'s table, then its misses when they were asked for."""
    keys = [k for k in rows[0] if k != "misses"]
    lines = [" | ".join(keys)] + [" | ".join(str(row.get(k, "")) for k in keys) for row in rows]
    for row in rows:
        if "misses" not in row:
            continue
        lines.append(f"\nmisses ({row['lang']}):")
        for m in row["misses"]:
            gold = f"{' | '.join(m['gold'])}  ({m['gold_id']})" if m["gold_id"] else "none: should be refused"
            lines.append(
                f"- [{m['type']}] {m['question']}\n    gold: {gold}\n"
                f"    got:  {m['answer']}  ({m['cited'] or 'no citation'})"
            )
    return "\n".join(lines)


def byline(meta: ArticleMeta) -> str:
    """``2023-09 · ZIOLKOWSKI (dpa-AFX)`` from whatever metadata the article has."""
    place, agency = meta.dateline, meta.agency
    where = f"{place} ({agency})" if place and agency else place or agency
    return " · ".join(x for x in (meta.date, where, meta.source) if x)


def section_headings(views: Sequence[ParagraphView | None]) -> list[str]:
    """The heading to show above each of consecutive paragraphs: a section's heading
    stands above its first paragraph shown, never above the paragraph before it, so a
    reader sees which section each paragraph belongs to."""
    shown, last = [], None
    for v in views:
        heading = v.heading if v else ""
        shown.append(heading if heading and heading != last else "")
        last = heading if v else last
    return shown


def paragraph_text(p: ParagraphView, before: ParagraphView | None, after: ParagraphView | None) -> str:
    lines = [f"{p.para_id} — {p.meta.title}", byline(p.meta)] + ([p.meta.url] if p.meta.url else [])
    views = (before, p, after)
    for view, heading in zip(views, section_headings(views), strict=True):
        if view is None:
            continue
        text = view.text if view is p else shorten(view.text, 300)
        lines += [""] + ([f"## {heading}"] if heading else []) + [f"¶{view.paragraph} {text}"]
    return "\n".join(lines)


def report_notes(report: IngestReport) -> list[str]:
    """An ingest's failures and warnings, one indented line each, as every CLI command
    that ingests prints them."""
    return [f"  failed: {f}" for f in report.failed] + [f"  warning: {w}" for w in report.warnings]


def when(timestamp: float | None) -> str:
    if not timestamp:
        return "never"
    return dt.datetime.fromtimestamp(float(timestamp), tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
