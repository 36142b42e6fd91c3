"""Paired spatial block bootstrap of B - A: two encoders' predictions of the same spots, the same tiles drawn.

With few held-out patients a bootstrap over patients measures nothing, but two encoders scored on the same
spots can still be compared honestly within those patients' tissue: every replicate draws tiles of
neighbouring spots (:mod:`stamp.probe.spatial_bootstrap`, the tier-1 intervals' blocks) once per patient and
recomputes both encoders' scores on the very same drawn tiles, so the interval of B - A holds only the
sampling noise of the difference. A score is the mean over patients of the mean over targets of the Pearson r
on the patient's spots (the tier-1 pooled score); a gap (pathways minus random sets) is a difference of two
scores under the same draws. The interval describes these patients' tissue: no population claim.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stamp.probe.pearson import pearson_columns
from stamp.probe.spatial_bootstrap import BlockLayout, block_bootstrap_pearson, spatial_blocks, tiles_of_side

__all__ = [
    "PAIRED_LABEL",
    "BlockDifference",
    "PatientScores",
    "block_layouts",
    "paired_difference",
    "patient_scores",
]

PAIRED_LABEL = "within these patients' tissue, paired, no population claim"


def _patient_seed(seed: int, patient: str) -> int:
    """One seed per patient: every encoder and every block of targets draws the same tiles (paired)."""
    return (seed * 1_000_003 + zlib.crc32(patient.encode())) % (2**32)


def block_layouts(
    coords_um: np.ndarray, patients: np.ndarray, slides: np.ndarray, *, block_pitches: float = 4.0,
    min_blocks: int = 10, side_um: Mapping[str, float] | None = None,
) -> dict[str, BlockLayout]:  # fmt: skip
    """Cut each patient's spots into tiles (as the tier-1 intervals do), keyed by patient.

    ``side_um`` (slide -> tile side, as a result records it) fixes the tiles; otherwise the side is
    ``block_pitches`` spot pitches, halved while a patient has fewer than ``min_blocks`` tiles.
    """
    patients = np.asarray(patients).astype(str)
    slides = np.asarray(slides).astype(str)
    out = {}
    for p in sorted(set(patients.tolist())):
        rows = patients == p
        if side_um is not None and all(s in side_um for s in set(slides[rows].tolist())):
            out[p] = tiles_of_side(coords_um[rows], slides[rows], side_um)
        else:
            out[p] = spatial_blocks(coords_um[rows], slides[rows], block_pitches=block_pitches, min_blocks=min_blocks)
    return out


@dataclass(frozen=True)
class PatientScores:
    """One encoder's score per patient (mean r over targets) and its replicates under the tile draws."""

    point: dict[str, float]
    replicates: dict[str, np.ndarray]

    @classmethod
    def mean_of(cls, scores: Sequence[PatientScores]) -> PatientScores:
        """Average several encoders' scores (replicate seeds) patient by patient, replicate by replicate."""
        shared = [p for p in scores[0].point if all(p in s.point for s in scores)]
        return cls(
            {p: float(np.mean([s.point[p] for s in scores])) for p in shared},
            {p: np.mean(np.stack([s.replicates[p] for s in scores]), axis=0) for p in shared},
        )

    def __sub__(self, other: PatientScores) -> PatientScores:
        shared = [p for p in self.point if p in other.point]
        return PatientScores(
            {p: self.point[p] - other.point[p] for p in shared},
            {p: self.replicates[p] - other.replicates[p] for p in shared},
        )


def _nanmean(values: np.ndarray, axis: int | None = None) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis)


def patient_scores(
    y: np.ndarray, pred: np.ndarray, patients: np.ndarray, layouts: dict[str, BlockLayout], *, n_boot: int,
    seed: int,
) -> PatientScores:  # fmt: skip
    """Score ``pred`` against ``y`` (spots x targets) per patient, with ``n_boot`` tile-bootstrap replicates."""
    patients = np.asarray(patients).astype(str)
    point, reps = {}, {}
    for patient, layout in layouts.items():
        rows = patients == patient
        point[patient] = float(_nanmean(pearson_columns(y[rows], pred[rows])))
        pooled, _ = block_bootstrap_pearson(
            y[rows], pred[rows], layout, n_boot=n_boot, seed=_patient_seed(seed, patient)
        )
        reps[patient] = pooled
    return PatientScores(point, reps)


@dataclass(frozen=True)
class BlockDifference:
    """Scores of A and B, and B - A with its 95% percentile interval, two-sided p and what it resampled."""

    a: float
    b: float
    diff: float
    ci_low: float
    ci_high: float
    p: float
    n_patients: int
    n_blocks: int
    n_boot: int
    per_patient: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # patient -> (A, B, B - A)

    @property
    def resampled(self) -> str:
        """What the interval resampled, in words."""
        return (
            f"paired spatial block bootstrap of B - A: {self.n_blocks} tiles of {self.n_patients} patient(s)' "
            f"spots, {self.n_boot} replicates; {PAIRED_LABEL}"
        )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "a": self.a, "b": self.b, "diff": self.diff, "ci_low": self.ci_low, "ci_high": self.ci_high, "p": self.p,
            "n_patients": self.n_patients, "n_blocks": self.n_blocks, "n_boot": self.n_boot,
            "per_patient": {k: list(v) for k, v in self.per_patient.items()}, "resampled": self.resampled,
        }  # fmt: skip


def paired_difference(a: PatientScores, b: PatientScores, layouts: dict[str, BlockLayout]) -> BlockDifference:
    """B - A over the patients both have: means over patients, and the interval of the paired replicates."""
    shared = sorted(p for p in a.point if p in b.point)
    nan = float("nan")
    if not shared:
        return BlockDifference(nan, nan, nan, nan, nan, nan, 0, 0, 0)
    rep_a = _nanmean(np.column_stack([a.replicates[p] for p in shared]), axis=1)
    rep_b = _nanmean(np.column_stack([b.replicates[p] for p in shared]), axis=1)
    diffs = rep_b - rep_a
    diffs = diffs[np.isfinite(diffs)]
    mean_a = float(_nanmean(np.array([a.point[p] for p in shared])))
    mean_b = float(_nanmean(np.array([b.point[p] for p in shared])))
    if diffs.size:
        lo, hi = (float(v) for v in np.percentile(diffs, [2.5, 97.5]))
        share = min(float((diffs <= 0).mean()), float((diffs >= 0).mean()))
        p = min(1.0, max(2.0 * share, 1.0 / diffs.size))
    else:
        lo = hi = p = nan
    return BlockDifference(
        a=mean_a,
        b=mean_b,
        diff=mean_b - mean_a,
        ci_low=lo,
        ci_high=hi,
        p=p,
        n_patients=len(shared),
        n_blocks=sum(layouts[s].n_blocks for s in shared if s in layouts),
        n_boot=int(next(iter(a.replicates.values())).size),
        per_patient={s: (a.point[s], b.point[s], b.point[s] - a.point[s]) for s in shared},
    )
