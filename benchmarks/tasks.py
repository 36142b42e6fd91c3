"""Benchmark tasks as data: pydantic models loaded from ``manifests/benchmarks/*.yaml``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from benchmarks.errors import TaskError
from benchmarks.slide_tasks import SlideTask
from humanst.resources import manifests_dir

__all__ = [
    "AnyTask",
    "FoldSpec",
    "IntervalSpec",
    "ProbeSpec",
    "RandomSetSpec",
    "TargetSpec",
    "Task",
    "load_any_task",
    "load_task",
    "shipped_tasks",
    "task_hash",
]

SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FoldSpec(_Strict):
    """How spots are split: by patient, never by spot."""

    kind: Literal["leave_one_patient_out", "patient_kfold"] = "leave_one_patient_out"
    k: int = Field(5, ge=2, description="Folds for patient_kfold (patients are shuffled, then dealt out).")
    seed: int = 0
    held_out_patients: list[str] | None = Field(
        None,
        description="leave_one_patient_out only: hold out just these patients, one fold each (e.g. the patients "
        "an adapter never saw); the probe trains on every other patient.",
    )


class RandomSetSpec(_Strict):
    """Size- and expression-matched random gene sets scored beside every pathway collection."""

    enabled: bool = True
    n_bins: int = Field(25, ge=2, description="Expression bins for matching (as the pathway engine's controls).")
    seed: int = 0


class TargetSpec(_Strict):
    """What is predicted from the embeddings."""

    pathways: list[str] = Field(default_factory=list, description="Pathway collections scored in the atlas.")
    top_variable_genes: int = Field(50, ge=0, description="Top-k variable genes (CP10k + log1p), chosen on train.")
    random_sets: RandomSetSpec = RandomSetSpec()

    @model_validator(mode="after")
    def _some_target(self) -> TargetSpec:
        if not self.pathways and self.top_variable_genes == 0:
            msg = "targets: name at least one pathway collection or set top_variable_genes > 0"
            raise ValueError(msg)
        return self


class ProbeSpec(_Strict):
    """The linear probe: standardise -> PCA (fit on train) -> ridge with alpha by inner patient CV."""

    pca_components: int = Field(256, ge=1)
    alphas: list[float] = Field(default_factory=lambda: [0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5])
    inner_folds: int = Field(3, ge=2)
    hest_alpha_numerator: float = Field(100.0, gt=0, description="HEST protocol: alpha = this / (dims * targets).")


class IntervalSpec(_Strict):
    """Which interval a metric gets: a bootstrap over patients, or with few patients a spatial block bootstrap."""

    min_patients: int = Field(
        5,
        ge=2,
        description="Below this many held-out patients the patient bootstrap is not used: intervals come from a "
        "spatial block bootstrap within the patients (benchmarks.spatial_bootstrap) and make no population claim.",
    )
    block_pitches: float = Field(4.0, ge=0, description="Tile side of the block bootstrap, in spot pitches.")
    min_blocks: int = Field(10, ge=2, description="Halve the tile side while a patient has fewer tiles.")


class Task(_Strict):
    """A tier-1 task over an atlas: samples, patient folds, targets, probe and bootstrap settings."""

    schema_version: Literal[1] = 1
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    description: str = ""
    tier: Literal[1] = 1
    atlas: str = Field(description="Atlas name (the manifest's `name`) the task was written for.")
    samples: list[str] | Literal["all"] = "all"
    folds: FoldSpec = FoldSpec()
    targets: TargetSpec
    probe: ProbeSpec = ProbeSpec()
    bootstrap: int = Field(1000, ge=100, description="Bootstrap resamples for the 95% intervals.")
    intervals: IntervalSpec = IntervalSpec()
    seed: int = 0


AnyTask = Task | SlideTask
_MODEL_OF_TIER: dict[object, type[Task] | type[SlideTask]] = {1: Task, 2: SlideTask, 3: SlideTask}


def task_hash(task: Task | SlideTask) -> str:
    """Return the sha256 of the task's canonical JSON (what a result's ``task_hash`` must equal)."""
    text = json.dumps(task.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def tasks_dir() -> Path:
    """Return the folder of shipped task files (``manifests/benchmarks``)."""
    return manifests_dir() / "benchmarks"


def shipped_tasks() -> list[str]:
    """Names of the shipped tasks (file stems in ``manifests/benchmarks``)."""
    return sorted(p.stem for p in tasks_dir().glob("*.yaml"))


def load_any_task(name_or_path: str | Path) -> Task | SlideTask:
    """Load a task of any tier by shipped name or YAML path (tier 1: :class:`Task`, tiers 2-3: :class:`SlideTask`).

    Raises
    ------
    TaskError
        The file is missing, not YAML, or does not match its tier's schema (every problem listed).
    """
    key = str(name_or_path)
    path = Path(key)
    if not path.suffix and key in shipped_tasks():
        path = tasks_dir() / f"{key}.yaml"
    if not path.is_file():
        problem = f"no such file; shipped tasks: {', '.join(shipped_tasks()) or 'none'}"
        raise TaskError(path, [("file", problem)])
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TaskError(path, [("yaml", str(exc))]) from exc
    if not isinstance(doc, dict):
        raise TaskError(path, [("file", "expected a mapping of task keys")])
    model = _MODEL_OF_TIER.get(doc.get("tier", 1))
    if model is None:
        raise TaskError(path, [("tier", f"expected 1, 2 or 3, found {doc.get('tier')!r}")])
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        problems = [(".".join(map(str, e["loc"])) or "task", e["msg"]) for e in exc.errors()]
        raise TaskError(path, problems) from exc


def load_task(name_or_path: str | Path) -> Task:
    """Load a tier-1 task by shipped name or from a YAML path; every schema problem is listed with its location.

    Raises
    ------
    TaskError
        The file is missing, not YAML, does not match :class:`Task`, or is a tier-2/3 task (load it with
        :func:`load_any_task`).
    """
    task = load_any_task(name_or_path)
    if not isinstance(task, Task):
        raise TaskError(name_or_path, [("tier", f"task {task.name!r} is a tier-{task.tier} task, not a tier-1 one")])
    return task
