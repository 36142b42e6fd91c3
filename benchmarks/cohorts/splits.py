"""Patient folds of tier-2/3 tasks, their hash, and the Patho-Bench split format (read and write).

Folds are over patients, so a patient's slides are never on both sides. ``patient_kfold`` deals the patients of
each class (classification) or event status (survival) round-robin into ``k`` folds after a seeded shuffle: the
same patients and seed give the same folds on any machine, and the split hash recorded in results changes when a
patient id, a label or a fold assignment does.

Patho-Bench split (``k=all.tsv``): one row per slide with ``case_id``, ``slide_id``, the task column (and extra
columns) and ``fold_0 .. fold_{k-1}`` holding ``train`` or ``test`` (``val`` counts as train here); beside it a
``config.yaml`` with ``task_col``, ``extra_cols``, ``metrics``, ``label_dict`` and ``sample_col``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from benchmarks.errors import CohortError
from benchmarks.splits import Fold
from humanst.atomic import atomic_write_text

__all__ = ["PATHOBENCH_CONFIG", "PATHOBENCH_SPLIT", "patient_hash", "read_pathobench", "stratified_patient_folds",
           "write_pathobench"]  # fmt: skip

PATHOBENCH_SPLIT = "k=all.tsv"
PATHOBENCH_CONFIG = "config.yaml"
_TRAIN, _TEST, _VAL = "train", "test", "val"


def stratified_patient_folds(
    patients: Sequence[str], strata: Sequence[object] | np.ndarray, *, k: int, seed: int
) -> list[Fold]:
    """``k`` folds over patients, each stratum dealt out separately after a seeded shuffle.

    Raises
    ------
    CohortError
        Fewer patients than folds, or a patient listed twice.
    """
    patients = list(patients)
    if len(set(patients)) != len(patients) or len(strata) != len(patients):
        msg = f"folds need {len(patients)} distinct patients with one stratum each (got {len(strata)} strata)"
        raise CohortError(msg)
    if len(patients) < k:
        msg = f"{len(patients)} labelled patients cannot fill {k} folds; lower folds.k or fetch more of the cohort"
        raise CohortError(msg)
    rng = np.random.default_rng(seed)
    assignment = np.zeros(len(patients), dtype=np.int64)
    offset = 0
    strata_arr = np.asarray([str(s) for s in strata], dtype=object)
    for stratum in sorted(set(strata_arr.tolist())):
        members = np.flatnonzero(strata_arr == stratum)
        members = members[np.argsort([patients[i] for i in members], kind="stable")]
        order = members[rng.permutation(members.size)]
        assignment[order] = (offset + np.arange(order.size)) % k
        offset += order.size
    return _folds_from(patients, [np.flatnonzero(assignment == j) for j in range(k)])


def _folds_from(patients: Sequence[str], tests: Sequence[np.ndarray]) -> list[Fold]:
    folds = []
    everyone = np.arange(len(patients))
    for j, test in enumerate(tests):
        train = np.setdiff1d(everyone, test)
        folds.append(Fold(f"fold{j}", train, np.asarray(test), tuple(patients[i] for i in test)))
    return folds


def patient_hash(patients: Sequence[str], folds: Sequence[Fold], labels: np.ndarray) -> str:
    """sha256 of (patient, test fold, label) for every patient: equal hashes mean identical splits and labels."""
    fold_of = np.full(len(patients), -1, dtype=np.int64)
    for j, fold in enumerate(folds):
        fold_of[fold.test] = j
    digest = hashlib.sha256()
    rows = np.asarray(labels, dtype=np.float64).reshape(len(patients), -1)
    for patient, j, row in zip(patients, fold_of.tolist(), rows, strict=True):
        digest.update(f"{patient}\t{j}\t{','.join(f'{v:.6g}' for v in row)}\n".encode())
    return digest.hexdigest()


def read_pathobench(path: Path, patients: Sequence[str]) -> list[Fold]:
    """Folds of a Patho-Bench split TSV over ``patients`` (its ``case_id`` column; slides of a case agree).

    A patient tested in no fold is used for training only; one tested in two folds is refused (our metrics pool one
    out-of-fold prediction per patient), as is a case whose slides disagree or a patient missing from the file.

    Raises
    ------
    CohortError
        Missing columns or values other than train / val / test, or the problems above.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, sep="\t", dtype=str)
    except (OSError, pd.errors.ParserError) as exc:
        msg = f"not a readable Patho-Bench split TSV ({exc})"
        raise CohortError(msg, path=path) from exc
    fold_columns = sorted((c for c in frame.columns if c.startswith("fold_")), key=lambda c: int(c.split("_")[1]))
    if "case_id" not in frame.columns or not fold_columns:
        msg = f"needs a 'case_id' column and fold_0, fold_1, ... columns; found {list(frame.columns)[:10]}"
        raise CohortError(msg, path=path)
    values = set(frame[fold_columns].stack().dropna().str.lower()) - {_TRAIN, _TEST, _VAL}
    if values:
        msg = f"fold columns hold {sorted(values)[:5]}; Patho-Bench splits use train, val and test"
        raise CohortError(msg, path=path)
    by_case = frame.groupby("case_id")[fold_columns].agg(lambda col: sorted(set(col.dropna().str.lower())))
    missing = sorted(set(patients) - set(by_case.index))
    if missing:
        msg = (
            f"{len(missing)} labelled patient(s) are not in the split (e.g. {missing[:3]}); use a split of this cohort"
        )
        raise CohortError(msg, path=path)
    position = {p: i for i, p in enumerate(patients)}
    tests: list[list[int]] = [[] for _ in fold_columns]
    seen: dict[str, str] = {}
    for case, row in by_case.loc[list(patients)].iterrows():
        for j, column in enumerate(fold_columns):
            states = row[column]
            if len(states) > 1:
                msg = f"case {case!r} has slides on several sides of {column} ({states}); a patient is one unit"
                raise CohortError(msg, path=path)
            if states == [_TEST]:
                if case in seen:
                    msg = (
                        f"case {case!r} is tested in {seen[case]} and {column}; only disjoint test folds are supported"
                    )
                    raise CohortError(msg, path=path)
                seen[str(case)] = column
                tests[j].append(position[str(case)])
    return _folds_from(list(patients), [np.asarray(sorted(t), dtype=np.int64) for t in tests])


def write_pathobench(
    out: Path,
    slides: pd.DataFrame,
    folds: Sequence[Fold],
    patients: Sequence[str],
    *,
    task_column: str,
    extra_columns: Sequence[str] = (),
    metrics: Sequence[str] = (),
    label_dict: dict[int, str] | None = None,
) -> tuple[Path, Path]:
    """Write ``k=all.tsv`` and ``config.yaml`` for a task: ``slides`` has ``case_id``, ``slide_id`` and the labels."""
    side = {}
    for j, fold in enumerate(folds):
        tested = {patients[i] for i in fold.test}
        side[f"fold_{j}"] = slides["case_id"].map(lambda p, t=tested: _TEST if p in t else _TRAIN)
    table = pd.concat([slides.reset_index(drop=True), pd.DataFrame(side)], axis=1)
    config: dict[str, Any] = {
        "task_col": task_column,
        "extra_cols": list(extra_columns),
        "metrics": list(metrics),
        "label_dict": label_dict or {},
        "sample_col": "case_id",
    }
    out = Path(out)
    atomic_write_text(out / PATHOBENCH_SPLIT, table.to_csv(sep="\t", index=False))
    atomic_write_text(out / PATHOBENCH_CONFIG, yaml.safe_dump(config, sort_keys=False))
    return out / PATHOBENCH_SPLIT, out / PATHOBENCH_CONFIG
