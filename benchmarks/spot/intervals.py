"""Intervals of tier-1 metrics: a bootstrap over patients, or, with few patients, a spatial block bootstrap.

A task holding out at least ``intervals.min_patients`` patients (5 by default) gets the usual 95% percentile
bootstrap over patients. Below that a patient bootstrap measures nothing (one patient: zero width; two: two
possible means), so each patient's spots are resampled in tiles of neighbouring spots instead
(:mod:`stamp.probe.spatial_bootstrap`): the interval says how much these patients' scores depend on which
tissue was sampled, and makes no claim about other patients. Every metric records its kind.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from benchmarks.schema import Float, IntervalInfo, IntervalKind, Metric, finite
from benchmarks.spot.data import SpotData
from benchmarks.spot.probe import BlockOutcome
from benchmarks.spot.task import Task
from benchmarks.stats import bootstrap_ci
from stamp.probe.spatial_bootstrap import BlockLayout, block_bootstrap_pearson, spatial_blocks

__all__ = ["IntervalPlan", "plan_intervals"]

Replicates = dict[str, np.ndarray]  # patient -> (n_boot,) replicate scores


def _seed(task: Task, patient: str) -> int:
    """One seed per (task, patient): every block of targets draws the same tiles, so gaps are paired."""
    return (task.seed * 1_000_003 + zlib.crc32(patient.encode())) % (2**32)


@dataclass
class IntervalPlan:
    """Which interval a result's metrics get, and the patients' tiles when it is the block bootstrap."""

    task: Task
    kind: IntervalKind
    n_patients: int
    layouts: dict[str, BlockLayout] = field(default_factory=dict)
    _cache: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def spatial(self) -> bool:
        """Whether metrics use the spatial block bootstrap."""
        return self.kind == "spatial_block_bootstrap"

    def info(self) -> IntervalInfo:
        """Return the result's ``intervals`` entry."""
        sides: dict[str, float] = {}
        for layout in self.layouts.values():
            sides.update({k: round(v, 3) for k, v in layout.side_um.items()})
        spec = self.task.intervals
        if self.spatial:
            note = (
                f"{self.n_patients} held-out patient(s) < min_patients {spec.min_patients}: intervals resample "
                f"tiles of ~{spec.block_pitches:g} spot pitches within each patient; they describe these patients' "
                "tissue only, no population claim"
            )
        elif self.kind == "none":
            note = f"{self.n_patients} held-out patient(s) < min_patients {spec.min_patients} and no spot coordinates"
        else:
            note = f"{self.n_patients} held-out patients: 95% percentile bootstrap over patients"
        return IntervalInfo(
            kind=self.kind, min_patients=spec.min_patients, n_boot=self.task.bootstrap, block_um=sides, note=note
        )

    def replicates(self, outcome: BlockOutcome) -> tuple[Replicates, Replicates]:
        """Block-bootstrap replicates of every patient's pooled and per-slide score for one block of targets."""
        pooled: Replicates = {}
        slide: Replicates = {}
        for patient, spots in outcome.spots.items():
            layout = self.layouts.get(patient)
            if layout is None:
                continue
            key = (outcome.name, patient)
            if key not in self._cache:
                self._cache[key] = block_bootstrap_pearson(
                    spots.y, spots.pred, layout, n_boot=self.task.bootstrap, seed=_seed(self.task, patient)
                )
            pooled[patient], slide[patient] = self._cache[key]
        return pooled, slide

    def metric(self, values: dict[str, float], replicates: Replicates | None = None, *, salt: int = 0) -> Metric:
        """Mean over patients with its interval (a patient bootstrap, or the block bootstrap's replicates)."""
        arr = np.array([values[p] for p in sorted(values)], dtype=np.float64)
        finite_patients = [p for p in sorted(values) if np.isfinite(values[p])]
        mean = float(np.mean(arr[np.isfinite(arr)])) if finite_patients else float("nan")
        n = len(finite_patients)
        kind: IntervalKind = "none"
        lo = hi = float("nan")
        if self.kind == "patient_bootstrap":
            lo, hi = bootstrap_ci(arr, n_boot=self.task.bootstrap, seed=self.task.seed + salt)
            kind = "patient_bootstrap" if n >= 2 else "none"
        elif self.spatial:
            reps = replicates or {}
            lo, hi = _percentile_of_mean([reps[p] for p in finite_patients if p in reps], n)
            kind = "spatial_block_bootstrap" if np.isfinite(lo) else "none"
        if kind == "none":
            lo = hi = float("nan")
        elif np.isfinite(mean):  # a percentile interval can miss a biased statistic: widen it to hold the estimate
            lo, hi = min(lo, mean), max(hi, mean)
        return Metric(mean=finite(mean), ci_low=finite(lo), ci_high=finite(hi), n_patients=n, interval=kind)

    def per_patient_ci(self, values: dict[str, float], replicates: Replicates) -> dict[str, tuple[Float, Float]]:
        """Each patient's own block-bootstrap interval (empty unless the block bootstrap is used)."""
        out: dict[str, tuple[Float, Float]] = {}
        for patient, reps in sorted(replicates.items()):
            lo, hi = _percentile_of_mean([reps], 1)
            value = values.get(patient, float("nan"))
            if np.isfinite(lo) and np.isfinite(value):
                lo, hi = min(lo, value), max(hi, value)
            out[patient] = (finite(lo), finite(hi))
        return out


def _percentile_of_mean(replicates: list[np.ndarray], n_patients: int) -> tuple[float, float]:
    """2.5 and 97.5 percentiles of the mean over patients of their replicates (NaN when any patient lacks them)."""
    if not replicates or len(replicates) < n_patients:
        return (float("nan"), float("nan"))
    stacked = np.column_stack(replicates)
    means = stacked.mean(axis=1)
    means = means[np.isfinite(means)]
    if means.size < 0.9 * stacked.shape[0]:  # too many degenerate replicates (a tile set with a constant target)
        return (float("nan"), float("nan"))
    lo, hi = np.percentile(means, [2.5, 97.5])
    return (float(lo), float(hi))


def plan_intervals(outcomes: list[BlockOutcome], data: SpotData, task: Task) -> IntervalPlan:
    """Choose the interval kind from the number of held-out patients; cut their spots into tiles when few."""
    patients = sorted({p for o in outcomes for p in o.pooled})
    spec = task.intervals
    if len(patients) >= spec.min_patients:
        return IntervalPlan(task, "patient_bootstrap", len(patients))
    if data.coords_um is None:  # no spot coordinates: no honest interval with so few patients
        return IntervalPlan(task, "none", len(patients))
    layouts = {}
    for patient in patients:
        spots = next((o.spots[patient] for o in outcomes if patient in o.spots), None)
        if spots is None:
            continue
        layouts[patient] = spatial_blocks(
            data.coords_um[spots.rows], data.sample_ids[spots.rows],
            block_pitches=spec.block_pitches, min_blocks=spec.min_blocks,
        )  # fmt: skip
    return IntervalPlan(task, "spatial_block_bootstrap", len(patients), layouts)
