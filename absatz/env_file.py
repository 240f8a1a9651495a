"""The working directory's ``.env``, checked before anything reads it.

chromadb's own settings read ``.env`` as UTF-8 while chromadb is imported; a file saved
in another encoding (Windows' "ANSI" editors write umlauts in comments as Latin-1) ended
every command in a traceback from inside that import, naming neither the file nor the
line. This module imports nothing heavy, so the command line can say what is wrong
before the import happens.
"""

from __future__ import annotations

from pathlib import Path


def encoding_problem(path: Path) -> str | None:
    """What keeps ``path`` from being read as UTF-8, naming the line and byte; None for
    a readable file, or no file at all (``.env`` is optional)."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"{path}: cannot be read ({exc.strerror or exc})"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f"{path}: line {line} is not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
    return None
