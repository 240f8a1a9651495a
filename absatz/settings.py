"""The core's settings: the store, the corpus folder, the optional LLM and the SQLite
records, each read once from the environment (and ``.env``, loaded by the front end)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ingest.settings import IngestSettings
from vectorstore.errors import SettingsError
from vectorstore.settings import StoreSettings, env_bool, env_int, env_path, env_positive, header_safe

from .llm import LLMSettings

# The settings objects of the layers below, for front ends that compose them.
__all__ = [
    "DEFAULT_DB",
    "IngestSettings",
    "LLMSettings",
    "Settings",
    "SettingsError",
    "StoreSettings",
    "env_bool",
    "env_int",
    "env_positive",
    "header_safe",
]

DEFAULT_DB = Path("data/absatz.sqlite3")


@dataclass(frozen=True)
class Settings:
    store: StoreSettings = field(default_factory=StoreSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    # SQLite beside the index (BOT_DB): the audit log, answers and votes. Chroma holds the corpus.
    db: Path = DEFAULT_DB

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, store: StoreSettings | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            store=store or StoreSettings.from_env(env),
            ingest=IngestSettings.from_env(env),
            llm=LLMSettings.from_env(env),
            db=env_path(env, "BOT_DB", str(DEFAULT_DB)),
        )

    def with_store(self, names: Mapping[str, str] | None = None, **changes: Any) -> Settings:
        """These settings with some store settings overridden (``None`` keeps a value),
        a value refused named by ``names`` (see :meth:`StoreSettings.with_overrides`)."""
        return replace(self, store=self.store.with_overrides(names, **changes))
