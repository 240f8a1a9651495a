"""The errors of the live corpus: each one line, naming the URL (or feed) and the reason.

They share one base, :class:`LiveError`, a branch of the project's one error tree
(:class:`~vectorstore.errors.AbsatzError`), so each front end maps them as it maps every
other error: ``key`` finds a wording in the text table, else ``str()`` is shown.
"""

from __future__ import annotations

from typing import Any

from vectorstore.errors import AbsatzError


def one_line(text: str, limit: int = 300) -> str:
    """Status lines and audit entries are single lines: squash whitespace, cap length."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LiveError(AbsatzError):
    """Something a feed, a page or a URL did that an admin can read and act on."""

    key: str = "live"

    def __init__(self, subject: str, reason: str, **params: Any):
        reason = one_line(reason)
        message = one_line(f"{subject}: {reason}" if subject else reason, 500)
        super().__init__(message, subject=subject, reason=reason, **params)
        self.subject = subject
        self.reason = reason

    @property
    def url(self) -> str:
        return self.subject


class WriteFailed(LiveError):
    """The corpus folder took no file for the article (a full disk, a file where its folder
    should be): the page was fine, so this is a failure of the bot's own, not a rejection."""

    key = "live_write"
