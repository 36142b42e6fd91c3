"""Tier-2/3 metrics on out-of-fold patient predictions, and their 95% intervals by bootstrap over patients.

AUROC and balanced accuracy (scikit-learn), Pearson per target (mean over targets), Harrell's censoring-aware
C-index (lifelines) with the number of events and of comparable pairs. A patient bootstrap resamples patients with
replacement and recomputes the metric; resamples where it is undefined (one class, no comparable pair) are skipped.
Below :data:`MIN_BOOTSTRAP_PATIENTS` patients no interval is given (``interval: none``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from benchmarks.stats import MIN_BOOTSTRAP_PATIENTS, pearson_columns

__all__ = [
    "CHANCE",
    "METRIC_NAMES",
    "THRESHOLD",
    "Interval",
    "auroc",
    "balanced_accuracy",
    "comparable_pairs",
    "concordance",
    "mean_pearson",
    "metric_function",
    "patient_bootstrap",
    "resample_indices",
]

Metric = Callable[[np.ndarray], float]  # metric of the patients at the given indices
THRESHOLD = 0.5  # balanced accuracy calls class 1 at a predicted probability of at least this
CHANCE: dict[str, float] = {"auroc": 0.5, "balanced_accuracy": 0.5, "pearson": 0.0, "c_index": 0.5}  # no signal
METRIC_NAMES: dict[str, str] = {  # how pages and tables name the metrics
    "auroc": "AUROC",
    "balanced_accuracy": "balanced accuracy",
    "pearson": "Pearson r",
    "c_index": "C-index",
    "gap_vs_random": "gap to random sets",
}


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U over average ranks, ties count half); NaN with one class.

    Equal to ``sklearn.metrics.roc_auc_score`` (a test checks), ~50x faster: the bootstraps call it thousands of
    times.
    """
    y = np.asarray(y).astype(bool)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = stats.rankdata(np.asarray(score, dtype=np.float64))
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def balanced_accuracy(y: np.ndarray, probability: np.ndarray, threshold: float = THRESHOLD) -> float:
    """Mean of sensitivity and specificity at ``threshold``; NaN when only one class is present."""
    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        return float("nan")
    called = np.asarray(probability) >= threshold
    return float((called[y].mean() + (~called[~y]).mean()) / 2)


def mean_pearson(y: np.ndarray, predicted: np.ndarray) -> float:
    """Mean over targets of the Pearson r across patients (targets with an undefined r ignored)."""
    r = pearson_columns(y, predicted)
    return float(np.nanmean(r)) if np.isfinite(r).any() else float("nan")


def comparable_pairs(time: np.ndarray, event: np.ndarray) -> int:
    """Pairs (i, j) where i had the event and j outlived it: a later time, or the same time censored.

    Harrell's usable pairs as lifelines counts them (the C-index's denominator): two events at the same time are
    not comparable, an event and a censoring at the same time are (the censored patient was still alive).
    """
    time, event = np.asarray(time, dtype=np.float64), np.asarray(event).astype(bool)
    later = time[None, :] > time[event][:, None]
    tied_censored = (time[None, :] == time[event][:, None]) & ~event[None, :]
    return int((later | tied_censored).sum())


def concordance(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    """Harrell's C-index of a risk score (higher risk, earlier event); NaN without comparable pairs.

    Over the comparable pairs of :func:`comparable_pairs`, the share where the patient with the event has the higher
    risk (ties in risk count half): lifelines' ``concordance_index`` on the negated risk (a test checks), vectorised.
    """
    time, event = np.asarray(time, dtype=np.float64), np.asarray(event).astype(bool)
    risk = np.asarray(risk, dtype=np.float64)
    first = time[event][:, None]
    usable = (time[None, :] > first) | ((time[None, :] == first) & ~event[None, :])
    n = int(usable.sum())
    if n == 0:
        return float("nan")
    mine, theirs = risk[event][:, None], risk[None, :]
    return float((((mine > theirs) & usable).sum() + 0.5 * ((mine == theirs) & usable).sum()) / n)


def metric_function(name: str, y: np.ndarray, predicted: np.ndarray) -> Metric:
    """``metric(indices)`` for a named metric of these labels and predictions (what the bootstrap resamples)."""
    functions: dict[str, Metric] = {
        "auroc": lambda i: auroc(y[i], predicted[i]),
        "balanced_accuracy": lambda i: balanced_accuracy(y[i], predicted[i]),
        "pearson": lambda i: mean_pearson(y[i], predicted[i]),
        "c_index": lambda i: concordance(y[i, 0], y[i, 1], predicted[i]),
    }
    return functions[name]


@dataclass(frozen=True)
class Interval:
    """A metric, its 95% patient-bootstrap interval (or none) and how many resamples defined it."""

    value: float
    low: float
    high: float
    kind: str
    n_defined: int


def patient_bootstrap(metric: Metric, n: int, *, n_boot: int, seed: int) -> tuple[Interval, np.ndarray]:
    """Return the metric on all ``n`` patients, its 95% percentile interval over patient resamples, the resamples.

    The resample indices depend on ``(n, n_boot, seed)`` only, so two encoders scored on the same patients are
    resampled identically (a paired comparison can reuse them).
    """
    value = metric(np.arange(n))
    if n < MIN_BOOTSTRAP_PATIENTS or not np.isfinite(value):
        return Interval(value, float("nan"), float("nan"), "none", 0), np.zeros(0)
    idx = resample_indices(n, n_boot=n_boot, seed=seed)
    values = np.array([metric(row) for row in idx], dtype=np.float64)
    ok = values[np.isfinite(values)]
    if ok.size < max(10, n_boot // 10):
        return Interval(value, float("nan"), float("nan"), "none", int(ok.size)), values
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return Interval(value, float(lo), float(hi), "patient_bootstrap", int(ok.size)), values


def resample_indices(n: int, *, n_boot: int, seed: int) -> np.ndarray:
    """``n_boot`` resamples of ``n`` patients with replacement (seeded)."""
    return np.random.default_rng([seed, n]).integers(0, n, size=(n_boot, n))
