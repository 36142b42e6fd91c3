"""The report's per-target gains: an interval over patients only when enough patients are held out."""

from __future__ import annotations

import numpy as np

from benchmarks.report.gains import target_gains
from benchmarks.spot.predictions import BlockPredictions, SpotPredictions


def _predictions(n_patients: int, noise: float, seed: int) -> SpotPredictions:
    rng = np.random.default_rng(seed)
    spots = 40
    patients = np.repeat([f"P{i}" for i in range(n_patients)], spots)
    measured = np.random.default_rng(0).normal(size=(patients.size, 1)).astype(np.float32)
    predicted = (measured + noise * rng.normal(size=measured.shape)).astype(np.float32)
    ids = np.asarray([f"s{i}" for i in range(patients.size)], dtype=object)
    block = BlockPredictions("hallmark", "pathways", "", ["SET_A"], measured, predicted)
    return SpotPredictions(
        sample_ids=patients.astype(object), spot_ids=ids, patient_ids=patients.astype(object),
        folds=patients.astype(object), blocks={"hallmark": block},
    )  # fmt: skip


def test_two_patients_give_per_patient_values_and_no_interval():
    a, b = _predictions(2, 2.0, 1), _predictions(2, 0.5, 2)
    (gain,) = target_gains(a, b, "hallmark", n_boot=200)
    assert gain.gain.n == 2
    assert len(gain.gain.per_patient) == 2
    assert np.isnan(gain.gain.low)
    assert np.isnan(gain.a.low)
    assert np.isnan(gain.gain.p)
    assert gain.gain.diff == np.mean(gain.gain.per_patient)
    assert "no CI" in gain.gain.text()
    assert "per patient" in gain.a.text()


def test_enough_patients_give_a_bootstrap_interval_around_the_mean():
    a, b = _predictions(6, 2.0, 1), _predictions(6, 0.5, 2)
    (gain,) = target_gains(a, b, "hallmark", n_boot=200)
    assert gain.gain.n == 6
    assert gain.gain.per_patient == ()
    assert gain.gain.low <= gain.gain.diff <= gain.gain.high
    assert gain.gain.diff > 0
    assert "[" in gain.gain.text()
