"""The demo's pretrained base: region-mix pretraining on synthetic H&E, cached by recipe, loadable as --weights."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from stamp.demo_base import DEMO_BASE_RECIPE, make_demo_base
from stamp.encoders import create_encoder

TINY = dataclasses.replace(
    DEMO_BASE_RECIPE, section_seeds=(9001,), section_um=500.0, stride_um=60.0, steps=4, batch_size=8
)


def test_demo_base_is_written_cached_by_recipe_and_loads_as_weights(tmp_path):
    out = tmp_path / "base.safetensors"
    meta = make_demo_base(out, recipe=TINY, progress=False)
    assert meta["recipe_hash"] == TINY.digest()
    assert int(meta["patches"]) > 8
    stamp = out.stat().st_mtime_ns
    assert make_demo_base(out, recipe=TINY, progress=False)["recipe_hash"] == TINY.digest()
    assert out.stat().st_mtime_ns == stamp  # the same recipe reuses the file
    trained = create_encoder("vit-tiny-test", weights=out).eval()
    untrained = create_encoder("vit-tiny-test", seed=TINY.seed).eval()
    x = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        assert not torch.allclose(trained(x), untrained(x))  # pretraining changed the encoder
    other = dataclasses.replace(TINY, steps=5)
    make_demo_base(out, recipe=other, progress=False)
    assert out.stat().st_mtime_ns != stamp  # a changed recipe rebuilds it


def test_the_eosin_invariance_starts_after_region_learning_and_ramps_up():
    recipe = DEMO_BASE_RECIPE
    assert recipe.invariance_at(0) == recipe.invariance_at(recipe.invariance_start - 1) == 0.0
    first = recipe.invariance_at(recipe.invariance_start)
    assert 0.0 < first < recipe.invariance_weight
    halfway = recipe.invariance_at(recipe.invariance_start + recipe.invariance_ramp // 2 - 1)
    assert halfway == pytest.approx(recipe.invariance_weight / 2)
    assert recipe.invariance_at(recipe.steps - 1) == recipe.invariance_weight
