from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import pearsonr

from benchmarks.spot.data import SpotData
from benchmarks.spot.folds import patient_folds
from benchmarks.spot.probe import TargetBlock
from benchmarks.spot.task import FoldSpec
from benchmarks.stats import bootstrap_ci, paired_bootstrap, pearson_columns
from benchmarks.tasks import load_task
from benchmarks.tiers import get_tier


def test_pearson_columns_matches_scipy_and_flags_constant_columns():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    b[:, 2] = 1.0
    r = pearson_columns(a, b)
    for j in range(2):
        assert r[j] == pytest.approx(pearsonr(a[:, j], b[:, j])[0], abs=1e-12)
    assert np.isnan(r[2])


def test_bootstrap_ci_brackets_the_mean_and_ignores_nan():
    values = np.array([0.2, 0.4, 0.5, 0.3, np.nan, 0.6])
    lo, hi = bootstrap_ci(values, n_boot=2000, seed=0)
    assert lo < np.nanmean(values) < hi
    assert lo >= 0.2
    assert hi <= 0.6


def test_paired_bootstrap_of_a_constant_shift():
    a = np.array([0.1, 0.5, 0.3, 0.7, 0.2])
    out = paired_bootstrap(a + 0.1, a, n_boot=500)
    assert out["diff"] == pytest.approx(0.1)
    assert out["ci_low"] == pytest.approx(0.1)
    assert out["ci_high"] == pytest.approx(0.1)
    assert out["p"] == pytest.approx(1 / 500)


def _synthetic(noise_sd: float, seed: int = 0):
    """Five patients, 10 independent unit-variance targets; embeddings = targets + N(0, noise_sd^2) + 20 noise dims."""
    rng = np.random.default_rng(seed)
    n_per, n_targets = 150, 10
    patients = np.repeat([f"P{i}" for i in range(5)], n_per).astype(object)
    samples = np.array([f"{p}-s{i % 2}" for i, p in enumerate(patients)], dtype=object)
    y = rng.normal(size=(patients.size, n_targets))
    x = np.hstack([y + noise_sd * rng.normal(size=y.shape), rng.normal(size=(patients.size, 20))])
    data = SpotData(
        sample_ids=samples,
        spot_ids=np.array([f"spot{i}" for i in range(patients.size)], dtype=object),
        patient_ids=patients,
        genes=[],
        counts=None,  # type: ignore[arg-type]
        pathways={},
        score_params={},
        tables={},
    )
    block = TargetBlock("pathways:synthetic", "pathways", [f"t{j}" for j in range(n_targets)], y)
    return x.astype(np.float32), data, block


def all_patients_task():
    """The demo task's probe settings with leave-one-patient-out over every patient."""
    task = load_task("demo-spot")
    return task.model_copy(update={"folds": FoldSpec()})


@pytest.mark.parametrize("noise_sd", [0.5, 1.0, 2.0])
def test_tier1_pearson_on_targets_plus_noise_is_as_expected(noise_sd):
    """With x = y + e (unit-variance y, noise sd s), the best linear predictor has r = 1 / sqrt(1 + s^2)."""
    x, data, block = _synthetic(noise_sd)
    task = all_patients_task()
    folds = patient_folds(data.patient_ids, task.folds)
    outcome = get_tier(1).evaluate(x, [block], folds, data, task)[0]
    expected = 1.0 / np.sqrt(1.0 + noise_sd**2)
    pooled = np.mean(list(outcome.pooled.values()))
    per_slide = np.mean(list(outcome.per_slide.values()))
    assert pooled == pytest.approx(expected, abs=0.04)
    assert per_slide == pytest.approx(expected, abs=0.05)
    assert len(outcome.pooled) == 5
    assert outcome.n_targets == 10


def test_tier1_on_pure_noise_is_near_zero():
    x, data, block = _synthetic(1.0)
    rng = np.random.default_rng(5)
    x = rng.normal(size=x.shape).astype(np.float32)
    task = all_patients_task()
    outcome = get_tier(1).evaluate(x, [block], patient_folds(data.patient_ids, task.folds), data, task)[0]
    assert abs(np.mean(list(outcome.pooled.values()))) < 0.08
