"""``absatz`` and ``python -m absatz``: the ``.env`` is checked before the command line
is imported, because importing it imports chromadb, which reads the same file."""

from __future__ import annotations

import sys
from pathlib import Path

from .env_file import encoding_problem


def main() -> int:
    problem = encoding_problem(Path.cwd() / ".env")
    if problem is not None:
        print(f"absatz: error: {problem}", file=sys.stderr)
        return 2
    from .cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
