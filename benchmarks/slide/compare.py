"""Tiers 2-3 in ``stamp-bench compare``: paired bootstrap over patients of B - A for every probe's metric.

AUROC and the C-index are not means over patients, so the per-patient values of a tier-1 comparison do not
exist here: both encoders' out-of-fold predictions (the ``.outcomes.parquet`` beside each result) are rescored
on the same patient resamples and the difference is taken per resample (a paired bootstrap). With fewer shared
patients than :data:`benchmarks.stats.MIN_BOOTSTRAP_PATIENTS` no interval is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.comparison import PairedDifference, require_same_split
from benchmarks.errors import ResultError
from benchmarks.schema import Result
from benchmarks.slide.metrics import metric_function, resample_indices
from benchmarks.slide.predictions import OutcomePredictions, read_outcome_predictions
from benchmarks.stats import MIN_BOOTSTRAP_PATIENTS

__all__ = ["OutcomeComparison", "compare_outcomes", "outcome_predictions_of"]


@dataclass(frozen=True, kw_only=True)
class OutcomeComparison(PairedDifference):
    """One probe's primary metric for A and B on the shared patients, B - A and its paired 95% interval and p."""

    probe: str
    metric: str  # the task's primary metric (AUROC, C-index, Pearson)
    a: float
    b: float
    block: str = "label"  # the label, or (slide activity) its matched random sets


def outcome_predictions_of(result: Result, folder: Path) -> OutcomePredictions:
    """Read the out-of-fold predictions a tier-2/3 result references (checked against its sha256).

    Raises
    ------
    ResultError
        The result keeps no predictions, or the file is missing or edited.
    """
    if result.predictions is None:
        msg = f"{result.embedding_key} on {result.task.name!r} keeps no predictions; rerun `stamp-bench run`"
        raise ResultError(msg, path=folder)
    return read_outcome_predictions(Path(folder) / result.predictions.file, sha256=result.predictions.sha256)


def compare_outcomes(
    a: Result, b: Result, a_folder: Path, b_folder: Path, *, n_boot: int = 2000, seed: int = 0,
    blocks: tuple[str, ...] = ("label",),
) -> list[OutcomeComparison]:  # fmt: skip
    """Paired bootstrap of B - A over the shared patients, for every probe both tier-2/3 results scored.

    ``blocks``: which target blocks (``label``; ``control``, the matched random sets of a slide-activity task).

    Raises
    ------
    ResultError
        Different splits, or a predictions file is missing or edited.
    """
    require_same_split(a, b, "cohort")
    pa, pb = outcome_predictions_of(a, a_folder), outcome_predictions_of(b, b_folder)
    shared = sorted(set(pa.patients.tolist()) & set(pb.patients.tolist()))
    ia = {p: i for i, p in enumerate(pa.patients.tolist())}
    ib = {p: i for i, p in enumerate(pb.patients.tolist())}
    rows_a = np.asarray([ia[p] for p in shared], dtype=np.int64)
    rows_b = np.asarray([ib[p] for p in shared], dtype=np.int64)
    n = len(shared)
    resamples = resample_indices(n, n_boot=n_boot, seed=seed) if n >= MIN_BOOTSTRAP_PATIENTS else np.zeros((0, n))
    scores_b = {(s.probe, s.block): s for s in b.outcomes}
    out = []
    for score in (s for s in a.outcomes if s.block in blocks and (s.probe, s.block) in scores_b):
        key = (score.probe, score.block)
        if key not in pa.predicted or key not in pb.predicted:
            continue
        y = _labels(pa, score.block, rows_a)
        fa = metric_function(score.primary, y, _column(pa.predicted[key][rows_a], pa.kind))
        fb = metric_function(score.primary, y, _column(pb.predicted[key][rows_b], pb.kind))
        every = np.arange(n)
        va, vb = fa(every), fb(every)
        diffs = np.array([fb(i) - fa(i) for i in resamples.astype(np.int64)], dtype=np.float64)
        diffs = diffs[np.isfinite(diffs)]
        if diffs.size >= max(10, n_boot // 10):
            lo, hi = (float(x) for x in np.percentile(diffs, [2.5, 97.5]))
            p = min(1.0, max(2 * min((diffs <= 0).mean(), (diffs >= 0).mean()), 1 / diffs.size))
        else:
            lo = hi = p = float("nan")
        out.append(
            OutcomeComparison(
                task=a.task.name,
                probe=score.probe,
                target=score.target,
                metric=score.primary,
                a=float(va),
                b=float(vb),
                diff=float(vb - va),
                ci_low=lo,
                ci_high=hi,
                p=float(p),
                n_patients=n,
                block=score.block,
            )
        )
    return out


def _labels(predictions: OutcomePredictions, block: str, rows: np.ndarray) -> np.ndarray:
    y = predictions.measured[block][rows]
    if predictions.kind == "classification":
        return y[:, 0]
    return y


def _column(predicted: np.ndarray, kind: str) -> np.ndarray:
    return predicted if kind == "regression" else predicted[:, 0]
