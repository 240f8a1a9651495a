"""The fitted answerability gate: written by bench/fit_answerability.py."""

from .answerability import Gate

# Fitted on 2026-12-01 from
# news: 540 questions, German and English, two indexes; xquad: 578 questions, German and English, two indexes;
# cuts maximise refused unanswerable − 3 × refused answerable questions.
GATE = Gate(
    embedder="bundled:multilingual-e5-small",
    weights={
        "margin": 38.59984,
        "passage_margin": 4.04568,
        "article_gap": 32.56172,
        "second_hit": -2.11483,
        "coverage": 1.50101,
        "scorer_best": 0.23643,
    },
    bias=-1.41178,
    cuts={"de": -0.331, "en": -0.9767},
)
