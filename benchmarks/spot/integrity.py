"""Integrity of a results file: its summaries are recomputed, its counts checked, its numbers reproduced.

A result's digest is unkeyed (anyone can recompute it), so it proves nothing about who made the numbers. The
evaluator trusts no summary: every mean is recomputed from the per-patient values, every per-patient value
from its per-target values, every gap from its two blocks; each interval must contain its estimate and be of
the kind the task prescribes for that many patients; the patients and counts must be those of the task's
split (recomputed from the atlas when the evaluator has it). A file that passes is *self-reported*. It is
*verified* only when the evaluator reproduces it from embeddings in its own cache (or scored the submitted
embeddings itself).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.schema import Float, Metric, Result

if TYPE_CHECKING:
    from benchmarks.spot.runner import PreparedTask
    from benchmarks.spot.task import Task

__all__ = ["consistency_problems", "reproduce", "split_problems"]

TOLERANCE = 1e-6  # absolute, on Pearson r (JSON floats round-trip exactly; this covers summation order)


def _mean(values: list[Float]) -> float:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return sum(finite) / len(finite) if finite else float("nan")


def _differs(found: Float, expected: float) -> bool:
    if found is None or not math.isfinite(found):
        return math.isfinite(expected)
    return not math.isfinite(expected) or abs(found - expected) > TOLERANCE


def _metric_problems(where: str, metric: Metric, values: dict[str, Float], min_patients: int) -> list[str]:
    problems = []
    expected = _mean(list(values.values()))
    n = sum(1 for v in values.values() if v is not None and math.isfinite(v))
    if _differs(metric.mean, expected):
        problems.append(
            f"{where}: mean {metric.mean} is not the mean of its {len(values)} per-patient values ({expected:.6g})"
        )
    if metric.n_patients != n:
        problems.append(f"{where}: n_patients {metric.n_patients} but {n} patient(s) have a value")
    lo, hi, mean = metric.ci_low, metric.ci_high, metric.mean
    if metric.interval == "none":
        if lo is not None or hi is not None:
            problems.append(f"{where}: an interval of kind 'none' carries bounds")
    elif lo is None or hi is None or mean is None or not lo - TOLERANCE <= mean <= hi + TOLERANCE:
        problems.append(f"{where}: interval [{lo}, {hi}] does not contain the mean {mean}")
    wanted = "patient_bootstrap" if n >= min_patients else "spatial_block_bootstrap"
    if metric.interval not in (wanted, "none"):
        problems.append(f"{where}: a {metric.interval} interval with {n} patient(s); the task prescribes {wanted}")
    return problems


def consistency_problems(result: Result) -> list[str]:
    """Every way the result's summaries disagree with the values they summarise (empty when consistent)."""
    problems: list[str] = []
    min_patients = result.intervals.min_patients
    patients = set(result.task.patients)
    blocks = {b.name: b for b in result.blocks}
    for block in result.blocks:
        where = f"block {block.name}"
        if set(block.per_patient) != set(block.per_patient_target):
            problems.append(f"{where}: per_patient and per_patient_target name different patients")
        if not set(block.per_patient) <= patients:
            problems.append(f"{where}: patients {sorted(set(block.per_patient) - patients)} are not in the task")
        for patient, targets in block.per_patient_target.items():
            if _differs(block.per_patient.get(patient), _mean(list(targets.values()))):
                problems.append(f"{where}: patient {patient}'s value is not the mean of its per-target r")
        per_target: dict[str, list[Float]] = {}
        for targets in block.per_patient_target.values():
            for target, r in targets.items():
                per_target.setdefault(target, []).append(r)
        if set(per_target) != set(block.per_target):
            problems.append(f"{where}: per_target names other targets than per_patient_target")
        bad = [t for t, rs in per_target.items() if _differs(block.per_target.get(t), _mean(rs))]
        if bad:
            problems.append(f"{where}: per_target of {len(bad)} target(s) (e.g. {bad[0]}) is not their patient mean")
        widest = max((len(v) for v in block.per_patient_target.values()), default=0)
        if block.n_targets != widest:
            problems.append(f"{where}: n_targets {block.n_targets} but {widest} per-target values")
        problems += _metric_problems(f"{where} pearson", block.pearson, block.per_patient, min_patients)
        problems += _metric_problems(
            f"{where} pearson_slide", block.pearson_slide, block.per_patient_slide, min_patients
        )
    for gap in result.gaps:
        where = f"gap {gap.pathways} - {gap.control}"
        real, control = blocks.get(gap.pathways), blocks.get(gap.control)
        if real is None or control is None:
            problems.append(f"{where}: names a block the result does not have")
            continue
        for patient, value in gap.per_patient.items():
            a, b = real.per_patient.get(patient), control.per_patient.get(patient)
            expected = a - b if a is not None and b is not None else float("nan")
            if _differs(value, expected):
                problems.append(f"{where}: patient {patient}'s gap is not the difference of the two blocks")
        problems += _metric_problems(f"{where}", gap.gap, gap.per_patient, min_patients)
    kinds = {m.interval for b in result.blocks for m in (b.pearson, b.pearson_slide)} - {"none"}
    if kinds and kinds != {result.intervals.kind}:
        problems.append(f"intervals.kind {result.intervals.kind} but the metrics carry {sorted(kinds)}")
    return problems


def split_problems(result: Result, task: Task, prepared: PreparedTask | None) -> list[str]:
    """Where the result's task facts differ from the task file and, with an atlas, from the split recomputed here."""
    problems = []
    if result.intervals.min_patients != task.intervals.min_patients:
        problems.append(
            f"intervals.min_patients {result.intervals.min_patients} but the task says {task.intervals.min_patients}"
        )
    if prepared is None:
        return problems
    ref, data = result.task, prepared.data
    facts = [
        ("split_hash", ref.split_hash, prepared.split_hash),
        ("atlas_hash", ref.atlas_hash, prepared.atlas_hash),
        ("n_spots", ref.n_spots, data.n_spots),
        ("n_samples", ref.n_samples, len(set(data.sample_ids.tolist()))),
        ("patients", sorted(ref.patients), sorted(set(data.patient_ids.tolist()))),
    ]
    problems += [f"task.{k} is {found!r}, the split here gives {want!r}" for k, found, want in facts if found != want]
    held_out = sorted({p for fold in prepared.folds for p in fold.test_patients})
    for block in result.blocks:
        if sorted(block.per_patient) != held_out:
            problems.append(
                f"block {block.name} scores patients {sorted(block.per_patient)}, the split holds out {held_out}"
            )
    return problems


def reproduce(result: Result, prepared: PreparedTask, cache_root: Path) -> tuple[Result | None, str]:
    """Score the evaluator's cached embeddings of the result's entry and compare; return (result, how) or (None, why).

    The cache folder is ``cache_root/<embedding_key>`` (``stamp embed`` / ``stamp-bench run`` layout); its
    content hash must equal the result's ``embeddings_hash``, and every per-patient and per-target value must
    agree within 1e-6.
    """
    from benchmarks.cache import embeddings_hash
    from benchmarks.errors import BenchmarkError
    from benchmarks.spot.runner import evaluate_cache

    folder = Path(cache_root) / result.embedding_key
    if not folder.is_dir():
        return None, f"no cached embeddings at '{folder}' to reproduce it from"
    samples = sorted(set(prepared.data.sample_ids.tolist()))
    try:
        found = embeddings_hash(folder, samples)
        if found != result.embeddings_hash:
            return None, f"the cached embeddings at '{folder}' are not the ones the result was computed from"
        mine, _ = evaluate_cache(prepared, folder, kind=result.kind, submitted_by=result.submitted_by)
    except BenchmarkError as exc:
        return None, f"reproducing it failed ({exc})"
    theirs = {b.name: b for b in result.blocks}
    for block in mine.blocks:
        other = theirs.get(block.name)
        if other is None:
            return None, f"the evaluator's run has block {block.name}, the result does not"
        for patient, targets in block.per_patient_target.items():
            claimed = other.per_patient_target.get(patient, {})
            if set(claimed) != set(targets) or any(
                _differs(claimed[t], float("nan") if v is None else v) for t, v in targets.items()
            ):
                return None, f"block {block.name}, patient {patient}: the evaluator's values differ from the result's"
    mine = mine.model_copy(update={"submitted_by": result.submitted_by})
    return mine, f"reproduced by the evaluator from its cached embeddings ({result.embedding_key})"
