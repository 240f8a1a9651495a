"""The bot's ingests run in a child process: progress, results and refusals come back."""

from __future__ import annotations

import multiprocessing
import shutil
import subprocess
import sys

import pytest

from absatz.isolated import IngestCrashed, ingest_in_child
from ingest.lock import IngestBusy, IngestLock, lock_path
from ingest.sources import DEFAULT_MAX_BYTES
from vectorstore.chroma import Chroma
from vectorstore.writer import Writer

from .conftest import CORPUS, ROOT


def test_child_ingest_reports_progress_and_its_result(tmp_path, store_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("2024-03-hafen-terminal.txt", "2025-06-baeckerei-preise.txt"):
        shutil.copy(CORPUS / name, corpus / name)
    seen: list[tuple[int, int, int]] = []
    report = ingest_in_child(store_settings, [corpus], DEFAULT_MAX_BYTES, "test", lambda *s: seen.append(s))
    assert sorted(report.added) == ["2024-03-hafen-terminal", "2025-06-baeckerei-preise"]
    assert seen and seen[-1][0] == seen[-1][1] == 2  # the last progress says: all done
    assert set(Writer.live(Chroma(store_settings)).committed_articles()) == set(report.added)


def test_child_ingest_refused_while_another_runs_names_the_holder(tmp_path, store_settings):
    with IngestLock(lock_path(store_settings), "alice (absatz ingest, pid 1)"), pytest.raises(IngestBusy) as refused:
        ingest_in_child(store_settings, [CORPUS], DEFAULT_MAX_BYTES, "bob")
    assert refused.value.holder == "alice (absatz ingest, pid 1)"
    assert "alice" in str(refused.value) and str(refused.value).count("already running") == 1


def test_a_child_that_dies_mid_ingest_is_a_clear_error(store_settings):
    def kill_the_child(*_):
        for child in multiprocessing.active_children():
            if child.name == "absatz-ingest":
                child.kill()

    with pytest.raises(IngestCrashed, match=r"ended unexpectedly .* run it again"):
        ingest_in_child(store_settings, [CORPUS], DEFAULT_MAX_BYTES, "test", kill_the_child)


def test_a_lock_that_cannot_be_written_is_a_clear_error_and_not_left_held(tmp_path):
    """Disk full while the lock is written (a file-size limit of 0 stands in for it, in a
    child so pytest's own capture files are not limited): the ingest is refused, and once
    there is space again the next ingest, here or in another process, gets the lock."""
    lock = tmp_path / "c.ingest.lock"
    script = f"""
import resource, signal, subprocess, sys
from pathlib import Path
from ingest.lock import IngestLock
from vectorstore.errors import StoreWriteError
lock = Path({str(lock)!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
try:
    with IngestLock(lock, "first"):
        print("taken on a full disk")
except StoreWriteError as exc:
    print("refused:", exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
with IngestLock(lock, "later"):
    print("later: taken")
other = "from pathlib import Path; from ingest.lock import IngestLock\\n"
other += "with IngestLock(Path({str(lock)!r}), 'cli'): print('other process: taken')"
print(subprocess.run([sys.executable, "-c", other], capture_output=True, text=True, timeout=120).stdout.strip())
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("refused: cannot write the ingest lock") and "disk full" in lines[0]
    assert lines[1:] == ["later: taken", "other process: taken"]
