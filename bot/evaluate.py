"""``absatz eval``: retrieval, citation, containment and abstention on gold questions.

Questions come in the format of ``../shared/data/xquad-de/questions.jsonl``: gold
``article_id`` and 1-based ``paragraph``, and ``answers`` (strings verbatim in it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from vectorstore.records import citation_id
from vectorstore.search import Searcher

from .answer import compose


@dataclass
class EvalReport:
    questions: int = 0
    answerable: int = 0
    unanswerable: int = 0
    mrr10: float = 0.0
    r1: float = 0.0
    r5: float = 0.0
    answered: int = 0
    first_citation_correct: int = 0
    contains_answer: int = 0
    refused_unanswerable: int = 0
    ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        n, a = max(self.answerable, 1), max(self.answered, 1)
        d = {
            "questions": self.questions,
            "answerable": self.answerable,
            "mrr@10": round(self.mrr10 / n, 4),
            "r@1": round(self.r1 / n, 4),
            "r@5": round(self.r5 / n, 4),
            "answered_share": round(self.answered / n, 4),
            "citation_precision": round(self.first_citation_correct / a, 4),
            "answer_containment": round(self.contains_answer / a, 4),
            "median_ms": round(sorted(self.ms)[len(self.ms) // 2], 1) if self.ms else 0.0,
        }
        if self.unanswerable:
            d["unanswerable"] = self.unanswerable
            d["refused_share"] = round(self.refused_unanswerable / self.unanswerable, 4)
        return d


def evaluate(searcher: Searcher, questions: Iterable[dict], language: str = "de", unanswerable: bool = False) -> EvalReport:
    """Scores answerable questions (gold article indexed) on retrieval and answers; with
    ``unanswerable``, questions whose gold article is not indexed must abstain."""
    indexed = set(searcher.view().index.hashes)
    field_name = "question_en" if language == "en" else "question"
    report = EvalReport()
    for q in questions:
        text = q.get(field_name) or q["question"]
        in_index = q["article_id"] in indexed
        if not in_index and not unanswerable:
            continue
        report.questions += 1
        started = time.perf_counter()
        result = searcher.search(text, k=10)
        a = compose(text, result, started)
        report.ms.append(a.latency_ms)
        if not in_index:
            report.unanswerable += 1
            report.refused_unanswerable += a.abstained
            continue
        report.answerable += 1
        gold = citation_id(q["article_id"], int(q["paragraph"]))
        ranked = list(dict.fromkeys(h.para_id for h in result.hits))[:10]
        if gold in ranked:
            rank = ranked.index(gold) + 1
            report.mrr10 += 1 / rank
            report.r1 += rank == 1
            report.r5 += rank <= 5
        if not a.abstained:
            report.answered += 1
            report.first_citation_correct += a.citations[0].id == gold
            report.contains_answer += any(g and g in a.answer for g in q.get("answers", []))
    return report
