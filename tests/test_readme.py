"""The README's promises a newcomer copies first: its Python example runs as it is."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from .conftest import ROOT


def readme_python() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use it from Python", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    return code


def test_the_readme_python_example_runs_against_the_store_chroma_path_names(built_store, tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", readme_python()],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={**os.environ, "CHROMA_PATH": str(built_store.chroma_path), "BOT_DB": str(tmp_path / "absatz.sqlite3")},
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "[1]" in lines[0] and re.match(r"\S+#\d+ ", lines[1]), proc.stdout
