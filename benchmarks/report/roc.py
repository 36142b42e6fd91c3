"""Tier-2 status: ROC curves of the out-of-fold predictions with a bootstrap band over patients, and the chance line.

The curve is the ROC curve (:func:`roc_points`) of a probe's pooled out-of-fold probabilities (every patient scored
by the fold model that never saw it). The band is the pointwise 2.5-97.5 percentile of the true-positive rate at
fixed false-positive rates over patient resamples drawn as the AUROC interval's are
(:func:`benchmarks.slide.metrics.resample_indices`, the report's ``--n-boot``); resamples with one class are
skipped, and below :data:`benchmarks.stats.MIN_BOOTSTRAP_PATIENTS` patients no band is drawn. The marker is the
operating point at the probability threshold of the balanced accuracy (:data:`benchmarks.slide.metrics.THRESHOLD`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.report.canvas import agg_figure
from benchmarks.slide.metrics import THRESHOLD, resample_indices
from benchmarks.stats import MIN_BOOTSTRAP_PATIENTS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["GRID", "RocCurve", "draw_roc", "roc_curve_of", "roc_points"]

GRID = np.linspace(0.0, 1.0, 101)  # false-positive rates at which the band is taken
COLOURS = ("#7f7f7f", "#1f4e9c", "#c0392b", "#2e8b57", "#8e44ad")  # A grey, then the compared entries


@dataclass(frozen=True)
class RocCurve:
    """One entry's ROC curve on one probe: the points, the band on :data:`GRID` and the threshold's operating point."""

    label: str
    fpr: np.ndarray
    tpr: np.ndarray
    band: tuple[np.ndarray, np.ndarray] | None  # (low, high) true-positive rates on GRID
    point: tuple[float, float]  # (false-positive rate, true-positive rate) at THRESHOLD
    legend: str  # AUROC and balanced accuracy with their intervals, from the result


def roc_points(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return false- and true-positive rates at every distinct threshold, (0, 0) to (1, 1); ties move together.

    scikit-learn's ``roc_curve(drop_intermediate=False)`` (a test checks), without its input validation: the band
    calls it once per resample.
    """
    order = np.argsort(-score, kind="mergesort")
    ranked, hits = score[order], y[order].astype(np.float64)
    last = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]  # the last row of every run of tied scores
    tps = np.cumsum(hits)[last]
    fps = (last + 1) - tps
    return np.r_[0.0, fps / max(fps[-1], 1.0)], np.r_[0.0, tps / max(tps[-1], 1.0)]


def roc_curve_of(label: str, y: np.ndarray, score: np.ndarray, *, n_boot: int, seed: int, legend: str = "") -> RocCurve:
    """ROC curve of probabilities ``score`` for 0/1 labels ``y``, with its patient-bootstrap band."""
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=np.float64)
    fpr, tpr = roc_points(y, score)
    band = None
    if y.size >= MIN_BOOTSTRAP_PATIENTS:
        curves = []
        for idx in resample_indices(y.size, n_boot=n_boot, seed=seed):
            yy = y[idx]
            if yy.all() or not yy.any():
                continue
            f, t = roc_points(yy, score[idx])
            curves.append(np.interp(GRID, f, t))
        if curves:
            low, high = np.percentile(np.stack(curves), [2.5, 97.5], axis=0)
            band = (low, high)
    called = score >= THRESHOLD
    point = (float(called[~y].mean()), float(called[y].mean()))
    return RocCurve(label, fpr, tpr, band, point, legend)


def draw_roc(panels: Sequence[tuple[str, Sequence[RocCurve]]], *, title: str = "") -> Figure:
    """One square panel per probe: each entry's curve, its band, its operating point, and the chance diagonal."""
    n = max(len(panels), 1)
    fig = agg_figure(3.6 * n, 4.0, dpi=100, layout=None)  # laid out by hand: constrained layout is slow
    fig.subplots_adjust(left=0.6 / fig.get_figwidth(), right=0.98, bottom=0.12, top=0.86, wspace=0.3)
    axes = np.atleast_1d(fig.subplots(1, n, squeeze=False)).ravel()
    for ax, (probe, curves) in zip(axes, panels, strict=False):
        ax.plot([0, 1], [0, 1], linestyle="--", color="black", linewidth=0.8, label="chance")
        for colour, curve in zip(COLOURS * 4, curves, strict=False):
            if curve.band is not None:
                ax.fill_between(GRID, curve.band[0], curve.band[1], color=colour, alpha=0.15, linewidth=0)
            ax.plot(curve.fpr, curve.tpr, color=colour, linewidth=1.6, label=f"{curve.label}\n{curve.legend}")
            ax.plot(*curve.point, marker="o", markersize=5, color=colour)
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.01)
        ax.set_aspect("equal")
        ax.set_xlabel("false-positive rate", fontsize=8)
        ax.set_ylabel("true-positive rate", fontsize=8)
        ax.set_title(probe, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="lower right", frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
