"""A real ``chroma run`` server on a free loopback port, for server-mode tests.

Nothing here waits without a bound: start-up polls the heartbeat with a deadline, and
stop escalates from SIGTERM to SIGKILL with timeouts. (absatz's own Chroma clients time
out their requests, ``CHROMA_TIMEOUT_S``, so a server that accepts a connection and
never answers cannot hang a test either.)
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chroma_executable() -> str | None:
    local = Path(sys.executable).with_name("chroma")
    return str(local) if local.exists() else shutil.which("chroma")


def readline(proc: subprocess.Popen, timeout: float) -> str:
    """The next line of ``proc``'s stdout, or AssertionError after ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no answer from pid {proc.pid} within {timeout:.0f} s") from None


def end(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """Stop ``proc``: SIGTERM, then SIGKILL; never waits without a bound."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


def _stopped(task: Path) -> bool:
    """Whether a thread (``/proc/PID/task/TID``) is stopped, or gone."""
    try:
        state = (task / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("T", "t")


class ChromaServer:
    def __init__(self, path: Path, port: int | None = None):
        self.path = path
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log = path.with_name(path.name + ".chroma-run.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self, timeout: float = 1.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=timeout):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 120.0) -> ChromaServer:
        exe = chroma_executable()
        if exe is None:
            raise RuntimeError("the chroma CLI is not installed")
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [exe, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}: {self.log_tail()}")
            time.sleep(0.2)  # polling interval of a bounded wait, not synchronisation
        self.stop()
        raise RuntimeError(f"chroma run did not answer its heartbeat within {timeout:.0f} s: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def pause(self, timeout: float = 30.0) -> None:
        """Freeze the server (SIGSTOP): connections are accepted, nothing is answered.

        The signal returns before every thread has stopped: right after it, some of the
        server's threads still run, and on a busy machine they served the next request."""
        os.kill(self.proc.pid, signal.SIGSTOP)
        tasks = Path(f"/proc/{self.proc.pid}/task")
        if not tasks.is_dir():  # no procfs to ask: the signal is all there is
            return
        deadline = time.monotonic() + timeout
        while not all(_stopped(task) for task in tasks.iterdir()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"chroma run did not stop within {timeout:.0f} s of SIGSTOP")
            time.sleep(0.01)  # polling interval of a bounded wait

    def resume(self) -> None:
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGCONT)  # a paused server cannot act on SIGTERM
            end(self.proc)
