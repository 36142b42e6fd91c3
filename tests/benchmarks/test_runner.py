"""The demo run through the CLI: vit-tiny-test via stamp embed, its random-weights twin, colour/texture."""

from __future__ import annotations

import json

import pytest

from benchmarks.runner import entries_for
from benchmarks.schema import read_result


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
    from benchmarks.runner import check_adapter_held_out

    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"train_patients": ["synth-breast:P1", "synth-breast:P3"]}))
    with pytest.raises(BenchmarkError, match=r"trained on patient\(s\) \['synth-breast:P3'\]"):
        check_adapter_held_out(run, prepared)
    (run / "run.json").write_text(json.dumps({"train_patients": ["synth-breast:P1", "synth-breast:P2"]}))
    check_adapter_held_out(run, prepared)
