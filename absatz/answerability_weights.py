"""The fitted answerability gate: written by bench/fit_answerability.py."""

from .answerability import Gate

# Fitted on 2026-12-02 from
# news: 540 questions, German and English, two indexes; xquad: 578 questions, German and English, two indexes;
# cuts maximise refused unanswerable − 3 × refused answerable questions.
GATE = Gate(
    embedder="bundled:multilingual-e5-small",
    weights={
        "margin": 36.2137,
        "passage_margin": 6.34718,
        "article_gap": 32.60318,
        "second_hit": -2.39068,
        "coverage": 1.34422,
        "scorer_best": 0.22511,
    },
    bias=-1.15903,
    cuts={"de": -0.3855, "en": -0.8141},
)
