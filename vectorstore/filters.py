"""What a search may see: a slice of the corpus by date, category and source.

A filter runs before ranking, as a mask over the read index's passage rows that both
the passage vectors and BM25 obey, so a narrow slice ("only Wirtschaft, the last 90
days") still returns that slice's best paragraphs. Filtering the ranked hits afterwards
would return nothing whenever the rest of the corpus matches better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dates import DateRange
from .vectors import VectorIndex


@dataclass(frozen=True)
class Filter:
    """Articles within ``dates`` (undated ones are in no period), of one of ``categories``
    and from one of ``sources``; an empty part does not restrict. Names compare
    case-insensitively."""

    dates: DateRange | None = None
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def everything(self) -> bool:
        return self.dates is None and not self.categories and not self.sources

    def passages(self, vectors: VectorIndex) -> np.ndarray | None:
        """Which passage rows of ``vectors`` a search may see; None: every row."""
        if self.everything:
            return None
        articles = np.ones(len(vectors.article_ids), dtype=bool)
        if self.dates is not None:
            # A month-only date (``2024-05`` → 20240500) is some day of that month: the
            # article is in the period when the whole month is, whichever bound is given
            # (so ``--since 2024-05-01`` keeps it and ``--until 2024-05-15`` does not).
            # An undated article (0) is in no period: who asks for one wants articles
            # known to lie in it, and 0 would otherwise pass every ``until``.
            dates = vectors.article_dates()
            month = dates % 100 == 0
            first_day, last_day = np.where(month, dates + 1, dates), np.where(month, dates + month_days(dates), dates)
            until = self.dates.until or np.iinfo(np.int64).max
            articles &= (dates > 0) & (first_day >= self.dates.since) & (last_day <= until)
        for field_name, names in (("category", self.categories), ("source", self.sources)):
            if names:
                rows = vectors.articles_by(field_name)
                chosen = np.zeros(len(articles), dtype=bool)
                for name in names:
                    chosen[rows.get(name.casefold(), np.zeros(0, np.int64))] = True
                articles &= chosen
        passages: np.ndarray = articles[vectors.passage_article()]
        return passages


_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def month_days(dates: np.ndarray) -> np.ndarray:
    """Days in the month of each ``YYYYMMDD`` number: ``--until 2025-06-30`` holds June."""
    year, month = dates // 10000, (dates // 100) % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days: np.ndarray = _DAYS[(month - 1) % 12] + ((month == 2) & leap)
    return days
