"""Coverage gaps: the questions the bot could not answer (or was told it got wrong),
grouped by meaning, so editors see what the corpus is missing — most asked first.

Questions are grouped by average-linkage clustering of their embeddings, and only
questions that ask for the same kind of fact are ever grouped ("Wann öffnet das
Hallenbad?" and "Was kostet der Eintritt ins Hallenbad?" are about the same pool, 0.95
apart by cosine, and two different gaps). The threshold was measured on
``tests/data/gap_questions.json``: paraphrases (German and English) lie at ≥ 0.86,
different questions of the same kind at ≤ 0.87 pairwise; average linkage recovers the
ten groups exactly for any threshold from 0.84 to 0.88, and 0.86 is the middle.
Pure computation: questions and their vectors in, groups out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from vectorstore.text import shorten

from .db.feedback import AskedQuestion
from .question_types import Expected, expected, named_subjects

SAME_QUESTION = 0.86


FOLLOWS = " → "


@dataclass(frozen=True)
class Wording:
    """What was asked, whole: "Und in Berlin?" alone says nothing of what the corpus
    lacks, so a follow-up keeps the question that opened its thread beside it — apart,
    since either may hold the arrow that joins them when shown."""

    follows: str  # the thread's opening question; "" for a question of its own
    question: str

    def __str__(self) -> str:
        return f"{self.follows}{FOLLOWS}{self.question}" if self.follows else self.question


@dataclass(frozen=True)
class Gap:
    """One thing people asked for that the corpus did not give them."""

    question: Wording  # the group's most typical wording (its medoid)
    count: int  # how often it was asked in the period
    abstained: int  # … and refused
    down_votes: int  # … and answered but voted 👎
    reasons: tuple[str, ...]  # what the 👎 comments said
    wordings: tuple[Wording, ...]  # every distinct wording, most frequent first


def is_gap(q: AskedQuestion) -> bool:
    return q.abstained or q.down > 0


def asked(q: AskedQuestion) -> Wording:
    return Wording(" ".join(q.follows.split()), " ".join(q.question.split()))


def kind(q: AskedQuestion) -> str:
    """What a question may be grouped by: the kind of fact it asks for (a follow-up's own,
    else its subject's: "Und wer baut es?" asks for a person whatever the subject asked),
    and the names a follow-up swaps in ("Und in Salzburg?" is not "Und in Graz?")."""
    own = expected(q.question)
    if not q.follows:
        return own.value
    asks = own if own is not Expected.OTHER else expected(q.follows)
    return ":".join([asks.value, *sorted(named_subjects(q.question))])


def beside(wording: Wording, shown: Wording) -> str:
    """Another wording as listed beside the one ``shown``: a follow-up on the same subject
    by its own words ("And in Salzburg?"), the subject already being there."""
    return wording.question if wording.follows and wording.follows == shown.follows else str(wording)


SUBJECT_AT_LEAST = 20  # characters of a follow-up's subject kept however long the follow-up


def shortened(wording: Wording, limit: int) -> str:
    """``wording`` within ``limit`` characters; a follow-up keeps its own words whole and
    its subject gives way (a follow-up too long for that gives way too, after the first
    words of its subject)."""
    text = str(wording)
    if not wording.follows or len(text) <= limit:
        return shorten(text, limit)
    room = limit - len(wording.question) - len(FOLLOWS)
    if room >= SUBJECT_AT_LEAST:
        return shorten(wording.follows, room) + FOLLOWS + wording.question
    left = limit - SUBJECT_AT_LEAST - len(FOLLOWS)
    if left < SUBJECT_AT_LEAST:
        return shorten(text, limit)
    return shorten(wording.follows, SUBJECT_AT_LEAST) + FOLLOWS + shorten(wording.question, left)


def cluster(vectors: np.ndarray, kinds: Sequence[str], threshold: float = SAME_QUESTION) -> list[list[int]]:
    """Average-linkage clusters of unit vectors (SciPy's), within each kind of question:
    groups merge while their mean pairwise cosine is at least ``threshold``. Searching
    every pair of groups again after each merge had taken 89 s for 400 questions, and a
    year's `/gaps` of a busy server longer than Discord waits for the reply."""
    from scipy.cluster.hierarchy import fcluster, linkage

    groups: list[list[int]] = []
    for k in dict.fromkeys(kinds):
        members = [i for i, x in enumerate(kinds) if x == k]
        if len(members) == 1:
            groups.append(members)
            continue
        block = vectors[members]
        distances = np.clip(1.0 - block @ block.T, 0.0, 2.0)[np.triu_indices(len(members), 1)]
        labels = fcluster(linkage(distances, method="average"), t=1.0 - threshold, criterion="distance").tolist()
        by_label: dict[int, list[int]] = {}
        for m, label in zip(members, labels, strict=True):
            by_label.setdefault(label, []).append(m)
        groups.extend(by_label.values())
    return groups


def find_gaps(
    questions: Sequence[AskedQuestion], embed: Callable[[list[str]], np.ndarray], threshold: float = SAME_QUESTION
) -> list[Gap]:
    """The period's unanswered or disliked questions, grouped; most asked first."""
    missed = [q for q in questions if is_gap(q)]
    by_text: dict[Wording, list[AskedQuestion]] = {}
    for q in missed:
        by_text.setdefault(asked(q), []).append(q)
    texts = sorted(by_text, key=str)
    if not texts:
        return []
    vectors = embed([str(w) for w in texts])
    groups = cluster(vectors, [kind(by_text[t][0]) for t in texts], threshold)
    gaps = []
    for members in groups:
        sims = vectors[members] @ vectors[members].T
        medoid = texts[members[int(np.argmax(sims.sum(axis=1)))]]
        rows = [q for i in members for q in by_text[texts[i]]]
        wordings = sorted((texts[i] for i in members), key=lambda t: (-len(by_text[t]), str(t)))
        gaps.append(
            Gap(
                medoid,
                len(rows),
                sum(q.abstained for q in rows),
                sum(q.down for q in rows),
                tuple(c for q in rows for c in q.comments),
                tuple(wordings),
            )
        )
    return sorted(gaps, key=lambda g: (-g.count, str(g.question)))
