"""Bot settings: the core's settings plus Discord's — token, command sync, admins,
shards, cooldowns, concurrency."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from absatz.live import LiveSettings
from absatz.settings import (
    DEFAULT_DB,
    IngestSettings,
    LLMSettings,
    Settings,
    SettingsError,
    StoreSettings,
    env_int,
    env_positive,
    header_safe,
)


def _ids(env: Mapping[str, str], name: str, least: int = 1) -> tuple[int, ...]:
    """Discord ids (snowflakes, never below 1; shard ids count from 0)."""
    raw = env.get(name, "").replace(",", " ").split()
    try:
        ids = tuple(int(x) for x in raw)
    except ValueError:
        raise SettingsError(f"{name} must be a comma-separated list of numeric ids") from None
    if any(i < least for i in ids):
        raise SettingsError(f"{name}={env.get(name)!r}: an id is a whole number of at least {least}")
    return ids


def _id(env: Mapping[str, str], name: str) -> int:
    """One channel's id, 0 for none: a negative one had been taken and never matched."""
    value = env_int(env, name, 0) or 0
    if value < 0:
        raise SettingsError(f"{name}={env.get(name)!r}: a channel id is a positive whole number")
    return value


@dataclass(frozen=True)
class BotSettings:
    store: StoreSettings = field(default_factory=StoreSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    discord_token: str = field(default="", repr=False)
    guild_ids: tuple[int, ...] = ()
    admin_role_ids: tuple[int, ...] = ()
    shard_count: int | None = None
    shard_ids: tuple[int, ...] = ()
    cooldown_rate: int = 3
    cooldown_per_s: int = 30
    max_concurrent_answers: int = 4
    # Where the weekly coverage-gaps digest goes (none: no digest).
    admin_channel_id: int = 0
    # Where newly ingested articles are announced (none: no announcements).
    news_channel_id: int = 0
    # The live corpus (watched folder, feeds, follows); None: no watcher and no poller
    # (settings built by hand, as tests do); from the environment it is always set.
    live: LiveSettings | None = None
    bot_db: Path = DEFAULT_DB

    def __post_init__(self) -> None:
        if self.shard_count is not None and self.shard_count < 1:
            raise SettingsError(f"DISCORD_SHARD_COUNT={self.shard_count} must be at least 1")
        if self.shard_ids and not self.shard_count:
            raise SettingsError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT")
        if any(i < 0 or (self.shard_count and i >= self.shard_count) for i in self.shard_ids):
            raise SettingsError("DISCORD_SHARD_IDS must lie in 0 … DISCORD_SHARD_COUNT-1")

    @property
    def core(self) -> Settings:
        """What the core (:class:`absatz.Absatz`) is opened with."""
        return Settings(store=self.store, ingest=self.ingest, llm=self.llm, db=self.bot_db)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, store: StoreSettings | None = None) -> BotSettings:
        env = os.environ if env is None else env
        core = Settings.from_env(env, store)
        return cls(
            store=core.store,
            ingest=core.ingest,
            llm=core.llm,
            discord_token=header_safe("DISCORD_TOKEN", env.get("DISCORD_TOKEN", "").strip()),
            guild_ids=_ids(env, "DISCORD_GUILD_IDS"),
            admin_role_ids=_ids(env, "ADMIN_ROLE_IDS"),
            shard_count=env_int(env, "DISCORD_SHARD_COUNT", None),
            shard_ids=_ids(env, "DISCORD_SHARD_IDS", least=0),
            cooldown_rate=env_positive(env, "ASK_COOLDOWN_RATE", 3),
            cooldown_per_s=env_positive(env, "ASK_COOLDOWN_SECONDS", 30),
            max_concurrent_answers=env_positive(env, "MAX_CONCURRENT_ANSWERS", 4),
            admin_channel_id=_id(env, "ADMIN_CHANNEL_ID"),
            news_channel_id=_id(env, "NEWS_CHANNEL_ID"),
            live=LiveSettings.from_env(env),
            bot_db=core.db,
        )
