"""Channel scopes: what questions asked in a channel search — a slice of the corpus.

News servers are organised by topic channels; admins decide that #wirtschaft searches
only the Wirtschaft category, or only the last 90 days, and whether every message there
is a question (``auto``) or only mentions are (``mention``, the default). A scope is
applied inside retrieval, before ranking, so a narrow scope still returns that slice's
best paragraphs. Pure parsing and labelling here; stored by :mod:`absatz.db.scopes`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from vectorstore.dates import DateRange
from vectorstore.errors import AbsatzError
from vectorstore.text import shorten

MODES = ("mention", "auto")
_WINDOW = re.compile(
    r"^\s*(?:(?:letzte[nr]?|last)\s+)?(\d{1,4})\s*"
    r"(d|t|tage?n?|days?|w|wochen?|weeks?|m|monate?n?|months?|j|y|jahre?n?|years?)\s*$",
    re.IGNORECASE,
)
_DAYS_PER = {"d": 1, "t": 1, "w": 7, "m": 30, "j": 365, "y": 365}


class BadScope(AbsatzError):
    """A ``/scope set`` option that cannot be used; each kind has its own wording."""


class UnknownNames(BadScope):
    key = "unknown_names"

    def __init__(self, option: str, names: str, known: str):
        super().__init__(
            f"{option} {names!r}: not in the corpus (known: {known})", option=option, value=names, known=known
        )


class BadWindow(BadScope):
    key = "bad_window"

    def __init__(self, value: str):
        super().__init__(
            f"since {value!r}: not a window like 90d / 3 months (1 day to 100 years) or a date like 2024-05",
            value=value,
        )


class BadMode(BadScope):
    key = "bad_mode"

    def __init__(self, value: str):
        super().__init__(f"mode {value!r}: must be one of {', '.join(MODES)}", value=value, modes=", ".join(MODES))


@dataclass(frozen=True)
class Scope:
    """What one channel (and its threads) searches, and whether it answers every message."""

    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    window_days: int | None = None  # a rolling window: the last N days
    since: str = ""  # or a fixed start (YYYY-MM[-DD])
    mode: str = "mention"

    @property
    def everything(self) -> bool:
        return not (self.categories or self.sources or self.window_days or self.since)

    def period(self, today: dt.date) -> DateRange | None:
        """The date filter this scope means today (a rolling window moves with the days)."""
        if self.window_days:
            start = today - dt.timedelta(days=self.window_days)
            return DateRange.parse(start.isoformat(), None)
        return DateRange.parse(_existing_day(self.since), None) if self.since else None

    def widened(self) -> Scope:
        """The whole corpus, same mode (``/ask scope: all``)."""
        return replace(self, categories=(), sources=(), window_days=None, since="")


def _existing_day(text: str) -> str:
    """A start saved before days were checked (2024-04-31) as its month's last day, so
    the channel keeps answering; every other text as it is."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not m or not 1 <= int(m[2]) <= 12:
        return text
    last = calendar.monthrange(int(m[1]), int(m[2]))[1]
    return f"{m[1]}-{m[2]}-{min(int(m[3]), last):02d}"


def parse_list(value: str | None) -> tuple[str, ...]:
    """``"Wirtschaft, Inland"`` → ("Wirtschaft", "Inland"), in the order given, no repeats."""
    items = [x.strip() for x in re.split(r"[,;]", value or "") if x.strip()]
    return tuple(dict.fromkeys(items))


def parse_since(value: str | None) -> tuple[int | None, str]:
    """A rolling window (``90d``, ``90 Tage``, ``last 3 months``) or a date (``2024-05``):
    (window in days, fixed start); ``BadScope`` otherwise."""
    text = (value or "").strip()
    if not text:
        return None, ""
    m = _WINDOW.match(text)
    if m:
        days = int(m[1]) * _DAYS_PER[m[2][0].lower()]
        if not 1 <= days <= 36500:
            raise BadWindow(text)
        return days, ""
    try:
        DateRange.parse(text, None)
    except AbsatzError:
        raise BadWindow(text) from None
    return None, text


def check_names(option: str, given: tuple[str, ...], known: set[str]) -> tuple[str, ...]:
    """Names as the corpus spells them (case-insensitive match); unknown ones are an error
    that lists what exists."""
    by_lower = {k.lower(): k for k in known}
    unknown = [g for g in given if g.lower() not in by_lower]
    if unknown:
        raise UnknownNames(option, ", ".join(unknown), ", ".join(sorted(known)) or "—")
    return tuple(by_lower[g.lower()] for g in given)


def make_scope(
    categories: str | None,
    sources: str | None,
    since: str | None,
    mode: str | None,
    known_categories: set[str],
    known_sources: set[str],
) -> Scope:
    """A scope from ``/scope set`` options, checked against what the corpus holds."""
    if mode and mode not in MODES:
        raise BadMode(mode)
    window, start = parse_since(since)
    return Scope(
        check_names("categories", parse_list(categories), known_categories),
        check_names("sources", parse_list(sources), known_sources),
        window,
        start,
        mode or "mention",
    )


def label(
    scope: Scope, language: str, names_limit: int | None = None, fitted: Callable[[str, int], str] = shorten
) -> str:
    """What was searched, for the answer's footer: ``Wirtschaft · letzte 90 Tage``. With
    ``names_limit`` a long list of categories and sources gives way, never the period:
    ``fitted`` puts the names in that room (a message's escapes them there)."""
    from .texts import t

    parts = [*scope.categories, *scope.sources]
    if names_limit is not None and parts:
        parts = [fitted(" · ".join(parts), names_limit)]
    if scope.window_days:
        parts.append(t("scope_days", language, n=scope.window_days))
    elif scope.since:
        parts.append(t("scope_since", language, date=scope.since))
    return " · ".join(parts) or t("scope_all", language)
