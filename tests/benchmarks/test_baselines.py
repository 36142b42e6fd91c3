from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.baselines import baseline_names, get_baseline
from benchmarks.baselines.colour_texture import patch_features
from benchmarks.cache import read_embeddings
from benchmarks.errors import BenchmarkError


def test_features_are_finite_and_see_stain():
    rng = np.random.default_rng(0)
    pink = np.full((64, 64, 3), (230, 150, 200), np.uint8)
    purple = np.clip(rng.normal((90, 60, 150), 20, size=(64, 64, 3)), 0, 255).astype(np.uint8)
    a, b = patch_features(pink), patch_features(purple)
    assert a.shape == b.shape
    assert a.dtype == np.float32
    assert np.isfinite(a).all()
    assert np.isfinite(b).all()
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, patch_features(pink))


def test_colour_texture_cache_over_two_samples_and_reuse(demo_atlas, tmp_path):
    spec = get_baseline("colour-texture")
    folder = spec.func(demo_atlas, tmp_path / "colour-texture", ["demo-hd-p4", "demo-st-p3a"])
    info = json.loads((folder / "cache.json").read_text())
    assert set(info["samples"]) == {"demo-hd-p4", "demo-st-p3a"}
    file = read_embeddings(folder / "demo-hd-p4.safetensors")
    assert file.embeddings.shape[0] == len(file.spot_ids) > 0
    stamp_before = (folder / "demo-hd-p4.safetensors").stat().st_mtime_ns
    spec.func(demo_atlas, tmp_path / "colour-texture", ["demo-hd-p4"])
    assert (folder / "demo-hd-p4.safetensors").stat().st_mtime_ns == stamp_before  # unchanged: not recomputed


def test_registry():
    assert "colour-texture" in baseline_names()
    with pytest.raises(BenchmarkError, match="known: colour-texture"):
        get_baseline("nope")
