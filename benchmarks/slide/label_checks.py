"""Label tables checked when a tier-2/3 task is prepared: impossible values are one-line errors, never scored.

A survival time must be finite and not negative and an event 0 or 1; a class label 0 or 1 with both classes
present; a survival endpoint needs at least one event; a regression target must be finite; and the folds need at
least as many patients as there are folds. Each error names the table, the column and the patients. A missing
value (an empty cell, NaN) is not an error: the patient is left out and counted, and the count is printed with
the results (``benchmarks.terminal_tables``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmarks.errors import CohortError

if TYPE_CHECKING:
    from benchmarks.slide.task import SlideTask

__all__ = ["check_labels"]

_SHOWN = 5  # patients named in a message; the rest are counted


def _patients(ids: pd.Index, mask: np.ndarray) -> str:
    bad = [str(p) for p in ids[mask]]
    more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
    return f"{len(bad)} patient(s): {', '.join(bad[:_SHOWN])}{more}"


def _problems(task: SlideTask, values: pd.DataFrame, columns: list[str]) -> list[tuple[str, str, np.ndarray]]:
    """``(column, what is wrong, patients mask)`` of every impossible value (empty when the labels make sense)."""
    found = []
    data = values[columns].to_numpy(dtype=np.float64)
    finite = np.isfinite(data)
    for j, column in enumerate(columns):
        if not finite[:, j].all():
            found.append((column, "a non-finite value", ~finite[:, j]))
    if task.kind == "survival":
        time, event = data[:, 0], data[:, 1]
        if (negative := finite[:, 0] & (time < 0)).any():
            found.append((columns[0], "a negative survival time", negative))
        if (odd := finite[:, 1] & ~np.isin(event, (0.0, 1.0))).any():
            found.append((columns[1], "an event that is not 0 or 1", odd))
        elif len(event) and not (event == 1).any():
            found.append((columns[1], "no event at all (the C-index needs one)", np.ones(len(event), bool)))
    elif task.kind == "classification":
        label = data[:, 0]
        if (odd := finite[:, 0] & ~np.isin(label, (0.0, 1.0))).any():
            found.append((columns[0], "a class other than 0 and 1", odd))
        elif len(label) and len(np.unique(label)) == 1:
            what = f"one class only (every patient is {label[0]:g}; AUROC needs both)"
            found.append((columns[0], what, np.ones(len(label), bool)))
    return found


def check_labels(task: SlideTask, values: pd.DataFrame, columns: list[str], *, path: Path) -> None:
    """Refuse labels a task cannot be scored on (see the module docstring).

    Parameters
    ----------
    task
        The task being prepared.
    values
        The label table's rows of the patients to score (label present, slide on disk), indexed by patient.
    columns
        The task's label columns.
    path
        The label table's file, named in errors.

    Raises
    ------
    CohortError
        One line: the table, the column, what is wrong and the patients, and what to do.
    """
    table = task.label.table
    for column, what, mask in _problems(task, values, columns):
        msg = (
            f"label table {table!r} column {column!r}: {what} for {_patients(values.index, mask)}; fix the table "
            "(an unknown value is an empty cell: the patient is then left out and counted)"
        )
        raise CohortError(msg, path=path)
    folds = task.folds
    if folds.kind == "patient_kfold" and len(values) < folds.k:
        msg = (
            f"label table {table!r} columns {columns}: {len(values)} patient(s) with a label and a slide, fewer than "
            f"the task's {folds.k} folds ({', '.join(map(str, values.index[:_SHOWN]))}); lower folds.k or add patients"
        )
        raise CohortError(msg, path=path)
