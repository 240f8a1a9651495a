"""Which sentences of a paragraph answer the question: a small fitted ranker.

The sentence most similar to the question is often the one that *restates* it; the
fact asked for sits in another sentence of the same paragraph. Each sentence is
described by a few features — similarity to the question (raw, relative to the
paragraph's best, and with the paragraph's common topic removed), how much of the
question's rarer vocabulary it shares, whether it carries the kind of fact the
question asks for (a name, a number, a date, a place, a reason) that neither the
question nor the lead already states, and where it stands — and a linear model whose
weights were fitted by ``bench/fit_selector.py`` on questions written for that purpose
(German and English, news and Wikipedia) ranks them.

Pure computation: vectors and texts in, scores out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore.text import tokenize

from .question_types import Expected, expected, named, spans

TYPED = (Expected.PERSON, Expected.NUMBER, Expected.DATE, Expected.PLACE, Expected.REASON)
FEATURES = (
    "sim_z",
    "sim_gap",
    "rank",
    "overlap",
    "weighted_overlap_gap",
    "focus_gap",
    "novelty",
    *(f"carries_{k.value}" for k in TYPED),
    "novel_carrier",
    "named",
    "first",
    "distance",
    "length",
)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Question:
    """A question as the ranker sees it: its text, vector, kind and weighted terms."""

    text: str
    vector: np.ndarray
    kind: Expected
    terms: dict[str, float]  # stemmed term → inverse document frequency in the corpus

    @classmethod
    def of(cls, text: str, vector: np.ndarray, idf: Callable[[str], float]) -> Question:
        return cls(text, vector, expected(text), {t: idf(t) for t in set(tokenize(text))})


def _lower_words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def features(q: Question, sentences: Sequence[tuple[str, np.ndarray]]) -> np.ndarray:
    """One row of :data:`FEATURES` per sentence of one paragraph (in paragraph order).

    - similarity to the question, standardised within the paragraph, its gap to the
      paragraph's best and its rank there;
    - shared question terms: all alike, weighted by corpus rarity, and weighted by rarity
      *within the paragraph* — the words an article repeats name its topic, the others
      what is asked about it (each as the gap to the paragraph's best);
    - novelty: the share of the sentence's terms the question does not contain;
    - whether it carries the kind of fact asked for, one that the lead does not already
      state, and for *wer*-questions a person's name;
    - place: the lead, the distance from the most similar sentence, and length.
    """
    n = len(sentences)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    vectors = np.asarray([v for _, v in sentences], dtype=np.float64)
    texts = [t for t, _ in sentences]
    sims = vectors @ q.vector
    order = np.argsort(-sims)
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    best = int(order[0])
    token_sets = [set(tokenize(t)) for t in texts]
    total = sum(q.terms.values()) or 1.0
    weighted = np.asarray([sum(w for t, w in q.terms.items() if t in ts) / total for ts in token_sets])
    local = {t: math.log((n + 1) / (1 + sum(t in ts for ts in token_sets))) for t in q.terms}
    local_total = sum(local.values()) or 1.0
    focus = np.asarray([sum(w for t, w in local.items() if t in ts) / local_total for ts in token_sets])
    lead_words = _lower_words(texts[0])
    rows = []
    for j, text in enumerate(texts):
        tokens = token_sets[j]
        carried = spans(text, q.kind, q.text) if q.kind in TYPED else []
        carries = [float(bool(carried) and q.kind is k) for k in TYPED]
        novel = any(j == 0 or not _lower_words(s.text) <= lead_words for s in carried)
        given = q.kind is Expected.PERSON and any(named(s) for s in carried)
        rows.append(
            [
                (sims[j] - sims.mean()) / (sims.std() + 1e-6),
                sims[j] - sims[best],
                min(rank[j], 5) / 5,
                len(tokens & q.terms.keys()) / max(1, len(q.terms)),
                weighted[j] - weighted.max(),
                focus[j] - focus.max(),
                len(tokens - q.terms.keys()) / max(1, len(tokens)),
                *carries,
                float(novel),
                float(given),
                float(j == 0),
                min(abs(j - best), 5) / 5,
                math.log(len(text) + 1) / 5,
            ]
        )
    return np.asarray(rows)


@dataclass(frozen=True)
class Ranker:
    """A linear scorer over :data:`FEATURES`, weights by name (standardisation folded in)."""

    weights: dict[str, float]
    bias: float = 0.0

    def scores(self, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        scores: np.ndarray = rows @ np.asarray([self.weights[f] for f in FEATURES]) + self.bias
        return scores
