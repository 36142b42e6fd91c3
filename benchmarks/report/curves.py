"""Training curves from a ``stamp fit`` run's ``metrics.csv``: every numeric column, grouped into panels by name.

The groups are data (:data:`CURVE_GROUPS`, first match wins); a column no group claims goes to ``other``, so
a column ``stamp fit`` starts logging later shows up without a change here. Cells left empty (a metric logged
every N steps) are skipped, and such sparse series are drawn with markers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.errors import ResultError
from benchmarks.report.canvas import agg_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CURVE_GROUPS", "CurveGroup", "draw_curves", "group_columns", "read_metrics"]

STEP = "step"
# (panel title, column-name pattern); the first matching group takes a column
CURVE_GROUPS: tuple[tuple[str, str], ...] = (
    ("loss", r"^loss($|_)"),
    ("temperature", r"^(temperature|logit_scale)"),
    ("learning rate", r"^lr($|_)"),
    ("validation", r"^val($|_)"),
    ("drift", r"^drift($|_)"),
    ("throughput", r"_per_s$"),
)
OTHER = "other"


@dataclass(frozen=True)
class CurveGroup:
    """One panel: its title and the columns drawn in it."""

    title: str
    columns: list[str]


def read_metrics(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read ``metrics.csv``: the steps and every numeric column with at least one value (NaN where empty).

    Raises
    ------
    ResultError
        Missing, unreadable, or without a ``step`` column.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        msg = f"training metrics are unreadable ({exc}); the run folder of `stamp fit` writes metrics.csv"
        raise ResultError(msg, path=path) from exc
    if STEP not in frame.columns:
        msg = f"no '{STEP}' column (found {list(frame.columns)}); not a `stamp fit` metrics.csv"
        raise ResultError(msg, path=path)
    steps = pd.to_numeric(frame[STEP], errors="coerce").to_numpy(dtype=np.float64)
    columns = {}
    for name in frame.columns:
        if name == STEP:
            continue
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        if np.isfinite(values).any():
            columns[str(name)] = values
    return steps, columns


def group_columns(names: list[str]) -> list[CurveGroup]:
    """Group column names into panels in :data:`CURVE_GROUPS` order, the rest under ``other``; empty groups dropped."""
    groups: dict[str, list[str]] = {title: [] for title, _ in CURVE_GROUPS}
    groups[OTHER] = []
    for name in names:
        title = next((t for t, pattern in CURVE_GROUPS if re.search(pattern, name)), OTHER)
        groups[title].append(name)
    return [CurveGroup(title, cols) for title, cols in groups.items() if cols]


def draw_curves(steps: np.ndarray, columns: dict[str, np.ndarray], *, title: str = "") -> Figure:
    """One panel per column group against the step, in a grid of up to three panels a row."""
    groups = group_columns(list(columns))
    n = max(len(groups), 1)
    n_cols = min(3, n)
    n_rows = (n + n_cols - 1) // n_cols
    fig = agg_figure(3.4 * n_cols, 2.5 * n_rows, dpi=100)
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax, group in zip(axes, groups, strict=False):
        for name in group.columns:
            values = columns[name]
            keep = np.isfinite(values) & np.isfinite(steps)
            sparse = keep.sum() < 0.5 * keep.size
            ax.plot(steps[keep], values[keep], marker="o" if sparse else None, markersize=3, linewidth=1.2, label=name)
        ax.set_title(group.title, fontsize=9)
        ax.set_xlabel(STEP, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if len(group.columns) > 1 or group.columns[0] != group.title:
            ax.legend(fontsize=7, frameon=False)
    for ax in axes[len(groups) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
