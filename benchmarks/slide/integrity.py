"""Integrity of a tier-2/3 results file: metrics recomputed from its predictions, or reproduced from slide features.

AUROC and the C-index are not means of per-patient values, so the tier-1 checks do not apply. Instead every
probe's metrics are recomputed from the out-of-fold predictions kept beside the result (``.outcomes.parquet``,
pinned by its sha256), the counts (positives, events, comparable pairs) from its labels, and each interval must
contain its estimate and be of the kind its number of patients allows. A file that passes is *self-reported*;
it is *verified* when the evaluator scores its own cached slide features of the entry on the cohort (``--cohort``
and ``--features``) and gets the same numbers.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.errors import BenchmarkError
from benchmarks.schema import Result
from benchmarks.slide.metrics import comparable_pairs, metric_function
from benchmarks.spot.integrity import TOLERANCE
from benchmarks.stats import MIN_BOOTSTRAP_PATIENTS

if TYPE_CHECKING:
    from benchmarks.slide.task import SlideTask

__all__ = ["outcome_problems", "reproduce_outcomes"]


def _differs(found: float | None, expected: float) -> bool:
    if found is None or not math.isfinite(found):
        return math.isfinite(expected)
    return not math.isfinite(expected) or abs(found - expected) > TOLERANCE


def outcome_problems(result: Result, folder: Path, task: SlideTask) -> list[str]:
    """Every way a tier-2/3 result disagrees with its own predictions and the task (empty when consistent)."""
    from benchmarks.slide.compare import outcome_predictions_of

    problems = []
    if not result.outcomes:
        return ["a tier-2/3 result without scores (outcomes is empty)"]
    wanted_probes = set(task.probes.use)
    found_probes = {s.probe for s in result.outcomes}
    if found_probes != wanted_probes:
        problems.append(f"probes {sorted(found_probes)} but the task runs {sorted(wanted_probes)}")
    try:
        predictions = outcome_predictions_of(result, folder)
    except BenchmarkError as exc:
        return [*problems, f"its predictions cannot be read to recompute the metrics ({exc})"]
    n = predictions.n_patients
    if sorted(predictions.patients.tolist()) != sorted(result.task.patients):
        problems.append("the predictions' patients are not the result's task patients")
    for score in result.outcomes:
        where = f"{score.probe}/{score.block}"
        key = (score.probe, score.block)
        if key not in predictions.predicted:
            problems.append(f"{where}: no predictions for this probe and block")
            continue
        y = predictions.measured[score.block]
        y = y[:, 0] if predictions.kind == "classification" else y
        predicted = predictions.predicted[key]
        predicted = predicted if predictions.kind == "regression" else predicted[:, 0]
        for name, metric in score.metrics.items():
            if name == "gap_vs_random":
                continue
            value = metric_function(name, y, predicted)(np.arange(n))
            if _differs(metric.mean, float(value)):
                problems.append(f"{where} {name}: {metric.mean} but its predictions give {value:.6g}")
            problems += _interval_problems(f"{where} {name}", metric.mean, metric.ci_low, metric.ci_high, n)
            if metric.interval not in ("patient_bootstrap", "none") or (
                metric.interval == "patient_bootstrap" and n < MIN_BOOTSTRAP_PATIENTS
            ):
                problems.append(f"{where} {name}: a {metric.interval} interval over {n} patient(s)")
        problems += _count_problems(where, score.counts, predictions.kind, y)
    return problems


def _interval_problems(where: str, mean: float | None, lo: float | None, hi: float | None, n: int) -> list[str]:
    if lo is None and hi is None:
        return []
    if lo is None or hi is None or mean is None or not lo - TOLERANCE <= mean <= hi + TOLERANCE:
        return [f"{where}: interval [{lo}, {hi}] does not contain {mean}"]
    return []


def _count_problems(where: str, counts: dict[str, int], kind: str, y: np.ndarray) -> list[str]:
    if kind == "classification":
        expected = {"n_positive": int((y == 1).sum()), "n_negative": int((y == 0).sum())}
    elif kind == "survival":
        expected = {"n_events": int(y[:, 1].sum()), "n_comparable_pairs": comparable_pairs(y[:, 0], y[:, 1])}
    else:
        expected = {"n_targets": int(y.shape[1])}
    return [f"{where}: {k} {counts.get(k)} but the labels give {v}" for k, v in expected.items() if counts.get(k) != v]


def reproduce_outcomes(result: Result, cohort: Path, features: Path, task: SlideTask) -> tuple[Result | None, str]:
    """Score the evaluator's cached slide features of the entry on the cohort; return (result, how) or (None, why).

    The feature folder is ``features/<tiling>/<embedding_key>`` (``stamp embed-slides`` layout); its content hash
    must equal the result's ``embeddings_hash`` and every metric must agree within 1e-6.
    """
    from benchmarks.slide.runner import evaluate_slide_features, prepare

    folders = sorted(p for p in Path(features).glob(f"*/{result.embedding_key}") if p.is_dir())
    if not folders:
        return None, f"no cached slide features of {result.embedding_key} under '{features}' to reproduce it from"
    try:
        prepared = prepare(cohort, task)
        if prepared.data.split_hash != result.task.split_hash:
            return None, "the cohort's split here differs from the result's"
        for folder in folders:
            mine, _ = evaluate_slide_features(prepared, folder, kind=result.kind)
            if mine.embeddings_hash == result.embeddings_hash:
                break
        else:
            return None, f"the cached slide features under '{features}' are not the ones the result was computed from"
    except BenchmarkError as exc:
        return None, f"reproducing it failed ({exc})"
    theirs = {(s.probe, s.block): s for s in result.outcomes}
    for score in mine.outcomes:
        other = theirs.get((score.probe, score.block))
        if other is None:
            return None, f"the evaluator's run has probe {score.probe} ({score.block}), the result does not"
        for name, metric in score.metrics.items():
            claimed = other.metrics.get(name)
            if claimed is None or _differs(claimed.mean, float("nan") if metric.mean is None else metric.mean):
                return None, f"{score.probe}/{score.block} {name}: the evaluator's value differs from the result's"
    mine = mine.model_copy(update={"submitted_by": result.submitted_by})
    return mine, f"reproduced by the evaluator from its cached slide features ({result.embedding_key})"
