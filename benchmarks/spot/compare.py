"""Compare result sets side by side: per block and gap, both means with CIs and the paired difference B - A.

With at least ``min_patients`` shared patients (the task's, 5 by default) the difference gets a paired
bootstrap over patients (CI and p). With fewer, a bootstrap over patients measures nothing: the rows list the
per-patient differences and, when both results kept their per-spot predictions, a paired spatial block
bootstrap of B - A within these patients' tissue (:mod:`benchmarks.spot.tissue_compare`), which makes no
population claim. Replicate seeds (:mod:`benchmarks.spot.result_sets`) are compared seed by seed: the row's
difference and interval are those of the seed-averaged scores, beside the mean and spread over seeds. ``focus``
targets (one pathway alone, e.g. for ``benchmarks.sweep_heldout --pathway``) are compared the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.comparison import PairedDifference, require_same_split
from benchmarks.errors import ResultError
from benchmarks.schema import BlockResult, Metric, Result
from benchmarks.spot.result_sets import LoadedResult, load_result_sets
from benchmarks.spot.tissue_compare import TissuePair, gap_name, paired_tissue, target_name
from benchmarks.stats import paired_bootstrap
from stamp.probe import BlockDifference, PatientScores, paired_difference

__all__ = ["ComparisonRow", "SeedSpread", "compare_pairs", "compare_results", "pick_model_results"]

Values = tuple[Metric, Metric, dict[str, float | None], dict[str, float | None]]


@dataclass(frozen=True)
class SeedSpread:
    """B - A of every seed pair (mean over patients), and their mean and standard deviation (n - 1)."""

    per_seed: dict[str, float]

    @property
    def n(self) -> int:
        """Number of seed pairs."""
        return len(self.per_seed)

    @property
    def mean(self) -> float:
        """Mean of the seed pairs' differences."""
        return float(np.mean(list(self.per_seed.values())))

    @property
    def sd(self) -> float:
        """Standard deviation over seed pairs (NaN with one)."""
        values = np.array(list(self.per_seed.values()))
        return float(values.std(ddof=1)) if values.size > 1 else float("nan")

    def text(self) -> str:
        """``+0.012 ± 0.004 (3 seeds)``."""
        return f"{self.mean:+.3f} ± {self.sd:.3f} ({self.n} seeds)"


@dataclass(frozen=True, kw_only=True)
class ComparisonRow(PairedDifference):
    """One block (or gap) of one task: A and B with CIs, and the paired difference B - A over patients."""

    protocol: str
    a: Metric
    b: Metric
    kind: str = "pathways"  # the block's kind (pathways, random, genes), ``gap`` (pathways minus random), ``target``
    control_of: str = ""  # random: the pathway block it controls; gap: the block it is the gap of; target: its block
    population: bool = True  # False: fewer than min_patients shared patients, per-patient differences only
    min_patients: int = 5
    per_patient: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # patient -> (A, B, B - A)
    tissue: BlockDifference | None = None  # below min_patients: the paired spatial block bootstrap of B - A
    tissue_note: str = ""  # why there is no tissue interval, when there is none
    seeds: SeedSpread | None = None  # replicate seeds: every seed pair's B - A


def pick_model_results(path: Path) -> dict[tuple[str, str], Result]:
    """Read a result file, or a folder's model (non-baseline) results, keyed by (task, protocol).

    Raises
    ------
    ResultError
        Nothing to compare, or a folder holds several model results for one task (pass files instead).
    """
    out = {}
    for key, items in load_result_sets(path).items():
        if len(items) > 1:
            names = ", ".join(i.result.embedding_key for i in items)
            msg = f"several model results for task {key[0]!r} ({key[1]}): {names}; pass one result file instead"
            raise ResultError(msg, path=path)
        out[key] = items[0].result
    return out


def _target(block: BlockResult, target: str) -> tuple[Metric, dict[str, float | None]]:
    """One target's per-patient r in a block, and their mean over patients (no interval of its own)."""
    values = {p: t.get(target) for p, t in block.per_patient_target.items() if target in t}
    finite = [v for v in values.values() if v is not None and math.isfinite(v)]
    mean = float(np.mean(finite)) if finite else None
    return Metric(mean=mean, ci_low=None, ci_high=None, n_patients=len(finite), interval="none"), values


def _values(a: Result, b: Result, focus: Sequence[str] = ()) -> dict[str, Values]:
    """Every block and gap both results have, and each ``focus`` target alone: A's and B's metric and values.

    Per-patient values, in A's order.
    """
    out: dict[str, Values] = {}
    b_blocks = {x.name: x for x in b.blocks}
    for block in a.blocks:
        if (other := b_blocks.get(block.name)) is not None:
            out[block.name] = (block.pearson, other.pearson, block.per_patient, other.per_patient)
            for target in (t for t in focus if t in block.per_target and t in other.per_target):
                (ma, pa), (mb, pb) = _target(block, target), _target(other, target)
                out[target_name(block.name, target)] = (ma, mb, pa, pb)
    b_gaps = {g.pathways: g for g in b.gaps}
    for gap in a.gaps:
        if (other_gap := b_gaps.get(gap.pathways)) is not None:
            out[gap_name(gap.pathways, gap.control)] = (gap.gap, other_gap.gap, gap.per_patient, other_gap.per_patient)
    return out


def _roles(a: Result, focus: Sequence[str] = ()) -> dict[str, tuple[str, str]]:
    """Each comparison target's kind and the block it controls (``""``: none), as the result records them."""
    out: dict[str, tuple[str, str]] = {block.name: (block.kind, block.control_of) for block in a.blocks}
    out.update({target_name(b.name, t): ("target", b.name) for b in a.blocks for t in focus})
    out.update({gap_name(g.pathways, g.control): ("gap", g.pathways) for g in a.gaps})
    return out


def _mean_metric(metrics: Sequence[Metric]) -> Metric:
    """One metric, or the mean over seeds (no interval: the row's interval is the difference's)."""
    if len(metrics) == 1:
        return metrics[0]
    means = [m.mean for m in metrics if m.mean is not None]
    mean = float(np.mean(means)) if means else None
    return Metric(mean=mean, ci_low=None, ci_high=None, n_patients=metrics[0].n_patients, interval="none")


def _per_patient(values: Sequence[Values]) -> dict[str, tuple[float, float, float]]:
    """Each patient's A and B averaged over the seed pairs (patients finite in every pair), and B - A."""
    patients = sorted(set.intersection(*(set(v[2]) & set(v[3]) for v in values)))
    out = {}
    for p in patients:
        pairs = [(v[2][p], v[3][p]) for v in values]
        if all(x is not None and y is not None and math.isfinite(x) and math.isfinite(y) for x, y in pairs):
            a = float(np.mean([x for x, _ in pairs]))
            b = float(np.mean([y for _, y in pairs]))
            out[p] = (a, b, b - a)
    return out


def _tissue(name: str, tissues: Sequence[TissuePair | str]) -> tuple[BlockDifference | None, str]:
    notes = [t for t in tissues if isinstance(t, str)]
    if notes:
        return None, notes[0]
    pairs = [t.scores[name] for t in tissues if isinstance(t, TissuePair) and name in t.scores]
    if not pairs:
        return None, "no per-spot predictions of this target"
    a = PatientScores.mean_of([x for x, _ in pairs])
    b = PatientScores.mean_of([y for _, y in pairs])
    return paired_difference(a, b, tissues[0].layouts), ""  # type: ignore[union-attr]


def compare_pairs(
    pairs: Sequence[tuple[LoadedResult, LoadedResult]], *, n_boot: int = 2000, seed: int = 0, tissue: bool = True,
    focus: Sequence[str] = (),
) -> list[ComparisonRow]:  # fmt: skip
    """B - A of every block and gap over the shared patients, for one pair of results or several seed pairs.

    ``focus``: targets (e.g. one pathway) also compared alone, as rows of kind ``target`` named
    :func:`~benchmarks.spot.tissue_compare.target_name` (block, target), in every block holding them.

    At least ``min_patients`` patients: a paired bootstrap over patients of the (seed-averaged) per-patient
    differences. Fewer: no bootstrap over patients (``ci_low``, ``ci_high``, ``p`` NaN, ``population`` False);
    ``per_patient`` holds each patient's A, B and B - A, and (``tissue``: read the predictions files) the row's
    ``tissue`` the paired spatial block bootstrap of B - A.

    Raises
    ------
    ResultError
        Two results were computed on different splits (their split hashes differ).
    """
    for x, y in pairs:
        require_same_split(x.result, y.result, "atlas")
    values = [_values(x.result, y.result, focus) for x, y in pairs]
    first_a, first_b = pairs[0][0].result, pairs[0][1].result
    min_patients = max(first_a.intervals.min_patients, first_b.intervals.min_patients)
    held_out = {p for v in values[0].values() for p in v[2]}  # A's tested patients
    few = len(held_out) < min_patients
    tissues: list[TissuePair | str] = []
    if few and tissue:
        tissues = [paired_tissue(x, y, n_boot=n_boot, seed=seed, focus=focus) for x, y in pairs]
    roles = _roles(first_a, focus)
    rows = []
    for name in values[0]:
        mine = [v[name] for v in values if name in v]
        per_patient = _per_patient(mine)
        nan = float("nan")
        population = len(per_patient) >= min_patients
        interval, note = (None, "") if population or not tissues else _tissue(name, tissues)
        if population:
            test = paired_bootstrap(
                [b for _, b, _ in per_patient.values()],
                [a for a, _, _ in per_patient.values()],
                n_boot=n_boot,
                seed=seed,
            )
            stats = {"diff": test["diff"], "ci_low": test["ci_low"], "ci_high": test["ci_high"], "p": test["p"]}
        else:  # too few patients for a population claim: the mean of the per-patient differences
            diffs = [d for _, _, d in per_patient.values()]
            stats = {"diff": float(np.mean(diffs)) if diffs else nan, "ci_low": nan, "ci_high": nan, "p": nan}
        spread = None
        if len(pairs) > 1:
            labels = [f"{x.seed}" if y.seed is None else f"{y.seed}" for x, y in pairs]
            per_seed = {}
            for label, v in zip(labels, values, strict=True):
                if name in v:
                    diffs = [d for _, _, d in _per_patient([v[name]]).values()]
                    per_seed[label] = float(np.mean(diffs)) if diffs else nan
            spread = SeedSpread(per_seed)
        rows.append(
            ComparisonRow(
                task=first_a.task.name,
                protocol=first_a.task.protocol,
                target=name,
                a=_mean_metric([m[0] for m in mine]),
                b=_mean_metric([m[1] for m in mine]),
                kind=roles[name][0],
                control_of=roles[name][1],
                **stats,
                n_patients=len(per_patient),
                population=population,
                min_patients=min_patients,
                per_patient=per_patient,
                tissue=interval,
                tissue_note=note,
                seeds=spread,
            )
        )
    return rows


def compare_results(a: Result, b: Result, *, n_boot: int = 2000, seed: int = 0) -> list[ComparisonRow]:
    """Paired difference of two results (no folders: no tissue interval, which needs the predictions files).

    Raises
    ------
    ResultError
        The two results were computed on different splits (their split hashes differ).
    """
    pair = (LoadedResult(a, Path()), LoadedResult(b, Path()))
    return compare_pairs([pair], n_boot=n_boot, seed=seed, tissue=False)
