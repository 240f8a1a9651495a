"""The fitted weights of the answer-sentence ranker: written by bench/fit_selector.py."""

from .selector import Ranker

# Fitted on 2026-11-30 from news-train (270 questions, German and English), xquad-odd (578 questions, German and English).
RANKER = Ranker(
    weights={
        'sim_z': 0.72959,
        'sim_gap': 13.51198,
        'rank': 0.47702,
        'overlap': -3.05743,
        'weighted_overlap_gap': -0.30985,
        'focus_gap': 5.82764,
        'novelty': 1.66563,
        'carries_person': -0.0207,
        'carries_number': 2.34065,
        'carries_date': 2.15148,
        'carries_place': 0.08463,
        'carries_reason': 0.87601,
        'novel_carrier': 1.45356,
        'named': 0.72111,
        'first': -0.32041,
        'distance': -0.88621,
        'length': 0.598,
    },
    bias=-0.36448,
)
