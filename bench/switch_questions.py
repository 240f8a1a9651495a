"""Writes ``bench/data/switch-questions.jsonl``: new questions asked in a conversation.

In a Discord thread the next message need not be a follow-up. Each line pairs a first
question of the development set (``history``, its article indexed) with a question
about something else: another indexed article's question of the same set (it must be
answered from that article), or a question about an article the development index
leaves out (``unanswerable``: it must be refused, not answered from the conversation's
article). The pairs are drawn from the written sets with a fixed seed, so the file is
reproducible: ``python bench/switch_questions.py``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
PAIRS = 60  # of each kind
FIELDS = ("question", "question_en", "article_id", "paragraph", "answers", "type")


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()  # --help had rewritten the data file
    rng = random.Random(13)
    news = _lines("news-questions.jsonl")
    answerable = [q for q in news if not q.get("unanswerable")]
    # not indexed: the development set's own refusals, then training questions (id % 3 == 2)
    elsewhere = [q for q in news if q.get("unanswerable")]
    elsewhere += rng.sample(_lines("train-questions.jsonl"), PAIRS - len(elsewhere))
    rows = []
    firsts = rng.sample(answerable, PAIRS)
    for i, (first, asked) in enumerate(zip(firsts, elsewhere, strict=True), start=1):
        rows.append({"qid": f"switch-out-{i:03d}", **_asked(first, asked), "unanswerable": True})
    firsts = rng.sample(answerable, PAIRS)
    for i, first in enumerate(firsts, start=1):
        asked = rng.choice([q for q in answerable if q["article_id"] != first["article_id"]])
        rows.append({"qid": f"switch-in-{i:03d}", **_asked(first, asked)})
    out = DATA / "switch-questions.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} questions → {out}")


def _asked(first: dict, asked: dict) -> dict:
    return {
        "history": [first["question"]],
        "history_en": [first["question_en"]],
        **{f: asked[f] for f in FIELDS if f in asked},
    }


if __name__ == "__main__":
    main()
