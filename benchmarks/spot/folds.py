"""Tier-1 patient folds: every spot of a patient sits in exactly one test fold, never in its training set."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.errors import TierError
from benchmarks.splits import Fold
from benchmarks.spot.task import FoldSpec

__all__ = ["patient_folds"]


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
