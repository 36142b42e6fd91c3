from __future__ import annotations

import pytest
import yaml

from benchmarks.errors import TaskError
from benchmarks.slide.task import SlideTask
from benchmarks.spot.task import Task
from benchmarks.tasks import load_any_task, load_task, shipped_tasks, task_hash


@pytest.mark.parametrize("name", shipped_tasks())
def test_every_shipped_task_loads(name):
    task = load_any_task(name)
    assert isinstance(task, Task) == (task.tier == 1)
    assert isinstance(task, SlideTask) == (task.tier > 1)
    assert task.name == name


def test_the_tier1_loader_names_the_loader_of_a_tier2_task():
    with pytest.raises(TaskError, match="tier-2 task"):
        load_task("demo-slide-status")


def test_demo_task_is_leave_one_patient_out_with_pathways_and_genes():
    task = load_task("demo-spot")
    assert task.folds.kind == "leave_one_patient_out"
    assert task.targets.pathways == ["hallmark"]
    assert task.targets.top_variable_genes == 50
    assert task.targets.random_sets.enabled


def test_a_typo_is_an_error_with_its_location(tmp_path):
    doc = yaml.safe_load(load_task.__globals__["tasks_dir"]().joinpath("demo-spot.yaml").read_text())
    doc["targets"]["top_variabel_genes"] = 10
    doc["folds"]["kind"] = "random_spots"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(TaskError) as info:
        load_task(path)
    text = str(info.value)
    assert "targets.top_variabel_genes" in text
    assert "folds.kind" in text
    assert len(info.value.problems) == 2


def test_unknown_task_lists_the_shipped_ones():
    with pytest.raises(TaskError, match="demo-spot"):
        load_task("no-such-task")


def test_task_hash_changes_with_content():
    task = load_task("demo-spot")
    other = task.model_copy(update={"bootstrap": 2000})
    assert task_hash(task) == task_hash(load_task("demo-spot"))
    assert task_hash(task) != task_hash(other)


@pytest.mark.parametrize(("name", "schema", "not_schema"), [
    ("demo-slide-status", "benchmarks.slide.task.SlideTask", "benchmarks.spot.task.Task"),
    ("demo-spot", "benchmarks.spot.task.Task", "SlideTask"),
])  # fmt: skip
def test_a_task_error_names_the_schema_of_the_tasks_tier(name, schema, not_schema, tmp_path):
    doc = yaml.safe_load(load_task.__globals__["tasks_dir"]().joinpath(f"{name}.yaml").read_text())
    doc["seeed"] = 1
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(TaskError) as info:
        load_any_task(path)
    assert f"(schema: {schema})" in str(info.value)
    assert not_schema not in str(info.value).replace(schema, "")
    assert "benchmarks.tasks.Task" not in str(info.value)
