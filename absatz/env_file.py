"""The working directory's ``.env``, checked before anything reads it.

chromadb's own settings read ``.env`` as UTF-8 while chromadb is imported; a file saved
in another encoding (Windows' "ANSI" editors write umlauts in comments as Latin-1) ended
every command in a traceback from inside that import, naming neither the file nor the
line. This module imports nothing heavy, so the command line can say what is wrong
before the import happens.

A line python-dotenv cannot parse (an unclosed quote) had been a warning repeated for
every reader of the file, while the command went on without the variables it dropped:
``absatz serve`` then said "DISCORD_TOKEN is not set" of a token that was set.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from dotenv.parser import parse_stream

_NAME = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=")


def problem(path: Path) -> str | None:
    """What keeps ``path`` from being read as UTF-8 ``NAME=value`` lines, naming the line
    (and its variable, never its value: it may be a token); None for a readable file, or
    no file at all (``.env`` is optional)."""
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
    if b"\0" in data:
        line = data.count(b"\n", 0, data.index(b"\0")) + 1
        return f"{path}: line {line} holds a NUL byte"
    for binding in parse_stream(io.StringIO(data.decode("utf-8-sig"))):
        if binding.error:
            named = _NAME.match(binding.original.string)
            what = f" ({named.group(1)})" if named else ""
            return (
                f"{path}: line {binding.original.line}{what} is not NAME=value: "
                "is a quote left open? (nothing from the file was used)"
            )
    return None
