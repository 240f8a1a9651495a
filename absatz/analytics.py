"""The last days at a glance for admins: questions per day, answered vs refused, votes,
latency, busiest channels — and one small chart of it, so ``/stats`` shows a picture
rather than a wall of numbers.

:func:`summarise` is pure; :func:`chart_png` draws with matplotlib's Agg backend (no
display needed) into PNG bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from .db.feedback import AskedQuestion

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

CHART_SIZE = (800, 360)  # pixels: fits an embed image without scaling down much
CHART_DPI = 100


@dataclass(frozen=True)
class Day:
    date: dt.date
    answered: int
    refused: int


@dataclass(frozen=True)
class Analytics:
    days: tuple[Day, ...]
    questions: int
    answered: int
    refused: int
    up: int
    down: int
    median_latency_ms: float
    busiest_channels: tuple[tuple[int, int], ...]  # (channel id, questions), busiest first


def summarise(asked: Sequence[AskedQuestion], today: dt.date, days: int = 7, top_channels: int = 3) -> Analytics:
    """The ``days`` up to and including ``today`` (UTC dates), every day present."""
    first = today - dt.timedelta(days=days - 1)
    per_day = {first + dt.timedelta(days=i): [0, 0] for i in range(days)}
    kept = []
    for q in asked:
        day = dt.datetime.fromtimestamp(q.created, tz=dt.UTC).date()
        if day in per_day:
            per_day[day][1 if q.abstained else 0] += 1
            kept.append(q)
    channels = Counter(q.channel_id for q in kept if q.channel_id)
    latencies = [q.latency_ms for q in kept if q.latency_ms > 0]
    return Analytics(
        days=tuple(Day(d, a, r) for d, (a, r) in sorted(per_day.items())),
        questions=len(kept),
        answered=sum(not q.abstained for q in kept),
        refused=sum(q.abstained for q in kept),
        up=sum(q.up for q in kept),
        down=sum(q.down for q in kept),
        median_latency_ms=statistics.median(latencies) if latencies else 0.0,
        busiest_channels=tuple(channels.most_common(top_channels)),
    )


def chart_png(a: Analytics, labels: tuple[str, str], title: str) -> bytes:
    """Stacked bars per day, answered (``labels[0]``) over refused (``labels[1]``)."""
    figure = chart(a, labels, title)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=CHART_DPI)
    return out.getvalue()


def chart(a: Analytics, labels: tuple[str, str], title: str) -> Figure:
    """The figure :func:`chart_png` draws, for a test to read its axes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(CHART_SIZE[0] / CHART_DPI, CHART_SIZE[1] / CHART_DPI), dpi=CHART_DPI)
    axes = figure.add_subplot()
    names = [d.date.strftime("%d.%m.") for d in a.days]
    answered = [d.answered for d in a.days]
    refused = [d.refused for d in a.days]
    axes.bar(names, answered, color="#2b6cb0", label=labels[0])
    axes.bar(names, refused, bottom=answered, color="#a0aec0", label=labels[1])
    axes.set_title(title)
    cast("MaxNLocator", axes.yaxis.get_major_locator()).set_params(integer=True)  # an AutoLocator
    # Counts start at 0; a week without questions had read -0.04 … 0.04.
    axes.set_ylim(bottom=0, top=None if any(answered) or any(refused) else 1)
    axes.legend(loc="upper left")
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    return figure
