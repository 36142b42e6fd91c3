"""Tier 2/3 folds: patients (with all their slides) on one side, each tested once; Patho-Bench splits; the hash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.cohorts.splits import (
    PATHOBENCH_CONFIG,
    PATHOBENCH_SPLIT,
    read_pathobench,
    stratified_patient_folds,
    write_pathobench,
)
from benchmarks.errors import CohortError
from benchmarks.slide.data import SlideData
from benchmarks.splits import Fold
from tests.benchmarks.slide.conftest import ToyCohort, prepared


def _assert_partition(folds: list[Fold], patients: list[str]) -> None:
    n = len(patients)
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested.tolist()) == list(range(n))  # every patient tested exactly once
    for fold in folds:
        assert np.intersect1d(fold.train, fold.test).size == 0
        assert sorted([*fold.train.tolist(), *fold.test.tolist()]) == list(range(n))
        assert fold.test_patients == tuple(patients[i] for i in fold.test)


def _assert_slides_on_one_side(data: SlideData) -> None:
    owner = {s: p for p, ids in data.slides.items() for s in ids}
    for fold in data.folds:
        train_slides = {s for i in fold.train for s in data.slides[data.patients[i]]}
        test_slides = {s for i in fold.test for s in data.slides[data.patients[i]]}
        assert not train_slides & test_slides
        assert train_slides | test_slides == set(owner)
        assert {owner[s] for s in test_slides} == set(fold.test_patients)


def test_stratified_folds_partition_patients_and_balance_classes():
    patients = [f"P{i:02d}" for i in range(23)]
    strata = np.array([1] * 7 + [0] * 16)
    folds = stratified_patient_folds(patients, strata, k=4, seed=0)
    _assert_partition(folds, patients)
    for cls in (0, 1):
        per_fold = [int((strata[f.test] == cls).sum()) for f in folds]
        assert max(per_fold) - min(per_fold) <= 1


def test_stratified_folds_are_seeded_and_ignore_the_input_order():
    patients = [f"P{i:02d}" for i in range(20)]
    strata = np.arange(20) % 2
    first = stratified_patient_folds(patients, strata, k=5, seed=1)
    again = stratified_patient_folds(patients, strata, k=5, seed=1)
    other = stratified_patient_folds(patients, strata, k=5, seed=2)
    order = np.random.default_rng(0).permutation(20)
    shuffled = stratified_patient_folds([patients[i] for i in order], strata[order], k=5, seed=1)
    assert [f.test_patients for f in first] == [f.test_patients for f in again]
    assert [set(f.test_patients) for f in first] == [set(f.test_patients) for f in shuffled]
    assert [set(f.test_patients) for f in first] != [set(f.test_patients) for f in other]


def test_too_few_patients_for_the_folds_is_a_clear_error():
    with pytest.raises(CohortError, match="3 labelled patients cannot fill 5 folds"):
        stratified_patient_folds(["a", "b", "c"], [0, 1, 0], k=5, seed=0)


@pytest.mark.parametrize("kind", ["classification", "survival", "regression"])
def test_prepared_task_keeps_a_patients_slides_together(toy_dir: Path, toy: ToyCohort, kind: str):
    data = prepared(toy_dir, toy, kind)
    assert data.patients == toy.patients
    assert any(len(ids) == 2 for ids in data.slides.values())  # the case that could straddle
    _assert_partition(data.folds, data.patients)
    _assert_slides_on_one_side(data)
    if kind != "regression":  # class / event balanced across folds
        strata = data.strata()
        per_fold = [int(strata[f.test].sum()) for f in data.folds]
        assert max(per_fold) - min(per_fold) <= 1


def test_split_hash_is_stable_and_follows_labels_and_folds(tmp_path: Path, toy_dir: Path, toy: ToyCohort):
    data = prepared(toy_dir, toy, "classification")
    assert prepared(toy_dir, toy, "classification").split_hash == data.split_hash
    reseeded = prepared(toy_dir, toy, "classification", folds={"kind": "patient_kfold", "k": 4, "seed": 1})
    assert reseeded.split_hash != data.split_hash
    flipped = ToyCohort(toy.patients, toy.level, toy.slides, dict(toy.labels))
    frame = toy.labels["mutations"].copy()
    frame.loc[0, "GENE1"] = 1 - frame.loc[0, "GENE1"]
    flipped.labels["mutations"] = frame
    assert prepared(tmp_path / "flipped", flipped, "classification").split_hash != data.split_hash


def _slides_frame(data: SlideData) -> pd.DataFrame:
    rows = [
        {"case_id": p, "slide_id": s, "GENE1": int(data.y[i])}
        for i, p in enumerate(data.patients)
        for s in data.slides[p]
    ]
    return pd.DataFrame(rows)


def test_pathobench_split_round_trip(tmp_path: Path, toy_dir: Path, toy: ToyCohort):
    data = prepared(toy_dir, toy, "classification")
    split, config = write_pathobench(
        tmp_path / "split", _slides_frame(data), data.folds, data.patients, task_column="GENE1",
        metrics=["auroc"], label_dict={0: "wild type", 1: "mutated"},
    )  # fmt: skip
    assert split.name == PATHOBENCH_SPLIT
    assert config.name == PATHOBENCH_CONFIG
    table = pd.read_csv(split, sep="\t", dtype=str)
    assert len(table) == len(data.slide_ids)  # one row per slide
    assert [c for c in table.columns if c.startswith("fold_")] == [f"fold_{j}" for j in range(len(data.folds))]
    back = read_pathobench(split, data.patients)
    assert len(back) == len(data.folds)
    for ours, theirs in zip(data.folds, back, strict=True):
        np.testing.assert_array_equal(np.sort(ours.test), theirs.test)
        np.testing.assert_array_equal(np.sort(ours.train), theirs.train)
        assert set(ours.test_patients) == set(theirs.test_patients)
    # and the task reads it through folds.kind: pathobench, with the same split hash as the folds it came from
    via_task = prepared(toy_dir, toy, "classification", folds={"kind": "pathobench", "split": str(split)})
    assert via_task.split_hash == data.split_hash
    _assert_slides_on_one_side(via_task)


def _write_split(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    frame = pd.DataFrame(rows, columns=["case_id", "slide_id", "fold_0", "fold_1"])
    frame.to_csv(path, sep="\t", index=False)
    return path


def test_pathobench_val_counts_as_training_and_untested_patients_only_train(tmp_path: Path):
    split = _write_split(
        tmp_path / "k=all.tsv",
        [("a", "a1", "test", "train"), ("a", "a2", "test", "train"), ("b", "b1", "val", "test"),
         ("c", "c1", "train", "val"), ("d", "d1", "train", "test")],
    )  # fmt: skip
    folds = read_pathobench(split, ["a", "b", "c", "d"])
    assert [f.test_patients for f in folds] == [("a",), ("b", "d")]
    np.testing.assert_array_equal(folds[0].train, [1, 2, 3])
    np.testing.assert_array_equal(folds[1].train, [0, 2])


@pytest.mark.parametrize(
    ("rows", "patients", "message"),
    [
        ([("a", "a1", "test", "train"), ("a", "a2", "train", "train"), ("b", "b1", "train", "test")], ["a", "b"],
         r"case 'a' has slides on several sides of fold_0"),
        ([("a", "a1", "test", "test"), ("b", "b1", "train", "train")], ["a", "b"],
         r"case 'a' is tested in fold_0 and fold_1"),
        ([("a", "a1", "test", "train"), ("b", "b1", "train", "test")], ["a", "b", "zz"],
         r"1 labelled patient\(s\) are not in the split \(e.g. \['zz'\]\)"),
        ([("a", "a1", "test", "hold-out"), ("b", "b1", "train", "test")], ["a", "b"],
         r"fold columns hold \['hold-out'\]"),
    ],
)  # fmt: skip
def test_malformed_pathobench_split_is_a_clear_cohort_error(tmp_path: Path, rows, patients, message):
    split = _write_split(tmp_path / "k=all.tsv", rows)
    with pytest.raises(CohortError, match=message) as caught:
        read_pathobench(split, patients)
    assert "k=all.tsv" in str(caught.value)  # names the file


def test_split_without_fold_columns_is_refused(tmp_path: Path):
    path = tmp_path / "k=all.tsv"
    pd.DataFrame({"case_id": ["a"], "slide_id": ["a1"]}).to_csv(path, sep="\t", index=False)
    with pytest.raises(CohortError, match="needs a 'case_id' column and fold_0"):
        read_pathobench(path, ["a"])


def test_a_patient_on_two_label_rows_is_refused_not_split(tmp_path: Path, toy: ToyCohort):
    # two rows (say two tumour samples) of one patient could land in two folds: refused with the table named
    frame = toy.labels["mutations"]
    doubled = ToyCohort(toy.patients, toy.level, toy.slides, dict(toy.labels))
    doubled.labels["mutations"] = pd.concat([frame, frame.iloc[[3]].assign(GENE1=1 - int(frame.iloc[3]["GENE1"]))])
    with pytest.raises(CohortError, match=r"'mutations' has 1 patient\(s\) on several rows \(e.g. \['P003'\]\)"):
        prepared(tmp_path / "doubled", doubled, "classification")
    with pytest.raises(CohortError, match="distinct patients"):
        stratified_patient_folds(["a", "b", "a", "c"], [0, 1, 0, 1], k=2, seed=0)
