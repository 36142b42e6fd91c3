"""Outer folds by patient (every tested unit of a patient in exactly one test fold) and the hash pinning them.

Tier 1 deals spots into folds (:func:`benchmarks.spot.folds.patient_folds`); tiers 2-3 deal patients
(:func:`benchmarks.cohorts.splits.stratified_patient_folds`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stamp.probe import inner_splits  # grouped inner splits, owned by stamp.probe (shared with stamp fit)

__all__ = ["Fold", "inner_splits", "split_hash"]


@dataclass(frozen=True)
class Fold:
    """One outer fold: spot indices to train on and to test on, and the test patients."""

    name: str
    train: np.ndarray
    test: np.ndarray
    test_patients: tuple[str, ...]


def split_hash(spot_ids: Sequence[str], folds: Sequence[Fold]) -> str:
    """Return the sha256 of the (spot id, test fold) assignment: equal hashes mean identical splits."""
    fold_of = np.full(len(spot_ids), -1, dtype=np.int64)
    for j, fold in enumerate(folds):
        fold_of[fold.test] = j
    digest = hashlib.sha256()
    for spot, j in zip(spot_ids, fold_of.tolist(), strict=True):
        digest.update(f"{spot}\t{j}\n".encode())
    return digest.hexdigest()
