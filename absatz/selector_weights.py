"""The fitted weights of the answer-sentence ranker: written by bench/fit_selector.py."""

from .selector import Ranker

# Fitted on 2026-11-30 from
# news-train (540 questions, German and English), xquad-odd (578 questions, German and English).
RANKER = Ranker(
    weights={
        "sim_z": 0.68478,
        "sim_gap": 13.72903,
        "rank": 0.45898,
        "overlap": -3.91999,
        "weighted_overlap_gap": -0.09811,
        "focus_gap": 6.84198,
        "novelty": 1.79877,
        "carries_person": 0.062,
        "carries_number": 2.24454,
        "carries_date": 2.24265,
        "carries_place": 0.20391,
        "carries_reason": 1.05576,
        "novel_carrier": 1.24833,
        "named": 0.92101,
        "first": -0.30587,
        "distance": -0.86864,
        "length": 0.07438,
    },
    bias=0.44817,
)
