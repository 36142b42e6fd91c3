"""Patient-level folds: every spot of a patient sits in exactly one test fold, never in its training set."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.errors import TierError
from benchmarks.tasks import FoldSpec
from stamp.probe import inner_splits  # grouped inner splits, owned by stamp.probe (shared with stamp fit)

__all__ = ["Fold", "inner_splits", "patient_folds", "split_hash"]


@dataclass(frozen=True)
class Fold:
    """One outer fold: spot indices to train on and to test on, and the test patients."""

    name: str
    train: np.ndarray
    test: np.ndarray
    test_patients: tuple[str, ...]


def patient_folds(patients: Sequence[str] | np.ndarray, spec: FoldSpec) -> list[Fold]:
    """Split spots into outer folds by patient (leave-one-patient-out or shuffled patient k-fold).

    Parameters
    ----------
    patients
        The patient id of every spot.
    spec
        The task's fold settings.

    Raises
    ------
    TierError
        Fewer than two patients (no patient-level split exists).
    """
    patients = np.asarray(patients, dtype=object)
    unique = sorted(set(patients.tolist()))
    if len(unique) < 2:
        msg = f"patient folds need at least 2 patients; found {len(unique)} ({unique}). Add samples of more patients."
        raise TierError(msg)
    if spec.kind == "leave_one_patient_out":
        held_out = spec.held_out_patients if spec.held_out_patients is not None else unique
        missing = sorted(set(held_out) - set(unique))
        if missing:
            msg = f"folds.held_out_patients {missing} have no spots in the task; patients present: {unique}"
            raise TierError(msg)
        groups = [[p] for p in held_out]
    else:
        order = np.random.default_rng(spec.seed).permutation(len(unique))
        k = min(spec.k, len(unique))
        groups = [[unique[i] for i in sorted(order[j::k])] for j in range(k)]
    folds = []
    for j, group in enumerate(groups):
        is_test = np.isin(patients, group)
        folds.append(Fold(f"fold{j}", np.flatnonzero(~is_test), np.flatnonzero(is_test), tuple(group)))
    return folds


def split_hash(spot_ids: Sequence[str], folds: Sequence[Fold]) -> str:
    """Return the sha256 of the (spot id, test fold) assignment: equal hashes mean identical splits."""
    fold_of = np.full(len(spot_ids), -1, dtype=np.int64)
    for j, fold in enumerate(folds):
        fold_of[fold.test] = j
    digest = hashlib.sha256()
    for spot, j in zip(spot_ids, fold_of.tolist(), strict=True):
        digest.update(f"{spot}\t{j}\n".encode())
    return digest.hexdigest()
