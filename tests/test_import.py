"""``absatz import`` into a store that already holds articles: a restore that would
discard them says so and waits for ``--replace``, then says how many it replaced."""

import json

from .conftest import json_lines, run_cli, vector_folders


def test_an_import_into_a_store_with_articles_is_refused_until_replace_says_so(
    tmp_path, capsys, built_store, corpus_dir
):
    backup = tmp_path / "backup.jsonl"
    code, out, err = run_cli(capsys, "export", str(backup), "--chroma-path", str(built_store.chroma_path))
    exported = json.loads(out)
    assert code == 0 and exported["articles"] >= 9, err
    target = ["--chroma-path", str(tmp_path / "chroma")]
    code, _, err = run_cli(capsys, "ingest", str(corpus_dir / "2025-06-baeckerei-preise.txt"), *target)
    assert code == 0, err
    before = run_cli(capsys, "stats", "--json", *target)[1]
    replaced_folders = vector_folders(tmp_path / "chroma")

    code, out, err = run_cli(capsys, "import", str(backup), *target)
    assert code == 2 and out == ""
    assert err == (
        f"absatz: error: {backup}: not imported: {tmp_path / 'chroma'}/absatz holds 1 article, which an import "
        "replaces; ask to replace them (--replace, replace=True)\n"
    )
    assert run_cli(capsys, "stats", "--json", *target)[1] == before

    code, out, err = run_cli(capsys, "import", str(backup), "--replace", *target)
    assert code == 0 and json.loads(out) == {**exported, "replaced": 1}, err
    code, out, _ = run_cli(capsys, "stats", "--json", *target)
    assert json.loads(out)["articles"] == exported["articles"]
    assert replaced_folders and not replaced_folders & vector_folders(tmp_path / "chroma")

    code, out, _ = run_cli(capsys, "audit", "--json", *target)
    refused, replaced = [e["result"] for e in json_lines(out) if e["action"] == "import"]
    assert refused.startswith("failed: ") and "holds 1 article" in refused
    assert replaced.endswith(f"{exported['articles']} articles; replaced 1 article")


def test_an_import_into_a_new_or_empty_store_needs_no_replace(tmp_path, capsys, built_store):
    backup = tmp_path / "backup.jsonl"
    code, out, _ = run_cli(capsys, "export", str(backup), "--chroma-path", str(built_store.chroma_path))
    exported = json.loads(out)
    code, out, err = run_cli(capsys, "import", str(backup), "--chroma-path", str(tmp_path / "new"))
    assert code == 0 and json.loads(out) == exported, err  # the summary as before: no "replaced"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, out, err = run_cli(capsys, "import", str(backup), "--chroma-path", str(empty))
    assert code == 0 and json.loads(out) == exported, err
    code, out, err = run_cli(capsys, "import", str(backup), "--replace", "--chroma-path", str(tmp_path / "other"))
    assert code == 0 and json.loads(out) == {**exported, "replaced": 0}, err


def test_a_backup_restores_a_store_whose_index_lost_a_collection(tmp_path, capsys, built_store, corpus_dir):
    """A damaged store is what a backup is imported for: counting its articles must not
    stop the import that repairs it."""
    from vectorstore.chroma import Chroma
    from vectorstore.generations import Generations

    from .conftest import settings_for

    backup = tmp_path / "backup.jsonl"
    code, out, _ = run_cli(capsys, "export", str(backup), "--chroma-path", str(built_store.chroma_path))
    exported = json.loads(out)
    target = ["--chroma-path", str(tmp_path / "chroma")]
    assert run_cli(capsys, "ingest", str(corpus_dir / "2025-06-baeckerei-preise.txt"), *target)[0] == 0
    store = Chroma(settings_for(tmp_path / "chroma"))
    live = Generations(store).read().live
    for kind in ("sentences", "articles"):
        store.client().delete_collection(f"{live}.{kind}")

    code, _, err = run_cli(capsys, "import", str(backup), *target)
    assert code == 2 and "holds an index that cannot be read whole" in err and "--replace" in err
    code, out, err = run_cli(capsys, "import", str(backup), "--replace", *target)
    assert code == 0 and json.loads(out) == exported, err
    code, out, _ = run_cli(capsys, "ask", "Was kostet ein Brötchen in München?", "--json", *target)
    assert json.loads(out)["citations"][0]["id"] == "2025-06-baeckerei-preise#1"
