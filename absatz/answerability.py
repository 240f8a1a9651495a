"""Is the question answered by the corpus at all, or only by its neighbours?

The margin (vectorstore/evidence.py) refuses questions far from everything indexed.
Questions about a story the corpus covers only from another side pass it: the refugee
question about one border crossing finds the article about the next one, scores just
above the threshold and is answered with the wrong fact. Such near-story questions
differ in how their evidence is spread: several articles of the story are about equally
close, the question's rarer words are missing from the best paragraph, and the answer
scorer finds no sentence that answers. A logistic gate over those signals, fitted by
``bench/fit_answerability.py`` on questions asked of an index that holds their article
and of one that does not, refuses what the margin let through.

Its weights read raw similarities of the embedder they were fitted with; with any
other model the margin decides alone. Pure computation: signals in, a verdict out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore.search import SearchResult
from vectorstore.text import tokenize

from .selector import Question

FEATURES = ("margin", "passage_margin", "article_gap", "second_hit", "coverage", "scorer_best")


def signals(result: SearchResult, q: Question, paragraph: Sequence[str], scorer_best: float) -> np.ndarray | None:
    """One row of :data:`FEATURES`, or None for a search narrowed to a slice.

    ``paragraph`` is the top hit's sentences and ``scorer_best`` the best score the
    answer scorer gave one of them."""
    if result.background is None or not result.hits:
        return None
    tokens = set(tokenize(" ".join(paragraph)))
    total = sum(q.terms.values())
    coverage = sum(w for t, w in q.terms.items() if t in tokens) / total if total else 0.0
    return np.asarray(
        [
            result.evidence - result.threshold,
            result.background.passage_margin,
            result.background.article_gap,
            result.hits[1].score if len(result.hits) > 1 else 0.0,
            coverage,
            scorer_best,
        ]
    )


# A whole article (a 10kGNAD "paragraph" is one) that holds under 30 % of a German
# question's rarity-weighted words tells another part of the story: "Um wie viel ist die
# Produktion bei Magna Steyr eingebrochen …?" found the article on Styrian storm damage.
# A short paragraph may answer in other words ("Was ist Sepsis?", coverage 0), and an
# English question's words are not the German paragraph's, so neither is judged so.
COVERAGE_FLOOR = 0.30
WHOLE_ARTICLE_CHARS = 2000


def beside_the_question(row: np.ndarray | None, paragraph: Sequence[str], language: str) -> bool:
    """Whether the top hit, one whole article, holds too little of what a German question
    asks (``row`` from :func:`signals`; ``paragraph`` the top hit's sentences)."""
    if row is None or language != "de" or sum(len(s) for s in paragraph) < WHOLE_ARTICLE_CHARS:
        return False
    return bool(row[FEATURES.index("coverage")] < COVERAGE_FLOOR)


@dataclass(frozen=True)
class Gate:
    """Logistic weights by feature name (standardisation folded in) and, per question
    language, the lowest log-odds still answered."""

    embedder: str
    weights: dict[str, float]
    bias: float
    cuts: dict[str, float]

    def log_odds(self, row: np.ndarray) -> float:
        return float(row @ np.asarray([self.weights[f] for f in FEATURES]) + self.bias)

    def refuses(self, row: np.ndarray | None, language: str, embedder: str) -> bool:
        if row is None or embedder != self.embedder:
            return False
        cut = self.cuts.get(language, min(self.cuts.values(), default=-math.inf))
        return self.log_odds(row) < cut
