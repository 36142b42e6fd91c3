"""The tier-1 linear probe and its per-patient scoring, shared by the ``spot`` and ``spot_hest`` protocols.

Per outer fold: standardise -> PCA, both fitted on the fold's training spots only; ridge per target block
(alpha fixed, or chosen per target by patient-grouped inner CV on the training spots); Pearson per target
on every test patient's spots (pooled over its slides, and per slide), averaged over targets. Every fit
records the rows it saw in a :class:`FitTrace`, which the leakage test inspects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler

from benchmarks.splits import Fold, inner_splits
from benchmarks.stats import pearson_columns

__all__ = [
    "BlockOutcome",
    "FitTrace",
    "PatientSpots",
    "TargetBlock",
    "embed_fold",
    "ridge_fixed",
    "ridge_inner_cv",
    "score_block",
]


@dataclass
class FitTrace:
    """Which spot rows each fitted step saw: ``(fold, step) -> row indices`` (for the leakage test)."""

    rows: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)

    def record(self, fold: str, step: str, rows: np.ndarray) -> None:
        """Remember the rows a step was fitted on."""
        self.rows[(fold, step)] = np.asarray(rows).copy()


@dataclass(frozen=True)
class TargetBlock:
    """A group of targets predicted together.

    ``values`` is spots x candidates; ``choose`` (if given) picks the columns from the training rows of a
    fold (top-k variable genes); otherwise every column is a target.
    """

    name: str
    kind: str  # "pathways" | "random" | "genes"
    names: list[str]
    values: np.ndarray
    choose: Callable[[np.ndarray], np.ndarray] | None = None
    control_of: str = ""

    def columns(self, train: np.ndarray) -> np.ndarray:
        """Target columns for a fold whose training rows are ``train``."""
        return np.arange(self.values.shape[1]) if self.choose is None else self.choose(train)


@dataclass
class BlockOutcome:
    """A block's per-patient scores (mean over targets), per-target means and the penalties chosen."""

    name: str
    kind: str
    control_of: str
    n_targets: int
    pooled: dict[str, float] = field(default_factory=dict)  # patient -> mean r over targets (slides pooled)
    per_slide: dict[str, float] = field(default_factory=dict)  # patient -> mean over slides of mean r
    slides: dict[str, float] = field(default_factory=dict)  # sample -> mean r over targets
    target_r: dict[str, list[float]] = field(default_factory=dict)  # target -> r per test patient
    patient_target_r: dict[str, dict[str, float]] = field(default_factory=dict)  # patient -> target -> r
    spots: dict[str, PatientSpots] = field(default_factory=dict)  # patient -> its test spots (block intervals)
    alphas: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class PatientSpots:
    """A test patient's spots as scored: row indices into the task data, measured and predicted targets."""

    rows: np.ndarray
    y: np.ndarray
    pred: np.ndarray


def top_variable(values: np.ndarray, k: int) -> Callable[[np.ndarray], np.ndarray]:
    """Return a chooser of the ``k`` columns of largest variance over the given (training) rows."""

    def choose(rows: np.ndarray) -> np.ndarray:
        var = values[rows].var(axis=0)
        return np.sort(np.argsort(-var, kind="stable")[: min(k, values.shape[1])])

    return choose


def embed_fold(
    x: np.ndarray, fold: Fold, n_components: int, *, trace: FitTrace | None = None, seed: int = 0
) -> np.ndarray:
    """Standardise and project all rows with a scaler and PCA fitted on ``fold.train`` only."""
    scaler = StandardScaler().fit(x[fold.train])
    n = max(1, min(n_components, fold.train.size - 1, x.shape[1]))
    pca = PCA(n_components=n, random_state=seed).fit(scaler.transform(x[fold.train]))
    if trace is not None:
        trace.record(fold.name, "scaler", fold.train)
        trace.record(fold.name, "pca", fold.train)
    return pca.transform(scaler.transform(x)).astype(np.float64)


def _ridge_path_mse(
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


def ridge_inner_cv(
    z_train: np.ndarray, y_train: np.ndarray, patients: np.ndarray, alphas: Sequence[float], inner_folds: int
) -> tuple[list[Ridge], np.ndarray]:
    """Choose a ridge penalty per target by patient-grouped inner CV (mean squared error), then refit.

    Returns the fitted models (one per distinct alpha) and the alpha of every target. With fewer than two
    training patients there is no grouped split, and the middle alpha of the grid is used.
    """
    alphas = list(alphas)
    splits = inner_splits(patients, inner_folds)
    if splits:
        mse = np.zeros((len(alphas), y_train.shape[1]))
        for fit_rows, val_rows in splits:
            mse += _ridge_path_mse(z_train, y_train, fit_rows, val_rows, alphas)
        chosen = np.asarray(alphas)[mse.argmin(0)]
    else:
        chosen = np.full(y_train.shape[1], alphas[len(alphas) // 2])
    models = [Ridge(alpha=float(alpha)).fit(z_train, y_train[:, chosen == alpha]) for alpha in np.unique(chosen)]
    return models, chosen


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


def score_block(
    outcome: BlockOutcome,
    y_test: np.ndarray,
    pred: np.ndarray,
    target_names: list[str],
    patients: np.ndarray,
    samples: np.ndarray,
    test_rows: np.ndarray | None = None,
) -> None:
    """Add the test patients of one fold to ``outcome``: per-patient and per-slide mean Pearson over targets.

    ``test_rows`` (the fold's test row indices into the task data) keeps each patient's spots for the spatial
    block bootstrap used when a task holds out few patients.
    """
    for patient in sorted(set(patients.tolist())):
        rows = patients == patient
        r = pearson_columns(y_test[rows], pred[rows])
        outcome.pooled[patient] = float(np.nanmean(r)) if np.isfinite(r).any() else float("nan")
        outcome.patient_target_r[patient] = dict(zip(target_names, r.tolist(), strict=True))
        if test_rows is not None:
            outcome.spots[patient] = PatientSpots(np.asarray(test_rows)[rows], y_test[rows], pred[rows])
        for name, value in zip(target_names, r.tolist(), strict=True):
            outcome.target_r.setdefault(name, []).append(value)
        slide_means = []
        for sample in sorted(set(samples[rows].tolist())):
            srows = rows & (samples == sample)
            rs = pearson_columns(y_test[srows], pred[srows])
            value = float(np.nanmean(rs)) if np.isfinite(rs).any() else float("nan")
            outcome.slides[sample] = value
            slide_means.append(value)
        finite = [v for v in slide_means if np.isfinite(v)]
        outcome.per_slide[patient] = float(np.mean(finite)) if finite else float("nan")
