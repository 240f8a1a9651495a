"""``absatz eval``: the numbers it prints follow from what the answers really were."""

import json
import shutil
import tempfile

import pytest

from .conftest import XQUAD, json_lines, needs_xquad, run_cli

GOLD = [
    {
        "qid": "1",
        "question": "Was kostet ein Brötchen in München?",
        "question_en": "How much is a bread roll in Munich?",
        "article_id": "2025-06-baeckerei-preise",
        "paragraph": 1,
        "answers": ["65 Cent"],
    },
    {
        "qid": "2",
        "question": "Wie viele Blitzer will Köln aufstellen?",
        "question_en": "How many speed cameras will Cologne install?",
        "article_id": "2025-03-tempo30-koeln",
        "paragraph": 4,
        "answers": ["zwölf"],
    },
    {
        "qid": "3",
        "question": "Wie viel kostet die Sanierung des Museums?",
        "question_en": "How much did the museum renovation cost?",
        "article_id": "2025-01-museum-leipzig",
        "paragraph": 3,
        "answers": ["14 Millionen Euro"],
    },
    {
        "qid": "4",
        "question": "Wer gewann die Tour de France 1998?",
        "question_en": "Who won the 1998 Tour de France?",
        "article_id": "not-indexed",
        "paragraph": 1,
        "answers": ["Pantani"],
    },
]


def test_eval_on_the_store(built_store, tmp_path, capsys):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in GOLD), encoding="utf-8")
    code, out, _ = run_cli(
        capsys,
        "eval",
        str(path),
        "--lang",
        "de",
        "en",
        "--unanswerable",
        "--json",
        "--chroma-path",
        str(built_store.chroma_path),
    )
    de, en = json_lines(out)
    assert code == 0 and (de["lang"], en["lang"]) == ("de", "en")
    assert de["answerable"] == 3 and de["unanswerable"] == 1
    assert de["r@1"] == 1.0 and de["citation_precision"] == 1.0 and de["answer_containment"] == 1.0
    assert de["refused_share"] == 1.0 and en["r@5"] == 1.0


def test_a_question_without_answers_or_about_no_indexed_article_is_told_not_miscounted(built_store, tmp_path, capsys):
    """``answers`` is optional, but a question without them had counted as a containment
    miss, and one whose article_id was mistyped had vanished from the table unsaid."""
    plain = {"question": GOLD[0]["question"], "article_id": GOLD[0]["article_id"], "paragraph": GOLD[0]["paragraph"]}
    typo = {**GOLD[1], "article_id": GOLD[1]["article_id"] + "x"}
    beyond = {**GOLD[1], "paragraph": 99}  # had been scored as a retrieval and containment miss
    marked = {"question": "Was kostet eine Kugel Eis?", "article_id": "none", "unanswerable": True}  # no typo
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in (plain, typo, beyond, GOLD[2], marked)), encoding="utf-8")
    code, out, _ = run_cli(capsys, "eval", str(path), "--json", "--chroma-path", str(built_store.chroma_path))
    (de,) = json_lines(out)
    assert code == 0 and de["answerable"] == 2 and de["without_answers"] == 1 and de["skipped_not_indexed"] == 1
    assert de["skipped_no_such_paragraph"] == 1
    assert de["answer_containment"] == 1.0 and de["r@1"] == 1.0


@needs_xquad
def test_eval_builds_a_half_index_itself(tmp_path, capsys):
    articles = (XQUAD / "articles.jsonl").read_text(encoding="utf-8").splitlines()[:4]
    ids = [json.loads(a)["id"] for a in articles]
    (tmp_path / "a.jsonl").write_text("\n".join(articles) + "\n", encoding="utf-8")
    questions = [
        q
        for q in (XQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(q)["article_id"] in ids
    ]
    (tmp_path / "q.jsonl").write_text("\n".join(questions) + "\n", encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "eval", str(tmp_path / "q.jsonl"), "--build", str(tmp_path / "a.jsonl"), "--half", "--json"
    )
    (row,) = json_lines(out)
    assert code == 0
    assert row["answerable"] + row["unanswerable"] == len(questions) and row["unanswerable"] > 0
    assert row["mrr@10"] > 0.8 and row["answered_share"] > 0.8


def test_eval_counts_containment_per_type_and_lists_the_misses(built_store, tmp_path, capsys):
    wrong = {**GOLD[0], "qid": "5", "answers": ["99 Cent"], "type": "number"}
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in [*GOLD[:3], wrong]), encoding="utf-8")
    code, out, _ = run_cli(
        capsys, "eval", str(path), "--json", "--misses", "--chroma-path", str(built_store.chroma_path)
    )
    (de,) = json_lines(out)
    assert code == 0 and de["answerable"] == 4
    assert de["containment_number"] == 0.75 and de["answer_containment"] == 0.75  # 3 of the 4 number questions
    (miss,) = de["misses"]
    assert miss["qid"] == "5" and miss["gold"] == ["99 Cent"] and "65 Cent" in miss["answer"]
    assert de["median_answer_chars"] > 0


def test_misses_list_an_answered_question_that_should_be_refused(built_store, tmp_path, capsys):
    marked = {**GOLD[0], "qid": "6", "unanswerable": True}  # its answer is indexed, so it is answered
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in [GOLD[1], GOLD[3], marked]), encoding="utf-8")
    args = ["eval", str(path), "--unanswerable", "--misses", "--chroma-path", str(built_store.chroma_path)]
    code, out, _ = run_cli(capsys, *args, "--json")
    (de,) = json_lines(out)
    assert code == 0 and de["refused_share"] == 0.5
    (miss,) = de["misses"]
    assert (miss["qid"], miss["type"], miss["cited"]) == ("6", "unanswerable", "2025-06-baeckerei-preise#1")
    code, out, _ = run_cli(capsys, *args)
    assert "[unanswerable] Was kostet ein Brötchen in München?\n    gold: none: should be refused" in out


def test_a_question_with_a_history_is_asked_as_a_follow_up_in_that_conversation(built_store, tmp_path, capsys):
    """Alone, "Und wie viele Betriebe gibt es?" has no subject; after the price of a roll
    it asks the bakery article, and a question about what the corpus does not hold must
    still be refused there."""
    follow_up = {
        "qid": "f1",
        "history": ["Was kostet ein Brötchen in München?"],
        "history_en": ["How much is a bread roll in Munich?"],
        "question": "Und wie viele Betriebe gibt es?",
        "question_en": "And how many businesses are there?",
        "article_id": "2025-06-baeckerei-preise",
        "paragraph": 3,
        "answers": ["2.300"],
    }
    elsewhere = {**GOLD[3], "qid": "f2", "history": follow_up["history"], "history_en": follow_up["history_en"]}
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(q) for q in [follow_up, elsewhere]), encoding="utf-8")
    args = ["eval", str(path), "--unanswerable", "--json", "--chroma-path", str(built_store.chroma_path)]
    code, out, _ = run_cli(capsys, *args, "--lang", "de")
    (de,) = json_lines(out)
    assert code == 0 and de["answer_containment"] == 1.0 and de["refused_share"] == 1.0
    path.write_text(json.dumps({**follow_up, "history": []}), encoding="utf-8")
    code, out, _ = run_cli(capsys, *args, "--lang", "de")
    (alone,) = json_lines(out)
    assert alone["answer_containment"] == 0.0  # without its conversation it is not answered


def villages(folder):
    """Three one-sentence articles (a.jsonl) and a question about each (q.jsonl): an index
    built in seconds."""
    articles = [{"id": f"a-{i}", "text": f"Im Dorf Nummer {i} wohnen {100 + i} Menschen."} for i in range(3)]
    (folder / "a.jsonl").write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    qs = [
        {
            "qid": str(i),
            "question": f"Wie viele Menschen wohnen im Dorf Nummer {i}?",
            "article_id": f"a-{i}",
            "paragraph": 1,
            "answers": [f"{100 + i} Menschen"],
        }
        for i in range(3)
    ]
    (folder / "q.jsonl").write_text("\n".join(json.dumps(q) for q in qs), encoding="utf-8")


def test_eval_slice_indexes_only_those_articles(tmp_path, capsys):
    villages(tmp_path)
    code, out, _ = run_cli(
        capsys, "eval", str(tmp_path / "q.jsonl"), "--build", str(tmp_path / "a.jsonl"), "--slice", "1::2", "--json"
    )
    (row,) = json_lines(out)
    assert code == 0 and (row["answerable"], row["unanswerable"]) == (1, 2)
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "eval", str(tmp_path / "q.jsonl"), "--build", str(tmp_path / "a.jsonl"), "--slice", "x")
    assert exit_.value.code == 2 and "not a slice like 1::3" in capsys.readouterr().err


def test_eval_build_refuses_a_store_that_holds_other_articles_and_keeps_its_own(built_store, tmp_path, capsys):
    """Pointed at the bot's store, --build had removed every article its file lacks (8 of
    8, exit 0) and published the rest. A store it built itself is still reused, whichever
    of the file's articles it is to hold now."""
    villages(tmp_path)
    store = tmp_path / "bot" / "chroma"
    shutil.copytree(built_store.chroma_path, store)
    _, out, _ = run_cli(capsys, "stats", "--json", "--chroma-path", str(store))
    before = json.loads(out)["articles"]
    code, _, err = run_cli(
        capsys, "eval", str(tmp_path / "q.jsonl"), "--build", str(tmp_path / "a.jsonl"), "--chroma-path", str(store)
    )
    assert code == 2 and f"holds {before} article(s) that are not in {tmp_path / 'a.jsonl'}" in err
    assert "--build would remove" in err and len(err.strip().splitlines()) == 1
    _, out, _ = run_cli(capsys, "stats", "--json", "--chroma-path", str(store))
    assert json.loads(out)["articles"] == before
    own = tmp_path / "eval" / "chroma"
    for chosen in ("1::2", "0::2"):
        build = ["--build", str(tmp_path / "a.jsonl"), "--slice", chosen, "--chroma-path", str(own), "--json"]
        code, out, err = run_cli(capsys, "eval", str(tmp_path / "q.jsonl"), *build)
        assert code == 0, err
    assert [(r["answerable"], r["unanswerable"]) for r in json_lines(out)] == [(2, 1)]


def test_a_bad_question_file_names_its_line_before_anything_loads(tmp_path, capsys):
    good = {"question": "Wie viele Menschen wohnen im Dorf?", "article_id": "a-1", "paragraph": 1, "answers": ["100"]}
    cases = {
        "broken.jsonl": (json.dumps(good) + "\n\n{kaputt\n", "broken.jsonl:3: malformed JSON"),
        "fields.jsonl": (json.dumps(good) + "\n" + json.dumps({"question": "Wer?"}) + "\n", "fields.jsonl:2: missing"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        code, _, err = run_cli(capsys, "eval", str(tmp_path / name), "--chroma-path", str(tmp_path / "none"))
        assert code == 2 and message in err and "Traceback" not in err, err
    assert "article_id, paragraph" in err
    # A BOM, and a U+2028 in a question's text, as an editor may save them: lines counted as ingest counts them
    spaced = {**good, "question": "Wie viele Menschen\u2028wohnen im Dorf?"}
    text = "\ufeff" + json.dumps(good) + "\n" + json.dumps(spaced, ensure_ascii=False) + "\n{kaputt\n"
    (tmp_path / "saved.jsonl").write_text(text, encoding="utf-8")
    code, _, err = run_cli(capsys, "eval", str(tmp_path / "saved.jsonl"), "--chroma-path", str(tmp_path / "none"))
    assert code == 2 and "saved.jsonl:3: malformed JSON" in err, err
    (tmp_path / "latin1.jsonl").write_bytes(json.dumps(good, ensure_ascii=False).encode() + b"\n\xe4\n")
    code, _, err = run_cli(capsys, "eval", str(tmp_path / "latin1.jsonl"), "--chroma-path", str(tmp_path / "none"))
    assert code == 2 and "latin1.jsonl" in err and "not UTF-8" in err
    assert not (tmp_path / "none").exists()


def test_a_question_with_fields_of_the_wrong_kind_names_its_line(tmp_path, capsys):
    good = {
        "question": "Wie weit flogen die Raketen?",
        "question_en": "How far did the rockets fly?",
        "article_id": "a-1",
        "paragraph": 2,
        "answers": ["650 Kilometer"],
    }
    cases = {
        "answers.jsonl": ({**good, "answers": "999 Meilen"}, "answers.jsonl:2: answers must be a list of strings"),
        "paragraph.jsonl": ({**good, "paragraph": "zwei"}, "paragraph.jsonl:2: paragraph must be a whole number"),
        "english.jsonl": ({**good, "question_en": None}, "english.jsonl:2: question_en must be text"),
        "type.jsonl": ({**good, "type": ["fact"]}, "type.jsonl:2: type must be one of fact, number, date, place, why"),
        "refuse.jsonl": ({**good, "unanswerable": "ja"}, "refuse.jsonl:2: unanswerable must be true or false"),
        "no-english.jsonl": (
            {k: v for k, v in good.items() if k != "question_en"},
            "no-english.jsonl:2: missing question_en",
        ),
        "history.jsonl": ({**good, "history": "Wer?", "history_en": ["Who?"]}, "history.jsonl:2: history must be"),
        "history-en.jsonl": ({**good, "history": ["Wer?"]}, "history-en.jsonl:2: missing history_en"),
    }
    for name, (bad, message) in cases.items():
        (tmp_path / name).write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
        code, _, err = run_cli(
            capsys, "eval", str(tmp_path / name), "--lang", "de", "en", "--chroma-path", str(tmp_path / "none")
        )
        assert code == 2 and message in err and "Traceback" not in err, err
    assert not (tmp_path / "none").exists()


def test_half_and_slice_need_build_and_exclude_each_other(tmp_path, capsys):
    villages(tmp_path)
    code, _, err = run_cli(capsys, "eval", str(tmp_path / "q.jsonl"), "--half", "--chroma-path", str(tmp_path / "none"))
    assert code == 2 and "--half and --slice" in err and "--build" in err
    code, _, err = run_cli(capsys, "eval", str(tmp_path / "q.jsonl"), "--slice", "1::2", "--chroma-path", str(tmp_path))
    assert code == 2 and "--half and --slice" in err and "--build" in err
    with pytest.raises(SystemExit) as exit_:
        run_cli(
            capsys, "eval", str(tmp_path / "q.jsonl"), "--build", str(tmp_path / "a.jsonl"), "--half", "--slice", "1::2"
        )
    assert exit_.value.code == 2 and "argument --slice: not allowed with argument --half" in capsys.readouterr().err


def test_eval_build_removes_its_temporary_store_also_after_an_error(tmp_path, capsys, monkeypatch):
    villages(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code, out, err = run_cli(capsys, "eval", str(tmp_path / "q.jsonl"), "--build", str(tmp_path / "a.jsonl"), "--json")
    assert code == 0 and json_lines(out)[0]["answerable"] == 3, err
    (tmp_path / "broken.jsonl").write_text('{"id": "x", "text": "Ein Satz."}\n{kaputt\n', encoding="utf-8")
    code, _, err = run_cli(capsys, "eval", str(tmp_path / "q.jsonl"), "--build", str(tmp_path / "broken.jsonl"))
    assert code == 2 and "broken.jsonl:2" in err
    assert list(tmp_path.glob("absatz-eval-*")) == []
