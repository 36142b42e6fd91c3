"""The tier-1 linear probe and its per-patient scoring, shared by the ``spot`` and ``spot_hest`` protocols.

Per outer fold: standardise -> PCA, both fitted on the fold's training spots only; ridge per target block
(alpha fixed, or chosen per target by patient-grouped inner CV on the training spots); Pearson per target
on every test patient's spots (pooled over its slides, and per slide), averaged over targets. Every fit
records the rows it saw in a :class:`FitTrace`, which the leakage test inspects.

The numerical probe (Pearson, standardise + PCA, ridge with per-target penalties by grouped inner CV) lives in
:mod:`stamp.probe`, shared with the validation inside ``stamp fit``; this module holds the benchmark's
bookkeeping around it (target blocks, fit traces, per-patient and per-slide scoring).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from benchmarks.splits import Fold
from stamp.probe import pearson_columns, predict_per_alpha, ridge_fixed, ridge_inner_cv, standardise_pca

__all__ = [
    "BlockOutcome",
    "FitTrace",
    "PatientSpots",
    "TargetBlock",
    "embed_fold",
    "predict_per_alpha",
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
    penalty: str = ""  # how the ridge penalties were chosen (patients, slides, spatial blocks or fixed)
    # out-of-fold predictions, one entry per fold: (fold name, test rows, target columns, predictions rows x columns)
    oof: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)


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
    if trace is not None:
        trace.record(fold.name, "scaler", fold.train)
        trace.record(fold.name, "pca", fold.train)
    return standardise_pca(x, fold.train, n_components, seed=seed)


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
