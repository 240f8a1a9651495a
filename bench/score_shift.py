"""How much higher the answer scorers rate an English question's answer than its German
version's: the shift of an English message's stray cut in a conversation
(``absatz.conversation.ENGLISH_SCORE_SHIFT``).

A message far from the conversation's article is a follow-up only if a sentence of the
paragraph cited first reads as its answer: ranker + the first answer scorer's best, in
log-odds (``absatz.answer.cited_first_best``). The scorers read an English question
against German sentences, so the same answer may score otherwise than for the German
question. Each answerable question of the news development and validation sets is asked
alone, in German and in English, of the development index; over the questions answered
with their fact in both languages this prints the paired difference, English minus
German, and each language's quantiles. No model is trained; ~8 minutes on 2 cores:

    absatz eval bench/data/news-questions.jsonl --build ../shared/data/gnad10k/articles.jsonl \\
        --slice 1::3 --chroma-path /tmp/news-dev/chroma        # the development index, once
    python bench/score_shift.py --chroma-path /tmp/news-dev/chroma
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np
from common import ROOT, built_first, machine, read_jsonl, require, table

from absatz.answer import cited_first_best, compose, read
from absatz.api import Absatz
from absatz.question_text import search_text
from absatz.settings import Settings

SETS = ("news-questions.jsonl", "validation-questions.jsonl")
LANGUAGES = (("de", "question"), ("en", "question_en"))
QUANTILES = (0.05, 0.1, 0.25, 0.5)


def scored(core: Absatz, question: str, answers: list[str]) -> float | None:
    """The score the stray rule reads for ``question`` asked alone, when its answer states
    one of ``answers``; None when it is refused or states none."""
    result = core.searcher.search(search_text(question), k=5)
    if not result.hits:
        return None
    reading = read(question, result, result.hits[:2])
    reply = compose(question, result, 0.0, reading)
    if reply.abstained or not any(a in reply.answer for a in answers):
        return None
    return cited_first_best(question, result, reading, reply)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chroma-path", type=Path, required=True, help="the development index (id %% 3 == 1)")
    args = ap.parse_args()
    built_first(
        [args.chroma_path],
        f"absatz eval bench/data/news-questions.jsonl --build ../shared/data/gnad10k/articles.jsonl "
        f"--slice 1::3 --chroma-path {args.chroma_path}",
    )
    core = Absatz(Settings.from_env().with_store(chroma_path=args.chroma_path))
    scores: dict[str, list[float]] = {language: [] for language, _ in LANGUAGES}
    paired: list[float] = []
    for name in SETS:
        for q in read_jsonl(require(ROOT / "bench" / "data" / name)):
            if q.get("unanswerable"):
                continue
            both = {language: scored(core, q[field], q["answers"]) for language, field in LANGUAGES}
            for language, score in both.items():
                if score is not None:
                    scores[language].append(score)
            if both["de"] is not None and both["en"] is not None:
                paired.append(both["en"] - both["de"])
    print(f"{machine()}; {args.chroma_path}")
    rows = [[language, len(s), *(f"{np.quantile(s, p):.2f}" for p in QUANTILES)] for language, s in scores.items() if s]
    print(table(["answered with the fact", "questions", *(f"q{int(p * 100)}" for p in QUANTILES)], rows))
    if paired:
        print(
            f"\nanswered with the fact in both: {len(paired)}; English − German: median "
            f"{statistics.median(paired):.2f}, mean {statistics.fmean(paired):.2f}"
        )


if __name__ == "__main__":
    main()
