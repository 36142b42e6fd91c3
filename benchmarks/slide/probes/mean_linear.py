"""Mean-pooled features -> standardise -> PCA (fit on train) -> logistic regression, ridge, or penalised Cox.

- classification: scikit-learn ``LogisticRegressionCV`` (L2, class-balanced, ``C`` by inner stratified CV on AUROC
  over the training patients);
- regression: ``RidgeCV`` with one alpha per target (efficient leave-one-out over the training patients);
- survival: lifelines ``CoxPHFitter`` (L2 penalty) on the first ``cox_components`` components; the risk is the
  log partial hazard.

Patients, not slides, are the rows (a patient's tiles from all its slides are averaged), so the inner splits are
patient-grouped by construction. Everything is deterministic.
"""

from __future__ import annotations

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from benchmarks.errors import TierError
from benchmarks.slide.probes._registry import ProbeInput, ProbeOutput, register_probe

__all__ = ["fit_predict_linear", "pooled"]

_MAX_COX_TRIES = 3


def pooled(bags: list[np.ndarray]) -> np.ndarray:
    """Mean of each bag's tiles (patients x dim, float64)."""
    return np.stack([b.astype(np.float64).mean(0) for b in bags])


def _project(train: np.ndarray, test: np.ndarray, components: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(train)
    z_train, z_test = scaler.transform(train), scaler.transform(test)
    k = max(1, min(components, train.shape[0] - 1, train.shape[1]))
    pca = PCA(n_components=k, random_state=seed).fit(z_train)
    return pca.transform(z_train), pca.transform(z_test)


def _classify(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray, data: ProbeInput) -> ProbeOutput:
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import StratifiedKFold

    y = y.astype(int)
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        return ProbeOutput(np.full(len(x_test), float(classes[0]) if classes.size else 0.5), notes={"constant": 1.0})
    settings = data.settings.linear
    folds = min(settings.inner_folds, int(counts.min()))
    if folds < 2:
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(x_train, y)
        return ProbeOutput(model.predict_proba(x_test)[:, 1], notes={"C": 1.0})
    cv = StratifiedKFold(folds, shuffle=True, random_state=data.seed)
    model = LogisticRegressionCV(
        Cs=list(settings.c_grid), cv=cv, scoring="roc_auc", class_weight="balanced", max_iter=5000
    ).fit(x_train, y)
    return ProbeOutput(model.predict_proba(x_test)[:, 1], notes={"C": float(model.C_[0])})


def _regress(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray, data: ProbeInput) -> ProbeOutput:
    from sklearn.linear_model import RidgeCV

    model = RidgeCV(alphas=list(data.settings.linear.alphas), alpha_per_target=True).fit(x_train, y)
    alphas = np.atleast_1d(model.alpha_)
    return ProbeOutput(
        np.asarray(model.predict(x_test)).reshape(len(x_test), -1), notes={"alpha_median": float(np.median(alphas))}
    )


def _cox(x_train: np.ndarray, y: np.ndarray, x_test: np.ndarray, data: ProbeInput) -> ProbeOutput:
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
            return ProbeOutput(np.asarray(risk, dtype=np.float64), notes={"penalizer": penalizer})
        except ConvergenceError:
            penalizer = max(penalizer * 10, 0.1)
    msg = (
        f"the Cox model did not converge on {len(frame)} training patients ({int(frame['event'].sum())} events) "
        f"even with penalizer {penalizer / 10:g}; the fold has too few events: use fewer folds"
    )
    raise TierError(msg)


@register_probe("mean-linear", "mean-pooled tiles -> standardise -> PCA -> logistic / ridge / penalised Cox")
def fit_predict_linear(data: ProbeInput) -> ProbeOutput:
    """Fit the linear probe of the task's kind on the training patients; predict the test patients."""
    train, test = pooled(data.train), pooled(data.test)
    settings = data.settings.linear
    x_train, x_test = _project(train, test, settings.pca_components, data.seed)
    fit = {"classification": _classify, "regression": _regress, "survival": _cox}[data.kind]
    # one BLAS thread: tens of patients fit faster alone (0.1 s vs 0.9 s on 2 shared cores); scikit-learn's
    # announcements of its next API (FutureWarning on every fit) are not the user's business
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        out = fit(x_train, np.asarray(data.y_train, dtype=np.float64), x_test, data)
    return ProbeOutput(out.predictions, per_seed=[out.predictions], notes=out.notes)
