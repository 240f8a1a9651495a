"""absatz: questions about German news, answered with the exact paragraph cited.

The core library. :class:`Absatz` (and its async twin :class:`AsyncAbsatz`) is what the
command line and the Discord bot stand on; the names below are its public surface.
The layers under it: ``ingest`` (articles in), ``vectorstore`` (Chroma, the read index,
search); the front ends: ``absatz.cli`` and ``bot``.

The names load on first use: importing any part of the package (the command line's
entry point first of all) must not import chromadb, which reads ``.env`` as it loads.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport
    from vectorstore.errors import (
        AbsatzError,
        BadCitationId,
        BadDate,
        EmptyPeriod,
        NoIndex,
        SettingsError,
        StoreError,
        StoreUnavailable,
        UnknownCitation,
    )
    from vectorstore.records import ArticleSummary, Hit, ParagraphView, parse_citation_id

    from .aio import AsyncAbsatz
    from .answer import Answer, Citation
    from .api import Absatz, Matches, SourceView, Stats
    from .corpus import Removal, Upload
    from .settings import Settings

_HOMES = {
    "ingest.pipeline": ("IngestReport",),
    "vectorstore.errors": (
        "AbsatzError",
        "BadCitationId",
        "BadDate",
        "EmptyPeriod",
        "NoIndex",
        "SettingsError",
        "StoreError",
        "StoreUnavailable",
        "UnknownCitation",
    ),
    "vectorstore.records": ("ArticleSummary", "Hit", "ParagraphView", "parse_citation_id"),
    "absatz.aio": ("AsyncAbsatz",),
    "absatz.answer": ("Answer", "Citation"),
    "absatz.api": ("Absatz", "Matches", "SourceView", "Stats"),
    "absatz.corpus": ("Removal", "Upload"),
    "absatz.settings": ("Settings",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "Absatz",
    "AbsatzError",
    "Answer",
    "ArticleSummary",
    "AsyncAbsatz",
    "BadCitationId",
    "BadDate",
    "Citation",
    "EmptyPeriod",
    "Hit",
    "IngestReport",
    "Matches",
    "NoIndex",
    "ParagraphView",
    "Removal",
    "Settings",
    "SettingsError",
    "SourceView",
    "Stats",
    "StoreError",
    "StoreUnavailable",
    "UnknownCitation",
    "Upload",
    "parse_citation_id",
]


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'absatz' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
