"""Column-wise Pearson correlation, the probe's score."""

from __future__ import annotations

import numpy as np

__all__ = ["pearson_columns"]


def pearson_columns(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Pearson r of each column of ``y_true`` with the same column of ``y_pred``; NaN where either is constant.

    Parameters
    ----------
    y_true, y_pred
        Arrays of shape (n, targets); fewer than 3 rows give NaN.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.ndim == 1:
        y_true, y_pred = y_true[:, None], y_pred[:, None]
    if y_true.shape[0] < 3:
        return np.full(y_true.shape[1], np.nan)
    a = y_true - y_true.mean(0)
    b = y_pred - y_pred.mean(0)
    denom = np.sqrt((a * a).sum(0) * (b * b).sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * b).sum(0) / denom
    tiny = denom <= 1e-12 * max(1.0, float(np.nanmax(denom)) if denom.size else 1.0)
    r[tiny] = np.nan
    return np.clip(r, -1.0, 1.0)
