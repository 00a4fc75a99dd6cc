"""PNG charts for supervisors, drawn with matplotlib's Agg backend (no display needed).

Readable on a phone: a wide figure at 150 dpi, large fonts, few words. Vietnamese labels use
DejaVu Sans, which ships with matplotlib and has every Vietnamese letter. The object API
(Figure + FigureCanvasAgg, never pyplot) keeps no global state, so a chart can be drawn in
a worker thread while the bot goes on answering others.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FONT = "DejaVu Sans"
DPI = 150
COLORS = ("#c0392b", "#2471a3", "#229954", "#d68910", "#7d3c98", "#17a589")
MAX_GROUPS = 12  # more bars than this do not read on a phone


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _style(fig: Figure) -> None:
    for text in fig.findobj(match=lambda o: hasattr(o, "set_fontfamily")):
        text.set_fontfamily(FONT)  # type: ignore[attr-defined]


def _png(fig: Figure) -> bytes:
    _style(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _short(label: str, limit: int = 22) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def criteria_chart(
    title: str,
    groups: Sequence[str],
    criteria: Sequence[str],
    values: Sequence[Sequence[float | None]],
    maxima: Sequence[float],
    *,
    ylabel: str,
) -> bytes:
    """Grouped bars: for each group (a child unit), one bar per criterion, as % of its max.

    `values[g][c]` is group g's score on criterion c (None: no data, drawn as no bar).
    Percent of each criterion's maximum, so criteria of 20 and 30 points compare.
    """
    shown = list(groups)[:MAX_GROUPS]
    n = max(1, len(criteria))
    width = 0.8 / n
    fig = _figure(max(8.0, 0.9 * len(shown) + 4), 6.5)
    ax = fig.add_subplot()
    for c, name in enumerate(criteria):
        xs, heights = [], []
        for g in range(len(shown)):
            value = values[g][c] if c < len(values[g]) else None
            if value is not None and maxima[c]:
                xs.append(g + (c - (n - 1) / 2) * width)
                heights.append(100 * value / maxima[c])
        ax.bar(xs, heights, width=width, label=_short(name, 40), color=COLORS[c % len(COLORS)])
    ax.set_xticks(range(len(shown)), [_short(g) for g in shown], rotation=30, ha="right")
    ax.set_ylim(0, 105)
    ax.set_ylabel(ylabel, fontsize=14)
    ax.set_title(title, fontsize=17, fontweight="bold")
    ax.tick_params(labelsize=12)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=11, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2, frameon=False)
    return _png(fig)


def trend_chart(
    title: str,
    months: Sequence[dt.date],
    scores: Sequence[float | None],
    attendance: Sequence[float | None],
    *,
    score_label: str,
    attendance_label: str,
) -> bytes:
    """Monthly average meeting score (0..100) and attendance (%) as two lines."""
    fig = _figure(9.0, 5.5)
    ax = fig.add_subplot()
    labels = [f"{m.month:02d}/{m.year % 100:02d}" for m in months]
    x = list(range(len(months)))

    def line(series: Sequence[float | None], scale: float, label: str, color: str) -> None:
        # NaN leaves a gap for a month without data instead of a misleading straight line.
        ys = [math.nan if v is None else v * scale for v in series]
        if any(v is not None for v in series):
            ax.plot(x, ys, marker="o", linewidth=3, markersize=7, label=label, color=color)

    line(scores, 1.0, score_label, COLORS[0])
    line(attendance, 100.0, attendance_label, COLORS[1])
    ax.set_xticks(x, labels, rotation=45, ha="right")
    ax.set_ylim(0, 105)
    ax.set_title(title, fontsize=17, fontweight="bold")
    ax.tick_params(labelsize=12)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=13, loc="lower left")
    return _png(fig)
