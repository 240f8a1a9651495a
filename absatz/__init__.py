"""absatz: questions about German news, answered with the exact paragraph cited.

The core library. :class:`Absatz` (and its async twin :class:`AsyncAbsatz`) is what the
command line and the Discord bot stand on; the names below are its public surface.
The layers under it: ``ingest`` (articles in), ``vectorstore`` (Chroma, the read index,
search); the front ends: ``absatz.cli`` and ``bot``.
"""

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
from vectorstore.records import ArticleSummary, Hit, ParagraphView

from .aio import AsyncAbsatz
from .answer import Answer, Citation
from .api import Absatz, Matches, SourceView, Stats
from .corpus import Removal, Upload
from .settings import Settings

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
]
