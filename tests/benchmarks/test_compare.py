from __future__ import annotations

import pytest

from benchmarks.compare import compare_results, pick_model_results
from benchmarks.errors import ResultError
from benchmarks.schema import read_result


def test_a_result_against_itself_differs_by_zero(demo_results):
    (result,) = pick_model_results(demo_results).values()
    rows = compare_results(result, result, n_boot=200)
    assert [r.target for r in rows][:3] == ["pathways:hallmark", "random:hallmark", "genes:top50"]
    assert rows[-1].target.startswith("gap pathways:hallmark")
    for row in rows:
        assert row.diff == pytest.approx(0.0)
        assert row.n_patients == 2  # the demo task holds out P3 and P5


def test_model_vs_random_weights_paired(demo_results):
    model = read_result(demo_results / "vit-tiny-test__demo-spot__default.json")
    base = read_result(demo_results / "vit-tiny-test+random__demo-spot__default.json")
    row = compare_results(base, model, n_boot=500)[0]
    expected = model.blocks[0].pearson.mean - base.blocks[0].pearson.mean
    assert row.diff == pytest.approx(expected, abs=1e-9)
    assert row.ci_low <= row.diff <= row.ci_high


def test_different_splits_are_not_compared(demo_results):
    result = read_result(demo_results / "vit-tiny-test__demo-spot__default.json")
    other = result.model_copy(update={"task": result.task.model_copy(update={"split_hash": "0" * 64})})
    with pytest.raises(ResultError, match="different splits"):
        compare_results(result, other)
