"""Ingest settings: where the corpus lives and what a file may weigh."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vectorstore.settings import env_path, env_positive

from .sources import DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class IngestSettings:
    corpus_dir: Path = Path("corpus")
    max_file_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestSettings:
        env = os.environ if env is None else env
        return cls(
            corpus_dir=env_path(env, "CORPUS_DIR", "corpus"),
            max_file_bytes=env_positive(env, "MAX_FILE_BYTES", DEFAULT_MAX_BYTES),
        )
