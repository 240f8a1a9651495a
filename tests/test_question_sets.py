"""The question sets in bench/data keep the rules their numbers rest on.

A gold answer that is not verbatim in its article can never be contained, so a typo
would lower every reported share; a question on a held-out article (id % 3 == 0) would
leak the evaluation this project must not see; a development or validation question on
a training article would judge the models on what they were fitted with.
"""

import json
from pathlib import Path

import pytest

from absatz.evaluate import TYPES

from .conftest import GNAD, XQUAD, bench_questions, needs_gnad, needs_xquad

TRAINING = ("train-questions.jsonl", "more-train-questions.jsonl")
FOLLOW_UPS = ("followup-questions.jsonl", "followup-blind-questions.jsonl", "followup-third-questions.jsonl")
OFF_TOPIC = (
    "offtopic-questions.jsonl",
    "offtopic-validation-questions.jsonl",
    "offtopic-test-questions.jsonl",
    "offtopic-blind-questions.jsonl",
    "offtopic-fifth-questions.jsonl",
)
CONVERSATIONS = (*FOLLOW_UPS, "switch-questions.jsonl", *OFF_TOPIC)
# Off-topic messages ask about no article ("article_id": "none").
SETS = ("news-questions.jsonl", *TRAINING, "validation-questions.jsonl", *FOLLOW_UPS, "switch-questions.jsonl")


def _number(article_id: str) -> int:
    return int(article_id.rsplit("-", 1)[1])


@needs_gnad
@pytest.mark.parametrize("name", SETS)
def test_gold_answers_are_verbatim_and_no_question_uses_a_held_out_article(name):
    articles = {}
    for line in GNAD.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        articles[record["id"]] = " ".join(record["text"].split())
    questions = bench_questions(name)
    assert len({q["qid"] for q in questions}) == len(questions), "duplicate qid"
    for q in questions:
        assert _number(q["article_id"]) % 3 != 0, f"{q['qid']}: {q['article_id']} is held out"
        assert q["question"].strip() and q["question_en"].strip(), q["qid"]
        if q.get("type") is not None:
            assert q["type"] in TYPES, q["qid"]
        for answer in q["answers"]:
            assert answer and " ".join(answer.split()) in articles[q["article_id"]], f"{q['qid']}: {answer!r}"


def test_answerable_development_and_validation_questions_ask_about_articles_of_the_development_index():
    training = {q["article_id"] for name in TRAINING for q in bench_questions(name)}
    asked: dict[str, str] = {}
    for name in ("news-questions.jsonl", "validation-questions.jsonl"):
        for q in bench_questions(name):
            if q.get("unanswerable"):
                assert _number(q["article_id"]) % 3 == 2, q["qid"]
                continue
            assert _number(q["article_id"]) % 3 == 1 and q["article_id"] not in training, q["qid"]
            # One question per article across both sets: validation asks about other stories.
            assert asked.setdefault(q["article_id"], q["qid"]) == q["qid"], (q["qid"], asked[q["article_id"]])


@pytest.mark.parametrize("name", CONVERSATIONS)
def test_a_conversation_opens_with_a_development_question_in_both_languages(name):
    """Its first question must find an indexed article, or the follow-up has no subject."""
    first = {
        q["question"]: q["question_en"] for q in bench_questions("news-questions.jsonl") if not q.get("unanswerable")
    }
    for q in bench_questions(name):
        (opening,), (opening_en,) = q["history"], q["history_en"]
        assert first.get(opening) == opening_en, q["qid"]
        if name in FOLLOW_UPS:
            assert not q.get("unanswerable") and _number(q["article_id"]) % 3 == 1, q["qid"]
        if name in OFF_TOPIC:
            assert q["unanswerable"] and q["article_id"] == "none" and not q["answers"], q["qid"]


@needs_xquad
def test_xquad_follow_ups_go_on_from_an_xquad_question_about_an_indexed_article():
    """``absatz eval --half`` indexes every second XQuAD-de article: a follow-up about the
    others has no subject, and a gold answer outside its paragraph can never be cited."""
    articles = [json.loads(line) for line in (XQUAD / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    indexed = {a["id"]: [p for p in a["text"].split("\n\n") if p.strip()] for a in articles[::2]}
    opening = {
        q["qid"]: q for q in map(json.loads, (XQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines())
    }
    questions = bench_questions("followup-xquad-questions.jsonl")
    assert len({q["qid"] for q in questions}) == len(questions), "duplicate qid"
    for q in questions:
        first = opening[q["first_qid"]]
        assert q["history"] == [first["question"]] and q["history_en"] == [first["question_en"]], q["qid"]
        assert first["article_id"] == q["article_id"] in indexed and q["type"] in TYPES, q["qid"]
        assert 1 <= q["paragraph"] <= len(indexed[q["article_id"]]), q["qid"]
        paragraph = indexed[q["article_id"]][q["paragraph"] - 1]
        assert all(answer and answer in paragraph for answer in q["answers"]), q["qid"]
