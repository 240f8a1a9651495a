"""Settings of the live corpus, read once from the environment (and ``.env``).

| variable | default | what |
|---|---|---|
| ``FEEDS_ALLOW_PRIVATE`` | false | fetch from loopback/private addresses (tests, an intranet feed); |
| | | cloud metadata addresses stay refused |
| ``FEEDS_USER_AGENT`` | ``absatz/<version> (feed reader …)`` | the User-Agent of every request (add a contact) |
| ``FEEDS_MAX_BYTES`` | 5000000 | largest feed or page read |
| ``FEEDS_TIMEOUT_S`` | 30 | time limit of one fetch, redirects and body included |
| ``FEEDS_PER_HOST`` | 2 | requests to one host at a time |
| ``FEEDS_INTERVAL_S`` | 900 | poll interval of a feed added without one (at least 60) |
| ``FEEDS_LANGUAGES`` | de,en | languages of articles that are ingested; others are refused |
| ``WATCH_QUIET_MS`` | 1000 | how long a file must be unchanged before the folder watcher reports it |
| ``WATCH_CORPUS`` | true | ``absatz serve`` watches ``CORPUS_DIR`` and ingests what changes |
| ``FEEDS_POLL`` | true | ``absatz serve`` polls the registered feeds (with several processes |
| | | on one store, let one of them watch and poll) |
| ``FOLLOWS_PER_USER`` | 10 | saved ``/follow`` queries per user (at most 50: ``/following`` lists |
| | | them all in one message) |
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from vectorstore.errors import SettingsError
from vectorstore.settings import env_bool, env_positive, header_safe

from .fetch import FetchPolicy, default_user_agent
from .registry import DEFAULT_INTERVAL_S, MAX_INTERVAL_S, MIN_INTERVAL_S


def _env_languages(env: Mapping[str, str], name: str, default: str) -> tuple[str, ...]:
    """Comma-separated two-letter ISO 639-1 codes, lower-cased: a page's language is
    told by such a code, so a name like ``german`` would refuse every page. Empty is the
    default, as for every other variable."""
    raw = env.get(name, "").strip() or default
    codes = tuple(x.strip().lower() for x in raw.split(",") if x.strip())
    if not codes:
        raise SettingsError(f"{name} names no language (e.g. de,en)")
    for code in codes:
        if not re.fullmatch("[a-z]{2}", code):
            raise SettingsError(f"{name}={raw!r}: {code!r} is not a two-letter language code like de or en")
    return codes


# /following lists every follow, its id whole, in one message of 2,000 characters: with
# more than this, the queries shrank to nothing and the last ids were cut off.
MAX_FOLLOWS = 50


@dataclass(frozen=True)
class LiveSettings:
    allow_private: bool = False
    user_agent: str = ""
    max_bytes: int = 5_000_000
    timeout_s: int = 30
    per_host: int = 2
    interval_s: int = DEFAULT_INTERVAL_S
    languages: tuple[str, ...] = ("de", "en")
    watch_quiet_ms: int = 1000
    watch: bool = True
    poll: bool = True
    follows_per_user: int = 10

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LiveSettings:
        env = os.environ if env is None else env
        settings = cls(
            allow_private=env_bool(env, "FEEDS_ALLOW_PRIVATE", False),
            user_agent=header_safe("FEEDS_USER_AGENT", env.get("FEEDS_USER_AGENT", "").strip(), secret=False),
            max_bytes=env_positive(env, "FEEDS_MAX_BYTES", 5_000_000),
            timeout_s=env_positive(env, "FEEDS_TIMEOUT_S", 30),
            per_host=env_positive(env, "FEEDS_PER_HOST", 2),
            interval_s=env_positive(env, "FEEDS_INTERVAL_S", DEFAULT_INTERVAL_S),
            languages=_env_languages(env, "FEEDS_LANGUAGES", "de,en"),
            watch_quiet_ms=env_positive(env, "WATCH_QUIET_MS", 1000),
            watch=env_bool(env, "WATCH_CORPUS", True),
            poll=env_bool(env, "FEEDS_POLL", True),
            follows_per_user=env_positive(env, "FOLLOWS_PER_USER", 10, most=MAX_FOLLOWS),
        )
        if not MIN_INTERVAL_S <= settings.interval_s <= MAX_INTERVAL_S:
            raise SettingsError(
                f"FEEDS_INTERVAL_S={settings.interval_s} must be between {MIN_INTERVAL_S} and {MAX_INTERVAL_S}"
            )
        return settings

    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy(
            allow_private=self.allow_private,
            user_agent=self.user_agent or default_user_agent(),
            max_bytes=self.max_bytes,
            timeout_s=float(self.timeout_s),
            per_host=self.per_host,
        )
