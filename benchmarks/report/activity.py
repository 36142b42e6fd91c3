"""Tier-2 activity: predicted vs measured slide activity per pathway (small multiples), the random-set gap beside it.

One panel per pathway of the task: every held-out patient's measured activity (bulk RNA-seq scored like the atlas)
against each entry's out-of-fold prediction. The panel's text gives, per entry, the Pearson r across patients of the
pathway and of its size- and expression-matched random gene set, and their difference (the gap: what is specific to
the pathway). Both r come from the result's own ``per_target`` values (the runner's scores); the points from its
kept predictions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.report.canvas import agg_figure
from benchmarks.report.gain_plot import short_names
from benchmarks.report.roc import COLOURS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ActivitySeries", "draw_activity", "gap_text"]

N_COLS = 4


@dataclass(frozen=True)
class ActivitySeries:
    """One entry's points on one pathway and its r beside the matched random set's."""

    label: str
    measured: np.ndarray
    predicted: np.ndarray
    r: float | None
    control_r: float | None


def gap_text(r: float | None, control_r: float | None) -> str:
    """``r 0.61 | random 0.05 | gap +0.56`` (dashes where a value is missing)."""
    shown = [f"r {r:.2f}" if r is not None and math.isfinite(r) else "r -"]
    if control_r is not None and math.isfinite(control_r):
        shown.append(f"random {control_r:.2f}")
        if r is not None and math.isfinite(r):
            shown.append(f"gap {r - control_r:+.2f}")
    return " | ".join(shown)


def draw_activity(panels: Sequence[tuple[str, Sequence[ActivitySeries]]], *, title: str = "") -> Figure:
    """Small multiples: per pathway, measured (x) vs predicted (y) of every entry, its r and random-set gap."""
    n = max(len(panels), 1)
    n_cols = min(N_COLS, n)
    n_rows = (n + n_cols - 1) // n_cols
    fig = agg_figure(3.4 * n_cols, 3.5 * n_rows + 0.4, dpi=100, layout=None)  # by hand: constrained layout is slow
    top = 1 - 0.95 / fig.get_figheight()
    fig.subplots_adjust(
        left=0.75 / fig.get_figwidth(), right=0.98, bottom=0.5 / fig.get_figheight(), top=top, wspace=0.3, hspace=0.55
    )
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    names = short_names([target for target, _ in panels])
    for ax, (_, series), name in zip(axes, panels, names, strict=False):
        lines = []
        for colour, item in zip(COLOURS * 4, series, strict=False):
            ax.scatter(item.measured, item.predicted, s=10, color=colour, alpha=0.75, linewidths=0, label=item.label)
            lines.append(f"{item.label}: {gap_text(item.r, item.control_r)}")
        values = np.concatenate([np.r_[s.measured, s.predicted] for s in series]) if series else np.zeros(1)
        values = values[np.isfinite(values)]
        if values.size:
            low, high = float(values.min()), float(values.max())
            ax.plot([low, high], [low, high], color="black", linewidth=0.6, linestyle=":")
        ax.set_title("\n".join([name, *lines]), fontsize=6)
        ax.set_xlabel("measured", fontsize=7)
        ax.set_ylabel("predicted (out of fold)", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.grid(alpha=0.3)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
