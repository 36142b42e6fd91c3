"""Ridge regression for the probe: every penalty of a split from one SVD, a per-target penalty by grouped CV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import Ridge

from stamp.probe.splits import PenaltySplits, penalty_splits

__all__ = [
    "PenaltyChoice",
    "choose_penalties",
    "fit_ridge_per_alpha",
    "predict_per_alpha",
    "ridge_fixed",
    "ridge_inner_cv",
    "ridge_path_mse",
]


@dataclass(frozen=True)
class PenaltyChoice:
    """The penalty chosen for every target and how (see :class:`stamp.probe.PenaltySplits`)."""

    alphas: np.ndarray
    splits: PenaltySplits

    @property
    def method(self) -> str:
        """``patients``, ``slides``, ``spatial`` or ``fixed``."""
        return self.splits.method

    def describe(self) -> str:
        """One line saying how the penalties were chosen."""
        return self.splits.describe()


def ridge_path_mse(
    z: np.ndarray, y: np.ndarray, fit_rows: np.ndarray, val_rows: np.ndarray, alphas: Sequence[float]
) -> np.ndarray:
    """Return the validation MSE per (alpha, target) of ridge with intercept, all alphas from one SVD.

    The same solution as ``sklearn.linear_model.Ridge(alpha)`` (centred data, unpenalised intercept),
    computed once per split instead of once per alpha.
    """
    z_mean, y_mean = z[fit_rows].mean(0), y[fit_rows].mean(0)
    u, s, vt = np.linalg.svd(z[fit_rows] - z_mean, full_matrices=False)
    uty = u.T @ (y[fit_rows] - y_mean)
    z_val = (z[val_rows] - z_mean) @ vt.T
    y_val = y[val_rows] - y_mean
    out = np.empty((len(alphas), y.shape[1]))
    for a, alpha in enumerate(alphas):
        pred = z_val @ ((s / (s * s + alpha))[:, None] * uty)
        out[a] = ((pred - y_val) ** 2).mean(0)
    return out


def choose_penalties(
    z_train: np.ndarray,
    y_train: np.ndarray,
    patients: np.ndarray,
    alphas: Sequence[float],
    inner_folds: int,
    *,
    slides: np.ndarray | None = None,
    coords: np.ndarray | None = None,
) -> PenaltyChoice:
    """Choose a ridge penalty per target by grouped inner CV (mean squared error; see :func:`penalty_splits`).

    Without any usable grouping the middle alpha of the grid is used, and the choice says so.
    """
    alphas = list(alphas)
    splits = penalty_splits(patients, inner_folds, slides=slides, coords=coords)
    if splits.splits:
        mse = np.zeros((len(alphas), y_train.shape[1]))
        for fit_rows, val_rows in splits.splits:
            mse += ridge_path_mse(z_train, y_train, fit_rows, val_rows, alphas)
        chosen = np.asarray(alphas, dtype=np.float64)[mse.argmin(0)]
    else:
        chosen = np.full(y_train.shape[1], float(alphas[len(alphas) // 2]))
    return PenaltyChoice(chosen, splits)


def fit_ridge_per_alpha(z_train: np.ndarray, y_train: np.ndarray, chosen: np.ndarray) -> list[Ridge]:
    """Fit one ridge per distinct penalty on the targets that chose it (in ``np.unique(chosen)`` order)."""
    return [Ridge(alpha=float(alpha)).fit(z_train, y_train[:, chosen == alpha]) for alpha in np.unique(chosen)]


def ridge_inner_cv(
    z_train: np.ndarray,
    y_train: np.ndarray,
    patients: np.ndarray,
    alphas: Sequence[float],
    inner_folds: int,
    *,
    slides: np.ndarray | None = None,
    coords: np.ndarray | None = None,
) -> tuple[list[Ridge], np.ndarray]:
    """Choose a ridge penalty per target by grouped inner CV, then refit.

    Returns the fitted models (one per distinct alpha) and the alpha of every target. With one training
    patient the groups are its slides, or spatial blocks of its one slide (``slides`` / ``coords``).
    """
    choice = choose_penalties(z_train, y_train, patients, alphas, inner_folds, slides=slides, coords=coords)
    return fit_ridge_per_alpha(z_train, y_train, choice.alphas), choice.alphas


def predict_per_alpha(models: list[Ridge], chosen: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Predictions of the per-alpha models, put back in target order."""
    out = np.empty((z.shape[0], chosen.size))
    for model, alpha in zip(models, np.unique(chosen), strict=True):
        out[:, chosen == alpha] = model.predict(z).reshape(z.shape[0], -1)
    return out


def ridge_fixed(z_train: np.ndarray, y_train: np.ndarray, alpha: float, *, intercept: bool) -> Ridge:
    """One ridge with a fixed penalty (the HEST protocol: lsqr solver)."""
    return Ridge(alpha=alpha, solver="lsqr", fit_intercept=intercept, max_iter=1000, random_state=0).fit(
        z_train, y_train
    )
