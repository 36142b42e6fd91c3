"""Shared engine of tiers 2 and 3: probes over patient folds, out-of-fold predictions, metrics with patient CIs.

For every probe of the task and every target block (the label; for slide activity also its matched random sets),
each fold's probe is fitted on the training patients' bags and predicts the test patients; the pooled out-of-fold
predictions are scored (:mod:`benchmarks.slide.metrics`) with a 95% interval by bootstrap over patients. A
slide-activity label block also gets ``gap_vs_random``: its mean Pearson minus the random sets', bootstrapped on the
same resamples (the specific molecular signal, as in tier 1).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from benchmarks.schema import Metric, OutcomeScore, finite
from benchmarks.slide.data import SlideData
from benchmarks.slide.metrics import (
    MIN_BOOTSTRAP_PATIENTS,
    Interval,
    metric_function,
    patient_bootstrap,
    resample_indices,
)
from benchmarks.slide.predictions import OutcomePredictions
from benchmarks.slide.probes import ProbeInput, ProbeOutput, get_probe
from benchmarks.slide.task import SlideTask
from benchmarks.slide.tiles import TilePlaces
from benchmarks.splits import Fold
from benchmarks.stats import pearson_columns

__all__ = ["METRICS", "OutcomeRun", "block_target", "evaluate_outcomes", "fold_workers", "score_predictions"]

# kind -> (primary metric, other metrics)
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "classification": ("auroc", ("balanced_accuracy",)),
    "regression": ("pearson", ()),
    "survival": ("c_index", ()),
}
Progress = Callable[[int], None]


@dataclass
class OutcomeRun:
    """One encoder's scores on one task and the predictions behind them."""

    scores: list[OutcomeScore]
    predictions: OutcomePredictions


def _metric(interval: Interval, n: int) -> Metric:
    kind = "patient_bootstrap" if interval.kind == "patient_bootstrap" else "none"
    return Metric(
        mean=finite(interval.value), ci_low=finite(interval.low), ci_high=finite(interval.high), n_patients=n,
        interval=kind,
    )  # fmt: skip


def _counts(kind: str, y: np.ndarray) -> dict[str, int]:
    from benchmarks.slide.metrics import comparable_pairs

    if kind == "classification":
        return {"n_positive": int((y == 1).sum()), "n_negative": int((y == 0).sum())}
    if kind == "survival":
        return {"n_events": int(y[:, 1].sum()), "n_comparable_pairs": comparable_pairs(y[:, 0], y[:, 1])}
    return {"n_targets": int(y.shape[1])}


def _fit_one(probe_name: str, data: ProbeInput) -> ProbeOutput:
    return get_probe(probe_name).fit_predict(data)


def fold_workers(n_folds: int, device: str) -> int:
    """Return how many processes fit a task's folds: one per CPU core on CPU (at most one per fold), else one."""
    return min(n_folds, os.cpu_count() or 1) if device == "cpu" else 1


def _fit_folds(probe_name: str, inputs: list[ProbeInput], device: str) -> list[ProbeOutput]:
    """Fit the folds' probes, in parallel processes on CPU (each fold is independent and seeded: same numbers)."""
    workers = fold_workers(len(inputs), device)
    if workers <= 1:
        return [_fit_one(probe_name, data) for data in inputs]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=workers)(delayed(_fit_one)(probe_name, data) for data in inputs))


def _blocks(data: SlideData) -> list[tuple[str, np.ndarray, list[str]]]:
    blocks = [("label", data.y, list(data.target_names))]
    if data.control is not None:
        blocks.insert(0, ("control", data.control, list(data.control_names)))
    return blocks


def evaluate_outcomes(
    bags: list[np.ndarray], data: SlideData, *, device: str = "cpu", progress: Progress | None = None,
    places: list[TilePlaces] | None = None,
) -> OutcomeRun:  # fmt: skip
    """Score one encoder's bags (one per patient, as ``data.patients``) on the task; see the module docstring.

    With ``places`` (where each bag's tiles are, as :func:`~benchmarks.slide.data.load_bags` gives them) the
    predictions also keep every probe's per-tile scores of the label block for the tested patients.
    """
    task = data.task
    tested = np.unique(np.concatenate([f.test for f in data.folds])) if data.folds else np.zeros(0, np.int64)
    fold_name = np.full(len(data.patients), "", dtype=object)
    for fold in data.folds:
        fold_name[fold.test] = fold.name
    measured: dict[str, np.ndarray] = {}
    predicted: dict[tuple[str, str], np.ndarray] = {}
    per_seed: dict[tuple[str, str], list[np.ndarray]] = {}
    targets: dict[str, list[str]] = {}
    tile_scores: dict[str, list[np.ndarray]] = {}
    for probe_name in task.probes.use:
        get_probe(probe_name)  # an unknown probe fails before any fit
        for block, y, names in _blocks(data):
            y_all = np.asarray(y, dtype=np.float64)
            width = 1 if y_all.ndim == 1 else (1 if task.kind == "survival" else y_all.shape[1])
            oof = np.full((len(data.patients), width), np.nan)
            seeds: list[np.ndarray] = []
            tiles: list[np.ndarray] = [np.zeros((0, 1))] * len(data.patients)
            inputs = [
                ProbeInput(
                    task.kind, [bags[i] for i in fold.train], y_all[fold.train], [bags[i] for i in fold.test],
                    task.probes, seed=task.seed, device=device,
                )
                for fold in data.folds
            ]  # fmt: skip
            for fold, out in zip(data.folds, _fit_folds(probe_name, inputs, device), strict=True):
                oof[fold.test] = out.predictions.reshape(len(fold.test), -1)
                for k, seed_pred in enumerate(out.per_seed):
                    if len(seeds) <= k:
                        seeds.append(np.full_like(oof, np.nan))
                    seeds[k][fold.test] = seed_pred.reshape(len(fold.test), -1)
                for i, scores in zip(fold.test, out.tile_scores, strict=False):
                    tiles[i] = np.asarray(scores, dtype=np.float64).reshape(len(bags[i]), -1)
                if progress is not None:
                    progress(1)
            if task.kind == "regression":
                for values in (oof, *seeds):
                    _centre_folds(values, data.folds)
            measured[block] = y_all[tested].reshape(tested.size, -1)
            targets[block] = names
            predicted[(probe_name, block)] = oof[tested]
            per_seed[(probe_name, block)] = [s[tested] for s in seeds]
            if block == "label" and places is not None and all(len(tiles[i]) == len(bags[i]) for i in tested):
                tile_scores[probe_name] = [tiles[i] for i in tested]
    predictions = OutcomePredictions(
        kind=task.kind, patients=np.asarray([data.patients[i] for i in tested], dtype=object),
        folds=fold_name[tested], targets=targets, measured=measured, predicted=predicted,
        tiles=[places[i] for i in tested] if places is not None and tile_scores else None, tile_scores=tile_scores,
        tile_what={p: get_probe(p).tile_score for p in tile_scores},
    )  # fmt: skip
    return OutcomeRun(score_predictions(task, predictions, per_seed=per_seed), predictions)


def score_predictions(
    task: SlideTask, predictions: OutcomePredictions, *, per_seed: dict[tuple[str, str], list[np.ndarray]] | None = None
) -> list[OutcomeScore]:
    """Score out-of-fold predictions: every probe's blocks, metrics with patient-bootstrap intervals, counts, gaps.

    What :func:`evaluate_outcomes` reports, from the predictions alone (``per_seed``: each seed's predictions of a
    (probe, block), for the per-seed values), so results made from hand-made predictions are scored the same way.
    """
    primary, others = METRICS[task.kind]
    n = predictions.n_patients
    resamples = resample_indices(n, n_boot=task.bootstrap, seed=task.seed)
    probes = list(dict.fromkeys(p for p, _ in predictions.predicted))
    blocks = [b for b in ("control", "label") if b in predictions.measured]
    scores: list[OutcomeScore] = []
    for probe_name in probes:
        control_values: np.ndarray | None = None
        for block in blocks:
            y_t, pred = (
                _columns(task.kind, predictions.measured[block]),
                _columns(task.kind, predictions.predicted[(probe_name, block)]),
            )
            metrics = {}
            for name in (primary, *others):
                interval, _ = patient_bootstrap(metric_function(name, y_t, pred), n, n_boot=task.bootstrap,
                                                seed=task.seed)  # fmt: skip
                metrics[name] = _metric(interval, n)
            if block == "control":
                control_values = pred
            elif control_values is not None:
                control_y = _columns(task.kind, predictions.measured["control"])
                metrics["gap_vs_random"] = _gap(y_t, pred, control_y, control_values, resamples, n)
            seed_values = (per_seed or {}).get((probe_name, block), [])
            every = np.arange(n)
            seed_scores = {
                primary: [finite(metric_function(primary, y_t, _columns(task.kind, s))(every)) for s in seed_values]
            }
            names = predictions.targets[block]
            per_target = (
                {t: finite(r) for t, r in zip(names, pearson_columns(y_t, pred), strict=True)}
                if task.kind == "regression"
                else {}
            )
            label_names = predictions.targets["label"]
            scores.append(
                OutcomeScore(
                    target=block_target(task, block, label_names), block=block,
                    control_of=block_target(task, "label", label_names) if block == "control" else "",
                    kind=task.kind, probe=probe_name, primary=primary, metrics=metrics,
                    interval=metrics[primary].interval, counts=_counts(task.kind, y_t), per_target=per_target,
                    per_seed=seed_scores,
                )
            )  # fmt: skip
    return scores


def _columns(kind: str, values: np.ndarray) -> np.ndarray:
    """Labels or predictions as the metrics take them: one column (classification, risk), all (regression, survival)."""
    values = np.asarray(values, dtype=np.float64)
    if kind == "classification" or (kind == "survival" and values.shape[1] == 1):
        return values[:, 0]
    return values


def _centre_folds(values: np.ndarray, folds: list[Fold]) -> None:
    """Give every fold's regression predictions the same mean (in place), so pooling them is fair.

    A fold's intercept is its training patients' label mean, which is low exactly when its test patients' labels are
    high: pooled across folds, predictions that know nothing correlate negatively with the labels (r about
    ``-1/sqrt(fold size)`` under shuffled labels). Shifting each fold's predictions to the pooled mean removes that
    artefact and keeps everything the probe learnt within the fold; it uses no label.
    """
    tested = [f.test for f in folds if len(f.test)]
    pooled = np.nanmean(values[np.concatenate(tested)], axis=0) if tested else None
    for test in tested:
        values[test] += pooled - np.nanmean(values[test], axis=0)


def block_target(task: SlideTask, block: str, label_names: list[str]) -> str:
    """Return a block's score name: the label column (classification), the table (regression), or the endpoint."""
    if block == "control" and task.label.control is not None:
        return task.label.control
    if task.kind == "classification":
        return label_names[0]
    return task.label.table


def _gap(
    y: np.ndarray, pred: np.ndarray, control_y: np.ndarray, control_pred: np.ndarray, resamples: np.ndarray, n: int
) -> Metric:
    real = metric_function("pearson", y, pred)
    ctrl = metric_function("pearson", control_y, control_pred)
    value = real(np.arange(n)) - ctrl(np.arange(n))
    diffs = (
        np.array([real(i) - ctrl(i) for i in resamples])
        if len(resamples) and n >= MIN_BOOTSTRAP_PATIENTS
        else np.zeros(0)
    )
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size < 10:
        return Metric(mean=finite(value), ci_low=None, ci_high=None, n_patients=n, interval="none")
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return Metric(mean=finite(value), ci_low=finite(lo), ci_high=finite(hi), n_patients=n, interval="patient_bootstrap")
