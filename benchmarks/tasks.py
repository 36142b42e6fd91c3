"""The catalog of task files of every tier: load by shipped name or path, list the shipped ones, hash.

Tier 1's model is :class:`benchmarks.spot.task.Task`; tiers 2-3's is :class:`benchmarks.slide.task.SlideTask`.
Shipped task files live in ``manifests/benchmarks/*.yaml``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from benchmarks.errors import TaskError
from benchmarks.slide.task import SlideTask
from benchmarks.spot.task import Task
from humanst.resources import manifests_dir

__all__ = ["AnyTask", "load_any_task", "load_task", "shipped_tasks", "task_hash", "tasks_dir"]

AnyTask = Task | SlideTask
_MODEL_OF_TIER: dict[object, type[Task] | type[SlideTask]] = {1: Task, 2: SlideTask, 3: SlideTask}


# fields added after tasks were first hashed: left out of the hash while empty, so older tasks keep their hash
ADDED_WHEN_SET = ("negative_control_of",)


def task_hash(task: Task | SlideTask) -> str:
    """Return the sha256 of the task's canonical JSON (what a result's ``task_hash`` must equal)."""
    doc = task.model_dump(mode="json")
    for added in ADDED_WHEN_SET:
        if added in doc and not doc[added]:
            del doc[added]
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
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
        raise TaskError(path, problems, schema=f"{model.__module__}.{model.__qualname__}") from exc


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
