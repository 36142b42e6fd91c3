"""Tier 3: Kaplan-Meier curves of the out-of-fold predicted risk groups, numbers at risk, and the log-rank test.

Each held-out patient's risk is the probe's out-of-fold prediction (from the fold model that never saw it). Patients
are split by the rank of that risk into equal groups: tertiles with at least :data:`MIN_TERTILE_PATIENTS` patients,
else a median split (ties in risk broken by patient order; a risk with fewer distinct values than groups is not
split). Per group the Kaplan-Meier estimate and its median survival (lifelines ``KaplanMeierFitter``), the number at
risk (time >= t) at the axis ticks, and across groups the log-rank test (lifelines ``multivariate_logrank_test``,
chi-squared with groups - 1 degrees of freedom). The groups are made after the fact from out-of-fold risks, so the
test says the groups differ on these patients; it is not a pre-registered cut-off.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.report.canvas import agg_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MIN_TERTILE_PATIENTS", "GroupCurve", "KaplanMeier", "draw_kaplan_meier", "kaplan_meier", "risk_groups"]

MIN_TERTILE_PATIENTS = 30  # tertiles (at least 10 patients a group) from this many patients, else a median split
GROUP_NAMES = {2: ("low risk", "high risk"), 3: ("low risk", "middle risk", "high risk")}
GROUP_COLOURS = {2: ("#1f4e9c", "#c0392b"), 3: ("#1f4e9c", "#e39b2d", "#c0392b")}


def risk_groups(risk: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Group index per patient (0 = lowest risk) and the number of groups; ``None`` when the risk cannot be split."""
    risk = np.asarray(risk, dtype=np.float64)
    n = risk.size
    k = 3 if n >= MIN_TERTILE_PATIENTS else 2
    if n < 2 * k or np.unique(risk[np.isfinite(risk)]).size < k:
        return None
    ranks = np.empty(n, dtype=np.int64)
    ranks[np.argsort(risk, kind="stable")] = np.arange(n)
    return ranks * k // n, k


def split_rule(k: int) -> str:
    """Say the grouping rule in words."""
    what = "tertiles" if k == 3 else "median split"
    return f"{what} of the out-of-fold predicted risk ({'>=' if k == 3 else '<'} {MIN_TERTILE_PATIENTS} patients)"


@dataclass(frozen=True)
class GroupCurve:
    """One risk group: size, events, Kaplan-Meier step function, median survival (inf: not reached), at risk."""

    name: str
    n: int
    events: int
    times: np.ndarray
    survival: np.ndarray
    median: float
    at_risk: tuple[int, ...]  # at KaplanMeier.ticks
    censored: np.ndarray  # times of the censored patients (marked on the curve)

    def at(self, times: np.ndarray) -> np.ndarray:
        """Return the estimate at ``times`` (the step function, right-continuous)."""
        index = np.searchsorted(self.times, times, side="right") - 1
        return np.where(index >= 0, self.survival[np.clip(index, 0, None)], 1.0)


@dataclass(frozen=True)
class KaplanMeier:
    """One entry under one probe: its risk groups' curves, the ticks of the at-risk counts, and the log-rank test."""

    label: str
    probe: str
    groups: list[GroupCurve]
    ticks: np.ndarray
    chi2: float
    p: float
    rule: str

    def median_text(self, group: GroupCurve) -> str:
        """Return the median survival, or ``not reached``."""
        return f"{group.median:g}" if math.isfinite(group.median) else "not reached"


def kaplan_meier(
    label: str, probe: str, time: np.ndarray, event: np.ndarray, risk: np.ndarray, ticks: np.ndarray
) -> KaplanMeier | None:
    """Kaplan-Meier curves of the risk groups of ``risk`` (``None`` when it cannot be split) and their log-rank test."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    split = risk_groups(risk)
    if split is None:
        return None
    group, k = split
    time, event = np.asarray(time, dtype=np.float64), np.asarray(event).astype(bool)
    curves = []
    for g, name in enumerate(GROUP_NAMES[k]):
        mine = group == g
        fitter = KaplanMeierFitter().fit(time[mine], event[mine])
        frame = fitter.survival_function_
        curves.append(
            GroupCurve(
                name=name, n=int(mine.sum()), events=int(event[mine].sum()),
                times=frame.index.to_numpy(dtype=np.float64), survival=frame.iloc[:, 0].to_numpy(dtype=np.float64),
                median=float(fitter.median_survival_time_),
                at_risk=tuple(int((time[mine] >= t).sum()) for t in ticks), censored=time[mine & ~event],
            )
        )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        test = multivariate_logrank_test(time, group, event)
    return KaplanMeier(label, probe, curves, np.asarray(ticks), float(test.test_statistic), float(test.p_value),
                       split_rule(k))  # fmt: skip


def at_risk_ticks(time: np.ndarray) -> np.ndarray:
    """Round time points from 0 to the last follow-up (about five) where the numbers at risk are counted."""
    from matplotlib.ticker import MaxNLocator

    end = float(np.max(time)) if len(time) else 1.0
    ticks = np.asarray(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, end), dtype=np.float64)
    return ticks[(ticks >= 0) & (ticks <= end)]


def draw_kaplan_meier(panels: Sequence[KaplanMeier], *, unit: str = "days", title: str = "") -> Figure:
    """One panel per entry and probe: the groups' survival curves (ticks: censored), the numbers at risk below."""
    n = max(len(panels), 1)
    n_cols = min(n, 2)
    n_rows = (n + n_cols - 1) // n_cols
    fig = agg_figure(4.6 * n_cols, 4.6 * n_rows + 0.3, dpi=100, layout=None)  # by hand: constrained layout is slow
    grid = fig.add_gridspec(
        n_rows, n_cols, left=0.9 / fig.get_figwidth(), right=0.98, bottom=0.45 / fig.get_figheight(),
        top=1 - 0.85 / fig.get_figheight(), wspace=0.3, hspace=0.3,
    )  # fmt: skip
    for i, km in enumerate(panels):
        row, col = divmod(i, n_cols)
        inner = grid[row, col].subgridspec(2, 1, height_ratios=[4, 1.1], hspace=0.08)
        ax = fig.add_subplot(inner[0])
        table = fig.add_subplot(inner[1], sharex=ax)
        colours = GROUP_COLOURS[len(km.groups)]
        for colour, group in zip(colours, km.groups, strict=True):
            label = f"{group.name}: n={group.n}, {group.events} events, median {km.median_text(group)}"
            ax.step(group.times, group.survival, where="post", color=colour, linewidth=1.5, label=label)
            if group.censored.size:
                ax.plot(group.censored, group.at(group.censored), "|", color=colour, markersize=7)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("survival probability", fontsize=8)
        ax.set_title(f"{km.label} [{km.probe}]\nlog-rank chi2 = {km.chi2:.2f}, p = {km.p:.3g}", fontsize=8)
        ax.tick_params(labelsize=7, labelbottom=False)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="lower left", frameon=False)
        table.set_xlabel(f"time ({unit}); numbers at risk", fontsize=8)
        table.set_yticks(range(len(km.groups)))
        table.set_yticklabels([g.name for g in km.groups], fontsize=6)
        table.set_ylim(-0.6, len(km.groups) - 0.4)
        table.invert_yaxis()
        for y, (colour, group) in enumerate(zip(colours, km.groups, strict=True)):
            for t, count in zip(km.ticks, group.at_risk, strict=True):
                table.text(t, y, str(count), ha="center", va="center", fontsize=7, color=colour)
        table.set_xticks(km.ticks)
        table.tick_params(labelsize=7, left=False)
        for side in ("top", "right", "left"):
            table.spines[side].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
