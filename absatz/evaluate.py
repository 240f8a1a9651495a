"""``absatz eval``: retrieval, citation, containment and abstention on gold questions.

Questions come in the format of ``../shared/data/xquad-de/questions.jsonl``: gold
``article_id`` and 1-based ``paragraph``, and ``answers`` (strings verbatim in it); an
optional ``type`` (fact, number, date, place, why) groups containment, and questions
marked ``unanswerable`` (or whose article is not indexed) must be refused. A question
with a ``history`` (``history_en``) is asked as a follow-up in that conversation.

Containment — does the answer text state a gold answer? — is counted over *all*
answerable questions that give answers: an abstention is a miss, since the user got no
answer either.
An answered question that should have been refused is a miss too.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingest.article import ParseError
from ingest.pipeline import apply
from ingest.sources import load_articles
from vectorstore.chroma import Chroma
from vectorstore.embeddings import load_embedder
from vectorstore.errors import AbsatzError
from vectorstore.generations import Generations
from vectorstore.records import citation_id
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings
from vectorstore.writer import Writer

from .answer import Answer, answer, compose
from .question_types import Expected, expected

# What a question without a ``type`` counts as, from what its words ask for.
_TYPE_OF_KIND = {
    Expected.PERSON: "fact",
    Expected.OTHER: "fact",
    Expected.NUMBER: "number",
    Expected.DATE: "date",
    Expected.PLACE: "place",
    Expected.REASON: "why",
}
TYPES = ("fact", "number", "date", "place", "why")
UNANSWERABLE = "unanswerable"  # the type of a miss that should have been refused
QUESTION_FIELDS = {"de": "question", "en": "question_en"}  # the question asked for each --lang
# A conversation's earlier questions, asked before the question in the same language.
HISTORY_FIELDS = {"de": "history", "en": "history_en"}


def question_problem(q: object, languages: Iterable[str]) -> str | None:
    """What makes one line of a question file unusable, found before any model loads:
    otherwise a wrong type crashes the run half-way (``"paragraph": "zwei"``) or scores
    wrongly (``"answers": "999 Meilen"`` matched letter by letter; a missing
    ``question_en`` answered in German under the label en)."""
    if not isinstance(q, dict):
        return "not a JSON object"
    texts = dict.fromkeys(["question", *(QUESTION_FIELDS[lang] for lang in languages), "article_id"])
    needed = [*texts, *([] if q.get("unanswerable") else ["paragraph"])]
    missing = [f for f in needed if f not in q]
    if missing:
        asked = " (--lang en asks it)" if "question_en" in missing else ""
        return f"missing {', '.join(missing)}{asked}"
    if blank := [f for f in texts if not isinstance(q[f], str) or not q[f].strip()]:
        return f"{', '.join(blank)} must be text"
    if "paragraph" in needed and (type(q["paragraph"]) is not int or q["paragraph"] < 1):
        return f"paragraph must be a whole number from 1, not {json.dumps(q['paragraph'], ensure_ascii=False)}"
    if "type" in q and q["type"] not in TYPES:
        return f"type must be one of {', '.join(TYPES)}, not {json.dumps(q['type'], ensure_ascii=False)}"
    if not isinstance(q.get("unanswerable", False), bool):
        return f"unanswerable must be true or false, not {json.dumps(q['unanswerable'], ensure_ascii=False)}"
    for lang in ("de", *languages):
        history = q.get(HISTORY_FIELDS[lang], [])
        if not isinstance(history, list) or not all(isinstance(h, str) and h.strip() for h in history):
            return f"{HISTORY_FIELDS[lang]} must be a list of the conversation's earlier questions"
    if "history" in q and any(HISTORY_FIELDS[lang] not in q for lang in languages):
        return f"missing {', '.join(HISTORY_FIELDS[lang] for lang in languages if HISTORY_FIELDS[lang] not in q)}"
    answers = q.get("answers", [])
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        return f'answers must be a list of strings, like ["65 Cent"], not {json.dumps(answers, ensure_ascii=False)}'
    return None


def _normalised(text: str) -> str:
    return " ".join(text.split())


def contains_answer(answer: Answer, gold: Iterable[str]) -> bool:
    """Whitespace-insensitive: source texts carry double spaces that answers may not."""
    text = _normalised(answer.answer)
    return not answer.abstained and any(g and _normalised(g) in text for g in gold)


@dataclass
class Miss:
    qid: str
    type: str
    question: str
    gold: list[str]
    answer: str
    cited: str
    gold_id: str

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


@dataclass
class EvalReport:
    questions: int = 0
    answerable: int = 0
    with_answers: int = 0  # answerable questions that give gold answers: containment counts these
    unanswerable: int = 0
    not_indexed: int = 0  # skipped: their article is not indexed, and refusals were not asked for
    no_such_paragraph: int = 0  # skipped: their article has no paragraph of that number
    mrr10: float = 0.0
    r1: float = 0.0
    r5: float = 0.0
    answered: int = 0
    first_citation_correct: int = 0
    first_citation_article: int = 0
    contains_answer: int = 0
    refused_unanswerable: int = 0
    by_type: dict[str, list[int]] = field(default_factory=dict)  # type → [questions, containing]
    answer_chars: list[int] = field(default_factory=list)
    ms: list[float] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        n, a = max(self.answerable, 1), max(self.answered, 1)
        d = {
            "questions": self.questions,
            "answerable": self.answerable,
            "mrr@10": round(self.mrr10 / n, 4),
            "r@1": round(self.r1 / n, 4),
            "r@5": round(self.r5 / n, 4),
            "answered_share": round(self.answered / n, 4),
            "citation_precision": round(self.first_citation_correct / a, 4),
            "article_precision": round(self.first_citation_article / a, 4),
            "answer_containment": round(self.contains_answer / max(self.with_answers, 1), 4),
            **{f"containment_{t}": round(c / q, 4) for t, (q, c) in sorted(self.by_type.items(), key=_type_order)},
            "median_answer_chars": statistics.median(self.answer_chars) if self.answer_chars else 0,
            "median_ms": round(statistics.median(self.ms), 1) if self.ms else 0.0,
        }
        if self.with_answers < self.answerable:  # containment reads only the questions with answers
            d["without_answers"] = self.answerable - self.with_answers
        if self.unanswerable:
            d["unanswerable"] = self.unanswerable
            d["refused_share"] = round(self.refused_unanswerable / self.unanswerable, 4)
        if self.not_indexed:  # a mistyped article id would otherwise vanish from the count
            d["skipped_not_indexed"] = self.not_indexed
        if self.no_such_paragraph:  # as would a mistyped paragraph, as a retrieval miss
            d["skipped_no_such_paragraph"] = self.no_such_paragraph
        return d


def _type_order(item: tuple[str, list[int]]) -> int:
    return TYPES.index(item[0]) if item[0] in TYPES else len(TYPES)


class NotAnEvalStore(AbsatzError):
    """``--build`` was pointed at a store that holds other articles than its file's."""

    key = "not_an_eval_store"


def build_index(settings: StoreSettings, articles_path: Path, chosen: slice) -> None:
    """An evaluation index of ``chosen`` articles of a file (incremental: kept and reused
    at a fixed path, only what is missing is embedded). The store is made to hold exactly
    those, so one that holds any article the file does not is refused: pointed at the
    bot's store, the build had removed every other article and published the rest."""
    articles, failures = load_articles([articles_path])
    if failures:
        raise ParseError(str(failures[0]))
    if not articles[chosen]:
        raise ParseError(f"{articles_path}: no articles to index")
    chroma = Chroma(settings)
    foreign = _other_articles(chroma, {a.id for a in articles})
    if foreign:
        raise NotAnEvalStore(
            f"{settings.location} holds {len(foreign)} article(s) that are not in {articles_path} "
            f"(such as {foreign[0]}), which --build would remove: give it a store of its own",
            location=settings.location,
        )
    apply(chroma, load_embedder(settings.embedding_model, settings.embedding_device), articles[chosen])


def _other_articles(chroma: Chroma, ids: set[str]) -> list[str]:
    """The articles a store holds that are not among ``ids``."""
    generations = Generations(chroma)
    pointer = generations.read()
    if not pointer.live:
        return []
    return sorted(set(Writer(chroma, generations.create(pointer.live)).committed_articles()) - ids)


def evaluate(
    searcher: Searcher, questions: Iterable[dict[str, Any]], language: str = "de", unanswerable: bool = False
) -> EvalReport:
    """Scores answerable questions (gold article indexed) on retrieval and answers; with
    ``unanswerable``, questions whose gold article is not indexed must abstain."""
    index = searcher.view().index
    indexed, paragraphs = set(index.hashes), set(index.vectors.para_ids())
    field_name = QUESTION_FIELDS[language]
    report = EvalReport()
    for q in questions:
        text = q[field_name]
        in_index = q["article_id"] in indexed and not q.get("unanswerable")
        if not in_index and not unanswerable:
            report.not_indexed += not q.get("unanswerable") and q["article_id"] not in indexed
            continue
        if in_index and citation_id(q["article_id"], q["paragraph"]) not in paragraphs:
            report.no_such_paragraph += 1
            continue
        report.questions += 1
        started = time.perf_counter()
        history = q.get(HISTORY_FIELDS[language], [])
        # a follow-up is ranked by the search its conversation makes, and answered as asked in it
        result = searcher.search(" ".join([*history, text]), k=10)
        a = answer(searcher, text, k=10, history=history) if history else compose(text, result, started)
        report.ms.append(a.latency_ms)
        if not in_index:
            report.unanswerable += 1
            report.refused_unanswerable += a.abstained
            if not a.abstained:
                report.misses.append(
                    Miss(str(q.get("qid", "")), UNANSWERABLE, text, [], a.answer, a.citations[0].id, "")
                )
            continue
        report.answerable += 1
        kind = q.get("type") or _TYPE_OF_KIND[expected(text)]
        gold = citation_id(q["article_id"], q["paragraph"])
        ranked = list(dict.fromkeys(h.para_id for h in result.hits))[:10]
        if gold in ranked:
            rank = ranked.index(gold) + 1
            report.mrr10 += 1 / rank
            report.r1 += rank == 1
            report.r5 += rank <= 5
        answers = q.get("answers", [])
        contained = contains_answer(a, answers)
        if answers:  # without them, containment has nothing to find: not a miss
            report.with_answers += 1
            counts = report.by_type.setdefault(kind, [0, 0])
            counts[0] += 1
            counts[1] += contained
            report.contains_answer += contained
        if not a.abstained:
            report.answered += 1
            report.first_citation_correct += a.citations[0].id == gold
            report.first_citation_article += a.citations[0].article_id == q["article_id"]
            report.answer_chars.append(len(a.answer))
        missed = not contained if answers else a.abstained
        if missed:
            report.misses.append(
                Miss(
                    str(q.get("qid", "")),
                    kind,
                    text,
                    list(q.get("answers", [])),
                    a.answer,
                    a.citations[0].id if a.citations else "",
                    gold,
                )
            )
    return report
