"""Compare two result sets side by side: per block, both means with CIs and the paired difference B - A.

With at least ``min_patients`` shared patients (the task's, 5 by default) the difference gets a paired
bootstrap over patients (CI and p). With fewer, a bootstrap over patients measures nothing: the rows list
the per-patient differences only, and say that no population claim is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.comparison import PairedDifference, require_same_split
from benchmarks.errors import ResultError
from benchmarks.schema import Metric, Result, read_result
from benchmarks.stats import paired_bootstrap

__all__ = ["ComparisonRow", "compare_results", "pick_model_results"]


@dataclass(frozen=True, kw_only=True)
class ComparisonRow(PairedDifference):
    """One block (or gap) of one task: A and B with CIs, and the paired difference B - A over patients."""

    protocol: str
    a: Metric
    b: Metric
    kind: str = "pathways"  # the block's kind (pathways, random, genes) or ``gap`` (pathways minus random sets)
    control_of: str = ""  # random block: the pathway block it controls; gap: the pathway block it is the gap of
    population: bool = True  # False: fewer than min_patients shared patients, per-patient differences only
    min_patients: int = 5
    per_patient: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # patient -> (A, B, B - A)


def pick_model_results(path: Path) -> dict[tuple[str, str], Result]:
    """Read a result file, or a folder's model (non-baseline) results, keyed by (task, protocol).

    Raises
    ------
    ResultError
        Nothing to compare, or a folder holds several model results for one task (pass files instead).
    """
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.glob("*.json"))
    results = [read_result(f) for f in files]
    if path.is_dir():
        results = [r for r in results if r.kind == "model"]
    out: dict[tuple[str, str], Result] = {}
    for result in results:
        key = (result.task.name, result.task.protocol)
        if key in out:
            msg = (
                f"several model results for task {key[0]!r} ({key[1]}): {out[key].embedding_key}, "
                f"{result.embedding_key}; pass the two result files to compare instead of folders"
            )
            raise ResultError(msg, path=path)
        out[key] = result
    if not out:
        msg = "no model results to compare (baselines are skipped in folders; pass a file to compare one)"
        raise ResultError(msg, path=path)
    return out


def compare_results(a: Result, b: Result, *, n_boot: int = 2000, seed: int = 0) -> list[ComparisonRow]:
    """Paired difference over the shared patients of every block and gap that both results have.

    With fewer shared patients than the tasks' ``min_patients`` no bootstrap is made: ``ci_low``, ``ci_high``
    and ``p`` are NaN, ``population`` is False and ``per_patient`` holds each patient's A, B and B - A.

    Raises
    ------
    ResultError
        The two results were computed on different splits (their split hashes differ).
    """
    require_same_split(a, b, "atlas")
    pairs: list[tuple[str, str, str, Metric, Metric, dict[str, float | None], dict[str, float | None]]] = []
    b_blocks = {x.name: x for x in b.blocks}
    for block in a.blocks:
        other = b_blocks.get(block.name)
        if other is not None:
            pairs.append(
                (block.name, block.kind, block.control_of, block.pearson, other.pearson, block.per_patient,
                 other.per_patient)
            )  # fmt: skip
    b_gaps = {g.pathways: g for g in b.gaps}
    for gap in a.gaps:
        other_gap = b_gaps.get(gap.pathways)
        if other_gap is not None:
            name = f"gap {gap.pathways} - {gap.control}"
            pairs.append((name, "gap", gap.pathways, gap.gap, other_gap.gap, gap.per_patient, other_gap.per_patient))
    rows = []
    min_patients = max(a.intervals.min_patients, b.intervals.min_patients)
    for name, kind, of, ma, mb, pa, pb in pairs:
        patients = sorted(set(pa) & set(pb))
        va = [float("nan") if (v := pa[p]) is None else v for p in patients]
        vb = [float("nan") if (v := pb[p]) is None else v for p in patients]
        per_patient = {
            p: (x, y, y - x) for p, x, y in zip(patients, va, vb, strict=True) if np.isfinite(x) and np.isfinite(y)
        }
        population = len(per_patient) >= min_patients
        if population:
            test = paired_bootstrap(vb, va, n_boot=n_boot, seed=seed)
            stats = {"diff": test["diff"], "ci_low": test["ci_low"], "ci_high": test["ci_high"], "p": test["p"]}
            n = int(test["n"])
        else:  # too few patients: the mean of the per-patient differences, no interval, no p
            diffs = [d for _, _, d in per_patient.values()]
            nan = float("nan")
            stats = {"diff": float(np.mean(diffs)) if diffs else nan, "ci_low": nan, "ci_high": nan, "p": nan}
            n = len(per_patient)
        rows.append(
            ComparisonRow(
                task=a.task.name,
                protocol=a.task.protocol,
                target=name,
                a=ma,
                b=mb,
                kind=kind,
                control_of=of,
                **stats,
                n_patients=n,
                population=population,
                min_patients=min_patients,
                per_patient=per_patient,
            )
        )
    return rows
