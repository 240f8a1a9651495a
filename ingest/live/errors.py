"""The errors of the live corpus: each one line, naming the URL (or feed) and the reason.

They share one base, :class:`LiveError`, so a front end maps the whole family once.
``key`` and ``params`` follow the shape of the project's error tree, so that this base
can derive from it when that tree is in place.
"""

from __future__ import annotations

from typing import Any


def one_line(text: str, limit: int = 300) -> str:
    """Status lines and audit entries are single lines: squash whitespace, cap length."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LiveError(Exception):
    """Something a feed, a page or a URL did that an admin can read and act on."""

    key: str = "live"

    def __init__(self, subject: str, reason: str, **params: Any):
        self.subject = subject
        self.reason = one_line(reason)
        self.params = {"subject": subject, "reason": self.reason, **params}
        super().__init__(one_line(f"{subject}: {self.reason}" if subject else self.reason, 500))

    @property
    def url(self) -> str:
        return self.subject
