"""Autocomplete choices within Discord's limits, shared by every cog that offers them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from discord import app_commands

MAX_CHOICES = 25
CHOICE = 100  # Discord's limit on a choice's name and on its value


def choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Choices from ``(name, value)`` pairs, names shortened; a value too long for a
    choice is left out rather than cut, since a cut id picked would name nothing (it can
    still be typed)."""
    fitting = (app_commands.Choice(name=name[:CHOICE], value=value) for name, value in pairs if len(value) <= CHOICE)
    return list(itertools.islice(fitting, MAX_CHOICES))
