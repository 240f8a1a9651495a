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
    from .cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
