"""Autocomplete choices within Discord's limits, shared by every cog that offers them."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from discord import app_commands

from vectorstore.text import without_bidi

MAX_CHOICES = 25
CHOICE = 100  # Discord's limit on a choice's name and on its value


def choices(pairs: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """Choices from ``(name, value)`` pairs, names shortened; a value too long for a
    choice is left out rather than cut, since a cut id picked would name nothing (it can
    still be typed).

    A name (an article's title, a follow's query) is shown without bidi controls: an
    unclosed RIGHT-TO-LEFT OVERRIDE turned the rest of the choice around in Discord's
    picker. Names are plain text, so nothing else needs escaping; the value stays as it
    is, for it is what the command looks up."""
    fitting = (
        app_commands.Choice(name=label, value=value)
        for name, value in pairs
        if len(value) <= CHOICE and (label := _label(name, value))
    )
    return list(itertools.islice(fitting, MAX_CHOICES))


def _label(name: str, value: str) -> str:
    """The name as the picker shows it, within Discord's limit; the value's own text for a
    name that is nothing but controls (Discord refuses an empty name)."""
    return (without_bidi(name).strip() or without_bidi(value).strip())[:CHOICE]
