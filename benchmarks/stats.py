"""Statistics: column-wise Pearson, and bootstrap confidence intervals over patients (plain and paired)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stamp.probe import pearson_columns  # the probe's score, owned by stamp.probe (shared with stamp fit)

__all__ = ["MIN_BOOTSTRAP_PATIENTS", "bootstrap_ci", "paired_bootstrap", "pearson_columns"]

MIN_BOOTSTRAP_PATIENTS = 5  # below this many patients no interval resamples patients (a task may raise it)


def _resample_means(values: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, values.size, size=(n_boot, values.size))
    return np.nanmean(values[idx], axis=1)


def bootstrap_ci(values: Sequence[float] | np.ndarray, *, n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% percentile interval of the mean of per-patient values, resampling patients with replacement.

    NaN values (a patient with no usable target) are ignored; all NaN gives (NaN, NaN).
    """
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return (float("nan"), float("nan"))
    if arr.size == 1:
        return (float(arr[0]), float(arr[0]))
    means = _resample_means(arr, n_boot, seed)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return (float(lo), float(hi))


def paired_bootstrap(
    a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *, n_boot: int = 1000, seed: int = 0
) -> dict[str, float]:
    """Paired bootstrap of mean(a - b) over the same patients: the difference, its 95% CI and a two-sided p.

    ``p`` is twice the smaller share of resampled differences on either side of zero (floored at
    1 / n_boot); patients missing in either are dropped.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    diff = a[keep] - b[keep]
    if diff.size == 0:
        return {"diff": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "p": float("nan"), "n": 0}
    means = _resample_means(diff, n_boot, seed) if diff.size > 1 else np.repeat(diff, n_boot)
    lo, hi = np.percentile(means, [2.5, 97.5])
    share = min(float((means <= 0).mean()), float((means >= 0).mean()))
    p = min(1.0, max(2.0 * share, 1.0 / n_boot))
    return {"diff": float(diff.mean()), "ci_low": float(lo), "ci_high": float(hi), "p": p, "n": int(diff.size)}
