"""Label tables are checked when a tier-2/3 task is prepared: impossible labels are one-line errors, not scores."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from benchmarks.errors import CohortError
from benchmarks.slide.data import prepare_slide_task

from .conftest import ToyCohort, toy_task, write_toy_cohort


def _with(toy: ToyCohort, table: str, column: str, values: dict[str, float]) -> ToyCohort:
    changed = copy.deepcopy(toy)
    frame = changed.labels[table]
    frame[column] = frame[column].astype(float)
    for patient, value in values.items():
        frame.loc[frame["patient_id"] == patient, column] = value
    return changed


@pytest.mark.parametrize(
    ("kind", "table", "column", "values", "says"),
    [
        ("survival", "survival", "os_days", {"P003": -50.0}, "a negative survival time for 1 patient(s): P003"),
        ("survival", "survival", "os_days", {"P004": np.inf}, "a non-finite value for 1 patient(s): P004"),
        ("survival", "survival", "os_event", {"P005": 2.0, "P006": -1.0}, "not 0 or 1 for 2 patient(s): P005, P006"),
        ("classification", "mutations", "GENE1", {"P007": 0.5}, "a class other than 0 and 1 for 1 patient(s): P007"),
        ("regression", "activity", "PATHWAY_A", {"P008": -np.inf}, "a non-finite value for 1 patient(s): P008"),
    ],
)
def test_an_impossible_label_is_one_line_naming_table_column_and_patients(
    toy: ToyCohort, tmp_path: Path, kind: str, table: str, column: str, values: dict[str, float], says: str
) -> None:
    root = write_toy_cohort(tmp_path / "cohort", _with(toy, table, column, values))
    with pytest.raises(CohortError) as info:
        prepare_slide_task(root, toy_task(kind))
    text = str(info.value)
    assert "\n" not in text
    assert f"label table {table!r} column {column!r}" in text
    assert says in text
    assert f"labels/{table}.tsv" in text  # the file to fix


def test_one_class_and_no_event_are_refused(toy: ToyCohort, tmp_path: Path) -> None:
    everyone = dict.fromkeys(toy.patients, 0.0)
    root = write_toy_cohort(tmp_path / "one-class", _with(toy, "mutations", "GENE1", everyone))
    with pytest.raises(CohortError, match=r"column 'GENE1': one class only \(every patient is 0; AUROC needs both\)"):
        prepare_slide_task(root, toy_task("classification"))
    root = write_toy_cohort(tmp_path / "no-event", _with(toy, "survival", "os_event", everyone))
    with pytest.raises(CohortError, match=r"column 'os_event': no event at all"):
        prepare_slide_task(root, toy_task("survival"))


def test_fewer_patients_than_folds_is_refused(toy: ToyCohort, tmp_path: Path) -> None:
    root = write_toy_cohort(tmp_path / "cohort", toy)
    with pytest.raises(CohortError, match=r"40 patient\(s\) with a label and a slide, fewer than the task's 50 folds"):
        prepare_slide_task(root, toy_task("survival", folds={"kind": "patient_kfold", "k": 50, "seed": 0}))


def test_a_missing_time_leaves_the_patient_out_and_counts_it(toy: ToyCohort, tmp_path: Path) -> None:
    root = write_toy_cohort(tmp_path / "cohort", _with(toy, "survival", "os_days", {"P009": np.nan}))
    data = prepare_slide_task(root, toy_task("survival"))
    assert "P009" not in data.patients
    assert data.excluded == {"label missing": 1}
