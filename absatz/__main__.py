"""``absatz`` and ``python -m absatz``: the ``.env`` is checked before the command line
is imported, because importing it imports chromadb, which reads the same file."""

from __future__ import annotations

import sys
from pathlib import Path

from .env_file import problem


def main() -> int:
    found = problem(Path.cwd() / ".env")
    if found is not None:
        print(f"absatz: error: {found}", file=sys.stderr)
        return 2
    try:
        from .cli import main as run
    except Exception as exc:  # chromadb validates its variables while it is imported
        unread = _chromadb_setting(exc)
        if unread is None:
            raise
        print(f"absatz: error: {unread}", file=sys.stderr)
        return 2
    return run()


def _chromadb_setting(exc: Exception) -> str | None:
    """The variable chromadb could not read, in one line: ``ANONYMIZED_TELEMETRY=nein`` had
    been a 25-line traceback from inside the import, on every command. Its value is not
    shown: chromadb's variables include credentials."""
    errors = getattr(exc, "errors", None)
    if type(exc).__name__ != "ValidationError" or not callable(errors):
        return None
    first = errors()[0]
    name = str(first.get("loc", ("?",))[0]).upper()
    return f"{name} (a chromadb setting, from the environment or .env) cannot be read: {first.get('msg', exc)}"


if __name__ == "__main__":
    sys.exit(main())
