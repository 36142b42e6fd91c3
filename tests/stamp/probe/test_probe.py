"""The shared probe: ridge from one SVD equals scikit-learn, and the penalty is tuned even with one patient."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from stamp.probe import choose_penalties, penalty_splits, ridge_path_mse, standardise_pca


def test_ridge_path_equals_sklearn_for_every_alpha():
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(80, 6)), rng.normal(size=(80, 3))
    fit, val = np.arange(60), np.arange(60, 80)
    mse = ridge_path_mse(z, y, fit, val, [0.1, 10.0])
    for a, alpha in enumerate([0.1, 10.0]):
        pred = Ridge(alpha=alpha).fit(z[fit], y[fit]).predict(z[val])
        np.testing.assert_allclose(mse[a], ((pred - y[val]) ** 2).mean(0), rtol=1e-8)


def _one_patient(n_per_slide: int = 120, n_slides: int = 2, noise: float = 3.0):
    rng = np.random.default_rng(1)
    n = n_per_slide * n_slides
    z = rng.normal(size=(n, 40))
    y = np.stack([z[:, 0] + noise * rng.normal(size=n), z[:, 1] * 0.0 + rng.normal(size=n)], axis=1)
    slides = np.repeat([f"s{i}" for i in range(n_slides)], n_per_slide)
    coords = rng.uniform(0, 1000, size=(n, 2))
    return z, y, np.array(["P1"] * n), slides, coords


def test_one_patient_with_two_slides_tunes_the_penalty_by_leave_one_slide_out():
    z, y, patients, slides, _coords = _one_patient()
    choice = choose_penalties(z, y, patients, [0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5], 3, slides=slides)
    assert choice.method == "slides"
    for fit_rows, val_rows in choice.splits.splits:  # a slide is never on both sides
        assert not set(slides[fit_rows]) & set(slides[val_rows])
    # pure noise (target 1) wants the strongest penalty; a noisy signal a weaker one; the fixed rule gave 1e3 to both
    assert choice.alphas[1] == 1e5
    assert choice.alphas[0] < choice.alphas[1]
    assert "slide" in choice.describe()


def test_one_slide_uses_spatial_blocks_and_without_coordinates_a_fixed_penalty():
    z, y, patients, slides, coords = _one_patient(n_slides=1)
    splits = penalty_splits(patients, 3, slides=slides, coords=coords)
    assert splits.method == "spatial"
    assert len(splits.splits) == 3
    for fit_rows, val_rows in splits.splits:  # blocks are compact: held-out spots sit nearer their own centroid
        centre_val, centre_fit = coords[val_rows].mean(0), coords[fit_rows].mean(0)
        near = np.linalg.norm(coords[val_rows] - centre_val, axis=1) < np.linalg.norm(
            coords[val_rows] - centre_fit, axis=1
        )
        assert near.mean() > 0.8
    fixed = choose_penalties(z, y, patients, [1.0, 10.0, 100.0], 3, slides=slides)
    assert fixed.method == "fixed"
    assert set(fixed.alphas.tolist()) == {10.0}
    assert penalty_splits(np.array(["A", "B", "A", "C"]), 3).method == "patients"


def test_standardise_pca_uses_only_the_fit_rows():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 8))
    x_poisoned = x.copy()
    x_poisoned[40:] *= 1e6
    a = standardise_pca(x, np.arange(40), 5)
    b = standardise_pca(x_poisoned, np.arange(40), 5)
    np.testing.assert_allclose(a[:40], b[:40])


@pytest.mark.parametrize(
    "code", ["import stamp.probe", "import stamp.train.config as c; c.load_config(None, {'atlas': 'A'})"]
)
def test_the_probe_and_config_reads_leave_torch_out(code):
    check = f"import sys; {code}; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"
