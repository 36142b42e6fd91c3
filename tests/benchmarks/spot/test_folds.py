from __future__ import annotations

import numpy as np
import pytest

from benchmarks.errors import TierError
from benchmarks.splits import inner_splits, split_hash
from benchmarks.spot.folds import patient_folds
from benchmarks.spot.task import FoldSpec

PATIENTS = np.array(["A"] * 5 + ["B"] * 4 + ["C"] * 3 + ["D"] * 6 + ["E"] * 2, dtype=object)


def test_leave_one_patient_out_tests_each_patient_once_and_never_trains_on_it():
    folds = patient_folds(PATIENTS, FoldSpec(kind="leave_one_patient_out"))
    assert [f.test_patients for f in folds] == [("A",), ("B",), ("C",), ("D",), ("E",)]
    seen = np.concatenate([f.test for f in folds])
    assert sorted(seen.tolist()) == list(range(PATIENTS.size))
    for fold in folds:
        assert not set(PATIENTS[fold.train]) & set(PATIENTS[fold.test])
        assert np.intersect1d(fold.train, fold.test).size == 0


def test_patient_kfold_groups_whole_patients():
    folds = patient_folds(PATIENTS, FoldSpec(kind="patient_kfold", k=2, seed=3))
    assert len(folds) == 2
    for fold in folds:
        assert not set(PATIENTS[fold.train]) & set(PATIENTS[fold.test])


def test_one_patient_has_no_patient_split():
    with pytest.raises(TierError, match="at least 2 patients"):
        patient_folds(np.array(["A", "A"]), FoldSpec())


def test_inner_splits_are_grouped_by_patient():
    for fit, val in inner_splits(PATIENTS, 3):
        assert not set(PATIENTS[fit]) & set(PATIENTS[val])
    assert inner_splits(np.array(["A"] * 4), 3) == []


def test_split_hash_pins_the_assignment():
    ids = [f"s{i}" for i in range(PATIENTS.size)]
    lopo = patient_folds(PATIENTS, FoldSpec())
    kfold = patient_folds(PATIENTS, FoldSpec(kind="patient_kfold", k=2))
    assert split_hash(ids, lopo) == split_hash(ids, patient_folds(PATIENTS, FoldSpec()))
    assert split_hash(ids, lopo) != split_hash(ids, kfold)


def test_held_out_patients_make_one_fold_each_and_unknown_ones_are_refused():
    patients = np.array(["A", "A", "B", "C", "C", "D"], dtype=object)
    folds = patient_folds(patients, FoldSpec(held_out_patients=["B", "D"]))
    assert [f.test_patients for f in folds] == [("B",), ("D",)]
    assert folds[0].train.tolist() == [0, 1, 3, 4, 5]
    with pytest.raises(TierError, match=r"held_out_patients \['E'\]"):
        patient_folds(patients, FoldSpec(held_out_patients=["E"]))
