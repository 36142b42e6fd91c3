"""A tier-2/3 task prepared on a cohort folder: labelled patients, their slides, labels, folds and hashes.

Patients count when they have the task's label and at least one slide on disk; the others are counted by reason
(never dropped silently). The bags of an encoder are the tile features of all of a patient's slides, read from a
``stamp embed-slides`` feature folder (or any Trident / CLAM ``.h5`` folder), with each tile's place on its slide.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.cohorts.definition import PretrainingExposure
from benchmarks.cohorts.record import CohortFolder, CohortRecord
from benchmarks.cohorts.splits import patient_hash, read_pathobench, stratified_patient_folds
from benchmarks.controls import control_set_name
from benchmarks.errors import CohortError, TaskError
from benchmarks.slide.label_checks import check_labels
from benchmarks.slide.task import SlideTask
from benchmarks.slide.tiles import TilePlaces
from benchmarks.splits import Fold

__all__ = ["Bags", "SlideData", "load_bags", "prepare_slide_task"]


@dataclass
class SlideData:
    """Everything an encoder is scored against on one task (shared by every encoder)."""

    task: SlideTask
    cohort: str
    cohort_hash: str
    pretraining: PretrainingExposure
    patients: list[str]
    slides: dict[str, list[str]]
    target_names: list[str]
    y: np.ndarray  # classification (n,) 0/1; regression (n, T); survival (n, 2) = time, event
    folds: list[Fold]
    split_hash: str
    control_names: list[str] = field(default_factory=list)
    control: np.ndarray | None = None
    excluded: dict[str, int] = field(default_factory=dict)
    slide_files: dict[str, str] = field(default_factory=dict)  # slide id -> file in the cohort folder

    @property
    def slide_ids(self) -> list[str]:
        """Every slide of the labelled patients, sorted."""
        return sorted(s for ids in self.slides.values() for s in ids)

    def strata(self) -> np.ndarray:
        """Return what the folds balance: the class, the event, or nothing."""
        if self.task.kind == "classification":
            return self.y.astype(int)
        if self.task.kind == "survival":
            return self.y[:, 1].astype(int)
        return np.zeros(len(self.patients), dtype=int)


def _columns(frame: pd.DataFrame, wanted: list[str] | str, table: str) -> list[str]:
    columns = list(frame.columns) if wanted == "all" else list(wanted)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = f"label table {table!r} has no column(s) {missing}; columns: {list(frame.columns)[:10]}"
        raise CohortError(msg)
    return columns


def prepare_slide_task(cohort: Path, task: SlideTask, *, task_dir: Path | None = None) -> SlideData:
    """Read the cohort folder's labels for ``task``, keep the patients with a label and a slide, make the folds.

    Raises
    ------
    TaskError
        The folder holds another cohort than the task was written for.
    CohortError
        A label table or column is missing, a label is impossible (:func:`~benchmarks.slide.label_checks.check_labels`:
        a negative or non-finite time, an event or class other than 0/1, one class), or there are fewer patients
        than folds.
    """
    folder = CohortFolder(cohort)
    record: CohortRecord = folder.read()
    if record.name != task.cohort:
        problem = f"written for cohort {task.cohort!r}, but '{cohort}' holds {record.name!r}"
        raise TaskError(None, [(f"task {task.name!r}", problem)])
    frame = folder.read_table(task.label.table)
    columns = _columns(frame, task.label.columns, task.label.table)
    twice = sorted(set(frame.index[frame.index.duplicated()].astype(str)))
    if twice:
        msg = (
            f"label table {task.label.table!r} has {len(twice)} patient(s) on several rows (e.g. {twice[:3]}); "
            "a patient is one unit of the folds: keep one row per patient"
        )
        raise CohortError(msg, path=folder.label_path(task.label.table))
    on_disk: dict[str, list[str]] = {}
    files: dict[str, str] = {}
    excluded = Counter[str]()
    for slide in record.slides:
        if (folder.root / slide.file).is_file():
            on_disk.setdefault(slide.patient_id, []).append(slide.slide_id)
            files[slide.slide_id] = slide.file
    labelled = frame[columns].dropna()
    excluded.update({"label missing": len(frame) - len(labelled)})
    listed = {s.patient_id for s in record.slides}
    excluded.update({"slide not downloaded": sum(1 for p in labelled.index if p in listed and p not in on_disk)})
    excluded.update({"no slide in the cohort": sum(1 for p in labelled.index if p not in listed)})
    patients = sorted(p for p in labelled.index.astype(str) if p in on_disk)
    check_labels(task, labelled.loc[patients], columns, path=folder.label_path(task.label.table))
    values = labelled.loc[patients].to_numpy(dtype=np.float64)
    y = values[:, 0] if task.kind == "classification" else values
    control_names: list[str] = []
    control = None
    if task.label.control is not None:
        ctrl_frame = folder.read_table(task.label.control)
        control_names = _columns(ctrl_frame, [control_set_name(c) for c in columns], task.label.control)
        control = ctrl_frame.loc[patients, control_names].to_numpy(dtype=np.float64)
    data = SlideData(
        task=task, cohort=record.name, cohort_hash=folder.content_hash(record), pretraining=record.pretraining,
        patients=patients, slides={p: sorted(on_disk[p]) for p in patients}, target_names=columns, y=y,
        folds=[], split_hash="", control_names=control_names, control=control,
        excluded={k: v for k, v in excluded.items() if v},
        slide_files={s: files[s] for p in patients for s in on_disk[p]},
    )  # fmt: skip
    data.folds = _folds(data, task, task_dir)
    slides_json = json.dumps(data.slides, sort_keys=True).encode()
    base = patient_hash(patients, data.folds, np.asarray(y))
    data.split_hash = hashlib.sha256(base.encode() + slides_json).hexdigest()
    return data


def _folds(data: SlideData, task: SlideTask, task_dir: Path | None) -> list[Fold]:
    spec = task.folds
    if spec.kind == "pathobench" and spec.split is not None:
        path = Path(spec.split)
        if not path.is_absolute() and task_dir is not None:
            path = task_dir / path
        return read_pathobench(path, data.patients)
    return stratified_patient_folds(data.patients, data.strata(), k=spec.k, seed=spec.seed)


@dataclass(frozen=True)
class Bags:
    """One encoder's bags on a task: per patient its tile features and where those tiles are, and the tile count."""

    features: list[np.ndarray]  # per patient (tiles x dim) float32, as ``data.patients``
    places: list[TilePlaces]  # per patient, the same tiles' slides and level-0 pixel corners
    n_tiles: int


def load_bags(feature_folder: Path, data: SlideData) -> Bags:
    """Per patient, the tile features of all its slides (float32, tiles x dim) and their positions on the slides.

    Raises
    ------
    CohortError
        Slides of the task have no features in the folder, or folders mix feature widths.
    """
    from stamp.errors import DataError
    from stamp.slides import SlideFeatureFolder, load_slide_features
    from stamp.slides.features import H5_FOLDER

    store = SlideFeatureFolder(feature_folder)
    have = set(store.slide_ids())
    h5 = {p.stem: p for p in (Path(feature_folder) / H5_FOLDER).glob("*.h5")}
    missing = [s for s in data.slide_ids if s not in have and s not in h5]
    if missing:
        msg = (
            f"{len(missing)} slide(s) of task {data.task.name!r} have no features (e.g. {missing[:3]}); "
            "embed them with "
            "`stamp embed-slides` (or let `stamp-bench run --cohort` do it)"
        )
        raise CohortError(msg, path=feature_folder)
    bags, places, dims = [], [], set()
    try:
        for patient in data.patients:
            parts = [store.load(s) if s in have else load_slide_features(h5[s]) for s in data.slides[patient]]
            features = [p.features for p in parts]
            bag = np.concatenate(features).astype(np.float32) if parts else np.zeros((0, 1), np.float32)
            dims.add(bag.shape[1])
            bags.append(bag)
            corners, sides = [p.coords_px for p in parts], [p.size_px_level0 for p in parts]
            places.append(TilePlaces.join(list(data.slides[patient]), corners, sides))
    except DataError as exc:
        raise CohortError(str(exc), path=feature_folder) from exc
    if len(dims) > 1:
        msg = f"slides of one feature folder have different widths {sorted(dims)}; embed them again with one encoder"
        raise CohortError(msg, path=feature_folder)
    empty = [p for p, b in zip(data.patients, bags, strict=True) if len(b) == 0]
    if empty:
        msg = f"patient(s) {empty[:3]} have no tissue tile in any slide; check their previews and --min-tissue"
        raise CohortError(msg, path=feature_folder)
    return Bags(bags, places, sum(len(b) for b in bags))
