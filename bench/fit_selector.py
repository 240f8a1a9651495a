"""Fit the answer-sentence ranker (absatz/selector.py) and show what it buys.

    python bench/fit_selector.py --workdir /tmp/fit [--write]

Training questions and the questions it is judged on never share an article:

| role  | questions | index |
|---|---|---|
| train | bench/data/train-questions.jsonl | 10kGNAD articles with id % 3 == 2 |
| extra | bench/data/more-train-questions.jsonl | the same index (not fitted on; bench/answer-quality.md) |
| train | XQuAD-de questions on the odd articles | XQuAD-de odd articles |
| dev   | bench/data/news-questions.jsonl | 10kGNAD articles with id % 3 == 1 |
| dev   | XQuAD-de questions on the even articles | XQuAD-de even articles (`absatz eval --half`) |

(10kGNAD articles with id % 3 == 0 are held out for an evaluation this project never
sees.) Each question is asked in German and English; the ranker scores the sentences of
the top paragraph, and a sentence is right when it contains a gold answer. Stores are
built once under ``--workdir`` and reused; search results are cached there too.

Prints, per set and language, how often the best one and the best two sentences hold
the answer — by cosine alone and by the fitted ranker — and what the answer shows
(the best sentence, plus the runner-up when absatz/answer_sentences.py's rule takes it) with its
median length; with ``--write`` stores the fitted weights in absatz/selector_weights.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import DATA, ROOT, index_articles, machine, read_jsonl, require, table

from absatz.answer_sentences import Chosen, select_sentences
from absatz.query_tower import question_order
from absatz.question_types import expected
from absatz.selector import FEATURES, Question, features
from vectorstore.embeddings import load_embedder
from vectorstore.search import Searcher
from vectorstore.settings import StoreSettings


@dataclass
class Example:
    """One question in one language: its top paragraph's sentences, features and labels."""

    set: str
    language: str
    question: str
    answered: bool
    rows: np.ndarray
    labels: np.ndarray
    kind: str
    texts: list[str]


def _gnad_slice(remainder: int):
    return lambda articles: [a for a in articles if int(a.id.split("-")[1]) % 3 == remainder]


SETS = {
    # name: (role, questions file, articles file, which articles to index, the store's name)
    "news-train": (
        "train",
        lambda: ROOT / "bench" / "data" / "train-questions.jsonl",
        DATA / "gnad10k" / "articles.jsonl",
        _gnad_slice(2),
        "news-train",
    ),
    # Trains the scorer only when asked (train_answer_scorer.py --extra): measured, not shipped.
    "news-more": (
        "extra",
        lambda: ROOT / "bench" / "data" / "more-train-questions.jsonl",
        DATA / "gnad10k" / "articles.jsonl",
        _gnad_slice(2),
        "news-train",
    ),
    "xquad-odd": (
        "train",
        lambda: DATA / "xquad-de" / "questions.jsonl",
        DATA / "xquad-de" / "articles.jsonl",
        lambda a: a[1::2],
        "xquad-odd",
    ),
    "news-dev": (
        "dev",
        lambda: ROOT / "bench" / "data" / "news-questions.jsonl",
        DATA / "gnad10k" / "articles.jsonl",
        _gnad_slice(1),
        "news-dev",
    ),
    "xquad-even": (
        "dev",
        lambda: DATA / "xquad-de" / "questions.jsonl",
        DATA / "xquad-de" / "articles.jsonl",
        lambda a: a[::2],
        "xquad-even",
    ),
}


def _normalised(text: str) -> str:
    return " ".join(text.split())


def _cached_idf(terms: dict[str, float]) -> Callable[[str], float]:
    """The idf a cached question's terms had when it was searched (0 for any other term)."""
    return lambda t: terms.get(t, 0.0)


def cache_of(name: str, workdir: Path) -> Path:
    """Where :func:`examples` keeps a set's search results."""
    return workdir / f"{name}.pickle"


def examples(name: str, workdir: Path, embedder) -> list[Example]:
    """Search every question once (cached) and describe its top paragraph's sentences."""
    _role, questions_path, articles_path, pick, store = SETS[name]
    cache = cache_of(name, workdir)
    if cache.exists():
        searched = pickle.loads(cache.read_bytes())
    else:
        settings = StoreSettings(chroma_path=workdir / store / "chroma")
        index_articles(settings.chroma_path, articles_path, pick, embedder)
        searcher = Searcher.open(settings, embedder, question_order)  # searched as answers search
        indexed = set(searcher.view().index.hashes)
        idf = searcher.view().index.lexical.idf
        searched = []
        for q in read_jsonl(require(questions_path())):
            if q.get("unanswerable") or q["article_id"] not in indexed:
                continue
            for language, field in (("de", "question"), ("en", "question_en")):
                result = searcher.search(q[field], k=3)
                answered = bool(result.hits) and result.evidence >= result.threshold
                top = result.hits[0] if result.hits else None
                sentences = [(m.text, m.vector) for m in result.sentences(top.para_id)] if top else []
                terms = {t: idf(t) for t in Question.of(q[field], result.ranking_vector, idf).terms}
                searched.append((q, language, q[field], result.ranking_vector, terms, answered, sentences))
        cache.write_bytes(pickle.dumps(searched))
    out = []
    for q, language, text, qvec, terms, answered, sentences in searched:
        question = Question.of(text, qvec, _cached_idf(terms))
        answers = [_normalised(a) for a in q.get("answers", [])]
        labels = np.asarray([any(a in _normalised(s) for a in answers) for s, _ in sentences], dtype=float)
        out.append(
            Example(
                name,
                language,
                text,
                answered,
                features(question, sentences),
                labels,
                q.get("type") or question.kind.value,
                [t for t, _ in sentences],
            )
        )
    return out


def fit(train: list[Example], l2: float, iterations: int = 400, rate: float = 0.3) -> tuple[np.ndarray, float]:
    """Conditional logit: per question, a softmax over its sentences towards the right ones.

    News questions weigh as much in total as the Wikipedia ones, which outnumber them.
    """
    usable = [e for e in train if e.answered and e.labels.sum() > 0]
    stacked = np.vstack([e.rows for e in usable])
    mean, std = stacked.mean(axis=0), stacked.std(axis=0) + 1e-6
    per_set = {s: sum(1 for e in usable if e.set == s) for s in {e.set for e in usable}}
    weight = {s: len(usable) / (len(per_set) * n) for s, n in per_set.items()}
    z = [((e.rows - mean) / std, e.labels / e.labels.sum(), weight[e.set]) for e in usable]
    w = np.zeros(len(FEATURES))
    total = sum(c for _, _, c in z)
    for _ in range(iterations):
        grad = np.zeros_like(w)
        for rows, target, c in z:
            s = rows @ w
            p = np.exp(s - s.max())
            grad += c * rows.T @ (p / p.sum() - target)
        w -= rate * (grad / total + l2 * w)
    # Fold the standardisation into the weights: score = rows @ (w / std) - mean·(w / std).
    folded = w / std
    return folded, float(-(mean * folded).sum())


def hits(examples: list[Example], score) -> tuple[int, int, int]:
    """(answerable questions, best sentence right, one of the best two right)."""
    one = two = 0
    for e in examples:
        if not e.answered or not len(e.rows):
            continue
        order = np.argsort(-score(e.rows))
        one += bool(e.labels[order[0]])
        two += bool(e.labels[order[:2]].any())
    return len(examples), one, two


def answers(examples: list[Example], score) -> tuple[float, float]:
    """What the answer shows (absatz.answer_sentences.select_sentences with these scores): the share of
    questions whose answer holds a gold answer, and the median answer length in characters."""
    right, lengths = 0, []
    for e in examples:
        if not e.answered or not len(e.rows):
            continue
        scores = score(e.rows)
        ranked = sorted((Chosen(0, "", j, t, float(scores[j])) for j, t in enumerate(e.texts)), key=lambda c: -c.score)
        chosen = select_sentences([ranked], [], question=e.question, kind=expected(e.question))
        right += bool(e.labels[[c.index for c in chosen]].any())
        lengths.append(sum(len(c.text) + 4 for c in chosen) + len(chosen) - 1)  # " [1]" after each
    return right / len(examples), statistics.median(lengths)


def write_weights(path: Path, weights: np.ndarray, bias: float, trained_on: str) -> None:
    body = "\n".join(f"        {name!r}: {w!r}," for name, w in zip(FEATURES, weights.round(5).tolist(), strict=True))
    path.write_text(
        '"""The fitted weights of the answer-sentence ranker: written by bench/fit_selector.py."""\n\n'
        "from .selector import Ranker\n\n"
        f"# Fitted on {dt.date.today().isoformat()} from\n# {trained_on}.\n"
        "RANKER = Ranker(\n    weights={\n" + body + "\n    },\n"
        f"    bias={round(bias, 5)!r},\n)\n",
        encoding="utf-8",
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, required=True, help="stores and search caches (reused)")
    ap.add_argument("--l2", type=float, default=0.01)
    ap.add_argument("--write", action="store_true", help="store the weights in absatz/selector_weights.py")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder("bundled:multilingual-e5-small")
    data = {name: examples(name, args.workdir, embedder) for name in SETS}
    train = [e for name, (role, *_) in SETS.items() if role == "train" for e in data[name]]
    weights, bias = fit(train, args.l2)
    cosine = lambda rows: rows[:, FEATURES.index("sim_z")]  # noqa: E731
    ranker = lambda rows: rows @ weights + bias  # noqa: E731
    rows = []
    for name, (role, *_) in SETS.items():
        for language in ("de", "en"):
            subset = [e for e in data[name] if e.language == language]
            n, c1, c2 = hits(subset, cosine)
            _, r1, r2 = hits(subset, ranker)
            shown, chars = answers(subset, ranker)
            rows.append(
                [
                    f"{name} ({role})",
                    language,
                    n,
                    f"{c1 / n:.3f}",
                    f"{c2 / n:.3f}",
                    f"{r1 / n:.3f}",
                    f"{r2 / n:.3f}",
                    f"{shown:.3f}",
                    f"{chars:.0f}",
                ]
            )
    print(f"{machine()}; share of answerable questions whose chosen sentences hold a gold answer")
    print(
        table(
            [
                "set",
                "lang",
                "questions",
                "cosine best",
                "cosine best 2",
                "ranker best",
                "ranker best 2",
                "answer",
                "answer chars (median)",
            ],
            rows,
        )
    )
    print()
    print(table(["feature", "weight"], [[f, f"{w:+.3f}"] for f, w in zip(FEATURES, weights, strict=True)]))
    if args.write:
        trained = ", ".join(
            f"{name} ({sum(1 for e in train if e.set == name) // 2} questions, German and English)"
            for name, (role, *_) in SETS.items()
            if role == "train"
        )
        write_weights(ROOT / "absatz" / "selector_weights.py", weights, bias, trained)
        print("\nwrote absatz/selector_weights.py")


if __name__ == "__main__":
    main()
