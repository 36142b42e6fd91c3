from __future__ import annotations

import math

import pytest

from benchmarks.errors import ResultError
from benchmarks.schema import read_result
from benchmarks.spot.compare import compare_results, pick_model_results


def test_a_result_against_itself_differs_by_zero(demo_results):
    (result,) = pick_model_results(demo_results).values()
    rows = compare_results(result, result, n_boot=200)
    assert [r.target for r in rows][:3] == ["pathways:hallmark", "random:hallmark", "genes:top50"]
    assert rows[-1].target.startswith("gap pathways:hallmark")
    for row in rows:
        assert row.diff == pytest.approx(0.0)
        assert row.n_patients == 2  # the demo task holds out P3 and P5


def test_two_patients_give_per_patient_differences_and_no_population_claim(demo_results):
    model = read_result(demo_results / "vit-tiny-test__demo-spot__default.json")
    base = read_result(demo_results / "colour-texture__demo-spot__default.json")
    row = compare_results(base, model, n_boot=500)[0]
    assert not row.population  # 2 shared patients < min_patients 5
    assert math.isnan(row.ci_low)
    assert math.isnan(row.ci_high)
    assert math.isnan(row.p)
    assert sorted(row.per_patient) == ["synth-breast:P3", "synth-colon:P5"]
    for patient, (a, b, d) in row.per_patient.items():
        assert a == base.blocks[0].per_patient[patient]
        assert b == model.blocks[0].per_patient[patient]
        assert d == pytest.approx(b - a)
    expected = model.blocks[0].pearson.mean - base.blocks[0].pearson.mean
    assert row.diff == pytest.approx(expected, abs=1e-9)


def test_enough_patients_get_a_paired_bootstrap(demo_results):
    model = read_result(demo_results / "vit-tiny-test__demo-spot__default.json")
    patients = {f"P{i}": 0.1 * i for i in range(6)}
    block = model.blocks[0].model_copy(update={"per_patient": patients})
    a = model.model_copy(update={"blocks": [block], "gaps": []})
    shifted = block.model_copy(update={"per_patient": {p: v + 0.05 for p, v in patients.items()}})
    b = model.model_copy(update={"blocks": [shifted], "gaps": []})
    (row,) = compare_results(a, b, n_boot=500)
    assert row.population
    assert row.n_patients == 6
    assert row.diff == pytest.approx(0.05)
    assert row.ci_low == pytest.approx(0.05)
    assert row.ci_high == pytest.approx(0.05)
    assert row.p == pytest.approx(1 / 500)


def test_compare_says_no_population_claim_is_made(demo_results, tmp_path):
    from typer.testing import CliRunner

    from benchmarks.cli import app

    model = demo_results / "vit-tiny-test__demo-spot__default.json"
    base = demo_results / "colour-texture__demo-spot__default.json"
    out = CliRunner().invoke(app, ["compare", str(base), str(model)])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "no population claim is made" in text
    assert "synth-breast:P3" in text


def test_different_splits_are_not_compared(demo_results):
    result = read_result(demo_results / "vit-tiny-test__demo-spot__default.json")
    other = result.model_copy(update={"task": result.task.model_copy(update={"split_hash": "0" * 64})})
    with pytest.raises(ResultError, match="different splits"):
        compare_results(result, other)
