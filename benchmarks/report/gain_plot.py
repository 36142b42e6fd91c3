"""The per-pathway gain figure: B - A Pearson with its 95% CI, sorted, the matched random set's gain beside each."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.report.canvas import agg_figure
from benchmarks.report.gains import PairedGain, TargetGain

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["draw_gains", "short_names"]

PATHWAY_COLOUR, CONTROL_COLOUR, HIGHLIGHT_COLOUR = "#1f4e9c", "#9a9a9a", "#c0392b"


def short_names(names: Sequence[str]) -> list[str]:
    """Names without the prefix they all share up to an underscore (``HALLMARK_``), for axis labels."""
    prefix = os.path.commonprefix(list(names)) if len(names) > 1 else ""  # noqa: RUF071  (strings, not paths)
    prefix = prefix[: prefix.rfind("_") + 1] if "_" in prefix else ""
    return [n[len(prefix) :] or n for n in names]


def _interval(ax: object, y: float, gain: PairedGain, *, colour: str, filled: bool) -> None:
    if not np.isfinite(gain.diff):
        return
    ax.plot([gain.low, gain.high], [y, y], color=colour, linewidth=1.4)  # type: ignore[attr-defined]
    ax.plot(  # type: ignore[attr-defined]
        [gain.diff], [y], marker="o", markersize=4.5, color=colour, markerfacecolor=colour if filled else "white"
    )


def draw_gains(
    gains: Sequence[TargetGain], *, a_label: str, b_label: str, highlight: Sequence[str] = (), title: str = ""
) -> Figure:
    """Dot-and-interval plot of every target's gain (filled, blue) and its random-set control's (open, grey)."""
    from matplotlib.lines import Line2D

    rows = list(reversed(gains))  # largest gain at the top
    fig = agg_figure(6.4, 1.3 + 0.2 * max(len(rows), 1), dpi=100)
    ax = fig.subplots()
    for y, gain in enumerate(rows):
        _interval(ax, y + 0.14, gain.gain, colour=PATHWAY_COLOUR, filled=True)
        if gain.control is not None:
            _interval(ax, y - 0.14, gain.control, colour=CONTROL_COLOUR, filled=False)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(short_names([g.target for g in rows]), fontsize=7)
    for label, gain in zip(ax.get_yticklabels(), rows, strict=True):
        if gain.target in highlight:
            label.set_color(HIGHLIGHT_COLOUR)
            label.set_fontweight("bold")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("B - A Pearson r, mean over held-out patients (95% paired-bootstrap CI)", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(
        handles=[
            Line2D([], [], color=PATHWAY_COLOUR, marker="o", label="pathway"),
            Line2D([], [], color=CONTROL_COLOUR, marker="o", markerfacecolor="white", label="matched random set"),
        ],
        fontsize=7,
        loc="lower right",
        frameon=False,
    )
    ax.set_title(f"{title}: B = {b_label}, A = {a_label}" if title else f"B = {b_label}, A = {a_label}", fontsize=8)
    return fig
