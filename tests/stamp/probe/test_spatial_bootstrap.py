"""The spatial block bootstrap: tiles from the spot pitch, paired draws, intervals that widen with autocorrelation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter

from stamp.probe import pearson_columns
from stamp.probe.spatial_bootstrap import block_bootstrap_pearson, spatial_blocks, spot_layout, spot_pitch_um

N = 30  # a 30 x 30 Visium-like lattice, 100 um pitch
XY = np.column_stack([np.mgrid[0:N, 0:N][1].ravel() * 100.0, np.mgrid[0:N, 0:N][0].ravel() * 100.0])
ONE_SLIDE = np.array(["s1"] * XY.shape[0], dtype=object)


def _smooth(rng: np.random.Generator, sigma: float = 3.0) -> np.ndarray:
    """A unit-variance Gaussian random field on the lattice, correlated over ~sigma spots."""
    f = gaussian_filter(rng.normal(size=(N, N)), sigma)
    return ((f - f.mean()) / f.std()).ravel()


def _width(y: np.ndarray, pred: np.ndarray, layout, seed: int) -> float:
    pooled, _ = block_bootstrap_pearson(y[:, None], pred[:, None], layout, n_boot=300, seed=seed)
    lo, hi = np.percentile(pooled, [2.5, 97.5])
    return float(hi - lo)


def test_tiles_are_sized_from_the_spot_pitch():
    assert spot_pitch_um(XY) == pytest.approx(100.0)
    layout = spatial_blocks(XY, ONE_SLIDE, block_pitches=4, min_blocks=10)
    assert layout.side_um == {"s1": pytest.approx(400.0)}
    assert layout.n_blocks == 64  # ceil(30 / 4) ** 2 tiles of 4 x 4 spots
    assert np.bincount(layout.block).max() == 16
    shrunk = spatial_blocks(XY, ONE_SLIDE, block_pitches=16, min_blocks=10)  # 4 tiles < 10: halved to 8 pitches
    assert shrunk.side_um == {"s1": pytest.approx(800.0)}
    assert shrunk.n_blocks >= 10


def test_slides_keep_their_own_tiles_and_frames():
    xy = np.vstack([XY, XY])  # two slides in the same coordinate frame: their tiles must not merge
    slides = np.array(["a"] * XY.shape[0] + ["b"] * XY.shape[0], dtype=object)
    layout = spatial_blocks(xy, slides, block_pitches=4)
    assert layout.n_blocks == 128
    assert set(layout.block[: XY.shape[0]]).isdisjoint(layout.block[XY.shape[0] :])
    assert sorted(set(layout.block_slide.tolist())) == [0, 1]


def test_replicates_are_paired_by_seed_and_centred_on_the_estimate():
    rng = np.random.default_rng(3)
    y = np.column_stack([_smooth(rng), _smooth(rng)])
    pred = y + 0.8 * np.column_stack([_smooth(rng), _smooth(rng)])
    layout = spatial_blocks(XY, ONE_SLIDE)
    a, _ = block_bootstrap_pearson(y, pred, layout, n_boot=400, seed=7)
    b, _ = block_bootstrap_pearson(y, pred, layout, n_boot=400, seed=7)
    np.testing.assert_array_equal(a, b)
    estimate = float(np.mean(pearson_columns(y, pred)))
    lo, hi = np.percentile(a, [2.5, 97.5])
    assert lo < estimate < hi
    assert hi - lo > 0.01


def test_block_intervals_widen_when_spots_are_spatially_autocorrelated():
    """Errors correlated over neighbouring spots make r vary more between tissue samples; the tiles see it."""
    rng = np.random.default_rng(0)
    layout, spots = spatial_blocks(XY, ONE_SLIDE, block_pitches=4), spot_layout(ONE_SLIDE)
    iid, auto, auto_spot = [], [], []
    for seed in range(3):
        y = _smooth(rng)
        independent, correlated = rng.normal(size=y.size), _smooth(rng)  # same variance, different dependence
        iid.append(_width(y, y + independent, layout, seed))
        auto.append(_width(y, y + correlated, layout, seed))
        auto_spot.append(_width(y, y + correlated, spots, seed))
    assert np.mean(auto) > 1.5 * np.mean(iid)
    assert np.mean(auto) > 2.0 * np.mean(auto_spot)  # resampling single spots would hide the dependence


def test_per_slide_replicates_average_the_slides():
    rng = np.random.default_rng(5)
    xy = np.vstack([XY, XY])
    slides = np.array(["a"] * XY.shape[0] + ["b"] * XY.shape[0], dtype=object)
    y = np.concatenate([_smooth(rng), _smooth(rng)])[:, None]
    pred = y + np.concatenate([0.3 * rng.normal(size=XY.shape[0]), 3.0 * rng.normal(size=XY.shape[0])])[:, None]
    pooled, per_slide = block_bootstrap_pearson(y, pred, spatial_blocks(xy, slides), n_boot=200, seed=1)
    ra = pearson_columns(y[: XY.shape[0]], pred[: XY.shape[0]])[0]
    rb = pearson_columns(y[XY.shape[0] :], pred[XY.shape[0] :])[0]
    assert np.median(per_slide) == pytest.approx((ra + rb) / 2, abs=0.03)
    assert np.isfinite(pooled).all()
