"""The micron grid: same tiles at 0.25 and 0.5 um/px, count matching the tissue, coordinates on the right tissue."""

from __future__ import annotations

import numpy as np
import pytest

from humanst.slides import TilingSettings, iter_tile_blocks, open_slide, prepare_slide, read_level_for
from humanst.synth import REGIONS

SETTINGS = TilingSettings()
TILE_UM = SETTINGS.tile_um


def _plan(path, settings=SETTINGS):
    with open_slide(path) as slide:
        return prepare_slide(slide, settings).plan


def _truth_fraction(tissue, x0_um, y0_um, samples=16):
    offsets = (np.arange(samples) + 0.5) / samples * TILE_UM
    xs = x0_um[:, None, None] + offsets[None, None, :]
    ys = y0_um[:, None, None] + offsets[None, :, None]
    xs, ys = np.broadcast_arrays(xs, ys)
    return (tissue.sample(tissue.tissue, xs, ys) > 0.5).mean(axis=(1, 2))


@pytest.fixture(scope="module")
def plans(synthetic_slides):
    return {key: _plan(synthetic_slides[key]) for key in ("pyr05", "svs025", "pyr025")}


def test_same_grid_in_microns_at_both_resolutions(plans):
    coarse, fine = plans["pyr05"], plans["svs025"]
    assert coarse.grid_shape == fine.grid_shape == (8, 10)
    a = {tuple(c) for c in coarse.coords_um}
    b = {tuple(c) for c in fine.coords_um}
    assert len(a & b) / len(a | b) >= 0.95  # tissue fractions differ a little at the edges of the section
    common = sorted(a & b)
    px_coarse = {tuple(u): tuple(p) for u, p in zip(map(tuple, coarse.coords_um), coarse.coords_px, strict=True)}
    px_fine = {tuple(u): tuple(p) for u, p in zip(map(tuple, fine.coords_um), fine.coords_px, strict=True)}
    for key in common:
        assert np.array_equal(np.array(px_fine[key]), 2 * np.array(px_coarse[key]))  # level-0 pixels follow um/px
    assert coarse.size_px_level0 == 224
    assert fine.size_px_level0 == 448


def test_tile_count_matches_the_tissue_area(plans, synthetic_slides):
    """Stated tolerance: within 5% (+2 tiles) of the grid tiles whose true tissue fraction passes the threshold."""
    tissue = synthetic_slides["tissue"]
    rows, cols = plans["pyr05"].grid_shape
    grid_r, grid_c = np.mgrid[0:rows, 0:cols]
    truth = _truth_fraction(tissue, grid_c.ravel() * TILE_UM, grid_r.ravel() * TILE_UM)
    expected = int((truth >= SETTINGS.min_tissue).sum())
    for plan in plans.values():
        assert abs(len(plan) - expected) <= 0.05 * expected + 2
    kept_truth = _truth_fraction(tissue, plans["pyr05"].coords_um[:, 0], plans["pyr05"].coords_um[:, 1])
    assert (kept_truth >= 0.2).mean() >= 0.95  # kept tiles lie on tissue, not on glass


def test_tiles_show_the_tissue_at_their_coordinates(plans, synthetic_slides):
    image = synthetic_slides["image"]  # the 0.5 um/px rendering the files were written from
    for key in ("pyr05", "svs025", "pyr025"):
        plan = plans[key]
        with open_slide(synthetic_slides[key]) as slide:
            blocks = list(iter_tile_blocks(slide, plan, 224))
            level = read_level_for(slide, plan, 224)
        assert level == {"pyr05": 0, "svs025": 0, "pyr025": 1}[key]  # the best level, never finer than needed
        tiles = np.empty((len(plan), 224, 224, 3), np.uint8)
        for block in blocks:
            tiles[block.indices] = block.pixels
        x0 = np.round(plan.coords_um[:, 0] / 0.5).astype(int)
        y0 = np.round(plan.coords_um[:, 1] / 0.5).astype(int)
        here = np.array(
            [
                np.abs(tiles[i].astype(int) - image[y : y + 224, x : x + 224]).mean()
                for i, (x, y) in enumerate(zip(x0, y0, strict=True))
            ]
        )
        shifted = np.array(
            [
                np.abs(tiles[i].astype(int) - image[y : y + 224, x + 112 : x + 336]).mean()
                for i, (x, y) in enumerate(zip(x0, y0, strict=True))
                if x + 336 <= image.shape[1]
            ]
        )
        assert np.median(here) < 4.0, key  # JPEG and resampling only
        assert np.median(shifted) > 3 * np.median(here), key


def test_tiles_follow_the_region_map(plans, synthetic_slides):
    """Immune tiles (dense small nuclei) are darker in haematoxylin than stroma tiles, as the truth map says."""
    tissue, plan = synthetic_slides["tissue"], plans["pyr05"]
    centres = plan.coords_um + TILE_UM / 2
    region = tissue.sample(tissue.region_prob, centres[:, 0], centres[:, 1]).argmax(axis=0)
    with open_slide(synthetic_slides["pyr05"]) as slide:
        tiles = np.empty((len(plan), 224, 224, 3), np.uint8)
        for block in iter_tile_blocks(slide, plan, 224):
            tiles[block.indices] = block.pixels
    dark = (tiles.mean(axis=3) < 120).mean(axis=(1, 2))
    immune, stroma = region == REGIONS.index("immune"), region == REGIONS.index("stroma")
    assert immune.sum() >= 3
    assert stroma.sum() >= 3
    assert dark[immune].mean() > 1.5 * dark[stroma].mean()


def test_block_reads_equal_tile_by_tile_reads(plans, synthetic_slides):
    for key in ("svs025", "pyr05"):
        with open_slide(synthetic_slides[key]) as slide:
            one = {int(b.indices[0]): b.pixels[0] for b in iter_tile_blocks(slide, plans[key], 224, block_tiles=1)}
            for block in iter_tile_blocks(slide, plans[key], 224, block_tiles=4):
                for index, pixels in zip(block.indices, block.pixels, strict=True):
                    assert np.abs(pixels.astype(int) - one[int(index)]).max() <= 1


def test_max_tiles_is_a_seeded_subset(synthetic_slides, plans):
    full = plans["pyr05"]
    a = _plan(synthetic_slides["pyr05"], TilingSettings(max_tiles=10, seed=3))
    b = _plan(synthetic_slides["pyr05"], TilingSettings(max_tiles=10, seed=3))
    c = _plan(synthetic_slides["pyr05"], TilingSettings(max_tiles=10, seed=4))
    assert len(a) == 10
    assert a.n_with_tissue == len(full)
    np.testing.assert_array_equal(a.coords_px, b.coords_px)
    assert not np.array_equal(a.coords_px, c.coords_px)
    assert {tuple(p) for p in a.coords_px} <= {tuple(p) for p in full.coords_px}
