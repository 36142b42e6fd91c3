"""The demo run through the CLI: vit-tiny-test via stamp embed, its random-weights twin, colour/texture."""

from __future__ import annotations

import json

import pytest

from benchmarks.runner import entries_for
from benchmarks.schema import read_result
from tests.conftest import run_info_json


def test_run_writes_the_encoder_and_both_baselines(demo_results):
    files = sorted(p.name for p in demo_results.glob("*.json"))
    assert files == [
        "colour-texture__demo-spot__default.json",
        "vit-tiny-test+random__demo-spot__default.json",
        "vit-tiny-test__demo-spot__default.json",
    ]
    model = read_result(demo_results / "vit-tiny-test__demo-spot__default.json")
    assert model.kind == "model"
    assert model.encoder == "vit-tiny-test"
    assert [b.name for b in model.blocks] == ["pathways:hallmark", "random:hallmark", "genes:top50"]
    assert model.gaps[0].pathways == "pathways:hallmark"
    assert model.gaps[0].control == "random:hallmark"
    assert sorted(model.blocks[0].per_patient) == ["synth-breast:P3", "synth-colon:P5"]  # the held-out patients
    assert set(model.blocks[0].per_patient) <= set(model.task.patients)
    for block in model.blocks:
        assert block.pearson.mean is not None
        assert block.pearson.ci_low <= block.pearson.mean <= block.pearson.ci_high
    baseline = read_result(demo_results / "vit-tiny-test+random__demo-spot__default.json")
    assert baseline.kind == "baseline"
    assert baseline.weights == "random"
    assert baseline.task.split_hash == model.task.split_hash


def test_result_records_provenance(demo_results):
    doc = json.loads((demo_results / "vit-tiny-test__demo-spot__default.json").read_text())
    for key in ("schema_version", "code_version", "embeddings_hash", "hardware", "wall_time_s", "digest"):
        assert doc[key] not in (None, "")
    for key in ("task_hash", "atlas_hash", "split_hash"):
        assert len(doc["task"][key]) == 64


def test_entries_for_adds_the_two_baselines(tmp_path):
    entries = entries_for("vit-tiny-test", adapter=tmp_path)
    assert [(e.encoder, e.random_init, e.kind) for e in entries] == [
        ("vit-tiny-test", False, "model"),
        ("vit-tiny-test", True, "baseline"),
        ("colour-texture", False, "baseline"),
    ]
    assert entries[0].adapter == tmp_path
    assert len(entries_for("vit-tiny-test", baselines=False)) == 1


def test_an_adapter_is_never_scored_on_its_training_patients(prepared, tmp_path):
    from benchmarks.errors import BenchmarkError
    from benchmarks.runner import check_adapter_unseen

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps(run_info_json(train_patients=["synth-breast:P1", "synth-breast:P3"])))
    with pytest.raises(BenchmarkError, match=r"trained on patient\(s\) \['synth-breast:P3'\]"):
        check_adapter_unseen(run, {p for f in prepared.folds for p in f.test_patients}, prepared.task.name)
    (run / "run.json").write_text(json.dumps(run_info_json(train_patients=["synth-breast:P1", "synth-breast:P2"])))
    check_adapter_unseen(run, {p for f in prepared.folds for p in f.test_patients}, prepared.task.name)


def test_two_held_out_patients_get_spatial_block_intervals_not_a_patient_bootstrap(demo_results):
    """The issue's case: with 2 patients the old '95% CI' collapsed to [0.369, 0.369]; now it is a labelled block CI."""
    from benchmarks.spot.integrity import consistency_problems

    model = read_result(demo_results / "vit-tiny-test__demo-spot__default.json")
    assert model.intervals.kind == "spatial_block_bootstrap"
    assert model.intervals.min_patients == 5
    assert "no population claim" in model.intervals.note
    assert set(model.intervals.block_um) == set(model.blocks[0].per_slide)  # one tile size per test slide
    for block in model.blocks:
        for metric in (block.pearson, block.pearson_slide):
            assert metric.interval == "spatial_block_bootstrap"
            assert metric.n_patients == 2
            assert metric.ci_low < metric.mean < metric.ci_high  # an interval, not a point
        assert sorted(block.per_patient_ci) == ["synth-breast:P3", "synth-colon:P5"]
        for patient, (lo, hi) in block.per_patient_ci.items():
            assert lo <= block.per_patient[patient] <= hi
            assert lo < hi
    assert model.gaps[0].gap.interval == "spatial_block_bootstrap"
    assert consistency_problems(model) == []


def test_one_held_out_patient_gets_a_block_interval_of_its_own(demo_atlas, demo_task, informative_cache):
    from benchmarks.spot.runner import evaluate_cache, prepare_task
    from benchmarks.spot.task import FoldSpec

    one = demo_task.model_copy(update={"folds": FoldSpec(held_out_patients=["synth-breast:P3"])})
    result, _ = evaluate_cache(prepare_task(demo_atlas, one), informative_cache, kind="model")
    pathways = result.block("pathways:hallmark")
    assert list(pathways.per_patient) == ["synth-breast:P3"]
    metric = pathways.pearson
    assert metric.interval == "spatial_block_bootstrap"
    assert metric.n_patients == 1
    assert metric.ci_low < metric.mean < metric.ci_high  # a patient bootstrap would give [mean, mean]
    assert pathways.per_patient_ci["synth-breast:P3"] == pytest.approx((metric.ci_low, metric.ci_high))
