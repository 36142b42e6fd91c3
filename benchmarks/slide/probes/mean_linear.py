"""Mean-pooled features -> standardise -> PCA (fit on train) -> logistic regression, ridge, or penalised Cox.

- classification: scikit-learn ``LogisticRegressionCV`` (L2, class-balanced, ``C`` by inner stratified CV on AUROC
  over the training patients);
- regression: ``RidgeCV`` with one alpha per target (efficient leave-one-out over the training patients);
- survival: lifelines ``CoxPHFitter`` (L2 penalty) on the first ``cox_components`` components; the risk is the
  log partial hazard.

Patients, not slides, are the rows (a patient's tiles from all its slides are averaged), so the inner splits are
patient-grouped by construction. Everything is deterministic.

Per-tile score: each test tile alone through the same standardisation, PCA and linear model (the logit, the target,
or the log partial hazard). The chain is affine, so a patient's tile scores average to its own score: the logit of
its probability, its predicted targets, its risk.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.errors import TierError
from benchmarks.slide.probes._registry import ProbeInput, ProbeOutput, register_probe

__all__ = ["fit_predict_linear", "pooled"]

_MAX_COX_TRIES = 3
TileScore = Callable[[np.ndarray], np.ndarray]  # projected tiles (n, k) -> scores (n, width)
Fit = tuple[ProbeOutput, TileScore]


def pooled(bags: list[np.ndarray]) -> np.ndarray:
    """Mean of each bag's tiles (patients x dim, float64)."""
    return np.stack([b.astype(np.float64).mean(0) for b in bags])


def _projection(train: np.ndarray, components: int, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Fit standardisation and PCA on the training rows; return the map applied to any rows (patients or tiles)."""
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train)
    k = max(1, min(components, train.shape[0] - 1, train.shape[1]))
    pca = PCA(n_components=k, random_state=seed).fit(scaler.transform(train))
    return lambda rows: pca.transform(scaler.transform(np.asarray(rows, dtype=np.float64)))


def _constant_tiles(rows: np.ndarray) -> np.ndarray:
    return np.full((len(rows), 1), np.nan)  # no model was fitted: no tile has a score


def _classify(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray, data: ProbeInput) -> Fit:
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    y = y.astype(int)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        constant = np.full(len(x_test), float(classes[0]) if classes.size else 0.5)
        return ProbeOutput(constant, notes={"constant": 1.0}), _constant_tiles
    settings = data.settings.linear
    folds = min(settings.inner_folds, int(counts.min()))
    if folds < 2:
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(x_train, y)
        notes = {"C": 1.0}
    else:
        cv = StratifiedKFold(folds, shuffle=True, random_state=data.seed)
        model = LogisticRegressionCV(
            Cs=list(settings.c_grid), cv=cv, scoring="roc_auc", class_weight="balanced", max_iter=5000
        ).fit(x_train, y)
        notes = {"C": float(model.C_[0])}
    return (
        ProbeOutput(model.predict_proba(x_test)[:, 1], notes=notes),
        lambda rows: np.asarray(model.decision_function(rows), dtype=np.float64).reshape(len(rows), 1),
    )


def _regress(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray, data: ProbeInput) -> Fit:
    from sklearn.linear_model import RidgeCV

    model = RidgeCV(alphas=list(data.settings.linear.alphas), alpha_per_target=True).fit(x_train, y)
    alphas = np.atleast_1d(model.alpha_)
    return (
        ProbeOutput(
            np.asarray(model.predict(x_test)).reshape(len(x_test), -1), notes={"alpha_median": float(np.median(alphas))}
        ),
        lambda rows: np.asarray(model.predict(rows), dtype=np.float64).reshape(len(rows), -1),
    )


def _cox(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray, data: ProbeInput) -> Fit:
    import pandas as pd
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    settings = data.settings.linear
    k = max(1, min(settings.cox_components, x_train.shape[1], int(y[:, 1].sum()) - 1))
    columns = [f"pc{j}" for j in range(k)]
    frame = pd.DataFrame(x_train[:, :k], columns=columns)
    frame["time"], frame["event"] = y[:, 0], y[:, 1].astype(int)
    penalizer = settings.cox_penalizer
    for _ in range(_MAX_COX_TRIES):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = CoxPHFitter(penalizer=penalizer).fit(frame, duration_col="time", event_col="event")
            risk = fitted.predict_log_partial_hazard(pd.DataFrame(x_test[:, :k], columns=columns))
            return (
                ProbeOutput(np.asarray(risk, dtype=np.float64), notes={"penalizer": penalizer}),
                lambda rows, model=fitted: np.asarray(
                    model.predict_log_partial_hazard(pd.DataFrame(rows[:, :k], columns=columns)), dtype=np.float64
                ).reshape(len(rows), 1),
            )
        except ConvergenceError:
            penalizer = max(penalizer * 10, 0.1)
    msg = (
        f"the Cox model did not converge on {len(frame)} training patients ({int(frame['event'].sum())} events) "
        f"even with penalizer {penalizer / 10:g}; the fold has too few events: use fewer folds"
    )
    raise TierError(msg)


@register_probe(
    "mean-linear",
    "mean-pooled tiles -> standardise -> PCA -> logistic / ridge / penalised Cox",
    tile_score="linear score of each tile alone (logit, target or log partial hazard; their mean is the patient's)",
)
def fit_predict_linear(data: ProbeInput) -> ProbeOutput:
    """Fit the linear probe of the task's kind on the training patients; predict the test patients and their tiles."""
    train, test = pooled(data.train), pooled(data.test)
    settings = data.settings.linear
    fit = {"classification": _classify, "regression": _regress, "survival": _cox}[data.kind]
    # one BLAS thread: tens of patients fit faster alone (0.1 s vs 0.9 s on 2 shared cores); scikit-learn's
    # announcements of its next API (FutureWarning on every fit) are not the user's business
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        project = _projection(train, settings.pca_components, data.seed)
        out, tile_score = fit(project(train), np.asarray(data.y_train, dtype=np.float64), project(test), data)
        tiles = [tile_score(project(bag)) for bag in data.test]
    return ProbeOutput(out.predictions, per_seed=[out.predictions], notes=out.notes, tile_scores=tiles)
