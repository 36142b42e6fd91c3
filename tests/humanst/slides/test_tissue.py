"""Tissue detection against the synthetic truth: area, glass, marker pen."""

from __future__ import annotations

import numpy as np
import pytest

from humanst.slides import TissueSettings, detect_tissue, open_slide

MASK_UM = 8.0


def _truth(tissue, shape):
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return tissue.sample(tissue.tissue, (cols + 0.5) * MASK_UM, (rows + 0.5) * MASK_UM) > 0.5


@pytest.mark.parametrize("key", ["pyr05", "svs025"])
def test_tissue_mask_matches_the_synthetic_section(synthetic_slides, key):
    with open_slide(synthetic_slides[key]) as slide:
        thumb = slide.read_scaled(MASK_UM)
    mask = detect_tissue(thumb, MASK_UM)
    truth = _truth(synthetic_slides["tissue"], mask.mask.shape)
    iou = (mask.mask & truth).sum() / (mask.mask | truth).sum()
    assert iou > 0.9  # lumens under max_hole_mm2 are filled, so the mask is a little larger than the truth
    assert mask.area_mm2 == pytest.approx(truth.sum() * MASK_UM**2 / 1e6, rel=0.05)


def test_marker_pen_is_not_tissue(synthetic_slides):
    with open_slide(synthetic_slides["pen05"]) as slide:
        thumb = slide.read_scaled(MASK_UM)
    pen = synthetic_slides["pen"].draw(np.zeros(thumb.shape[:2], np.uint8), MASK_UM).astype(bool)
    assert pen.sum() > 100
    mask = detect_tissue(thumb, MASK_UM)
    assert mask.pen_px >= pen.sum()
    assert not (mask.mask & pen).any()
    kept_ink = detect_tissue(thumb, MASK_UM, TissueSettings(exclude_pen=False))
    assert (kept_ink.mask & pen).mean() > 0.5 * pen.mean()  # without the exclusion the ink counts as tissue


def test_blank_glass_has_no_tissue():
    rng = np.random.default_rng(0)
    glass = np.clip(240 + rng.normal(0, 3, (200, 300, 3)), 0, 255).astype(np.uint8)
    assert detect_tissue(glass, MASK_UM).mask.sum() == 0


def test_fraction_is_the_exact_covered_area():
    from humanst.slides import TissueMask

    mask = np.zeros((10, 10), bool)
    mask[2:6, 3:7] = True  # 4 x 4 cells of 8 um
    tm = TissueMask(mask, 8.0, 0.1, 0)
    fractions = tm.fraction(np.array([24.0, 0.0, 20.0]), np.array([16.0, 0.0, 16.0]), np.array([56.0, 16.0, 28.0]),
                            np.array([48.0, 16.0, 24.0]))  # fmt: skip
    np.testing.assert_allclose(fractions, [1.0, 0.0, 0.5], atol=1e-6)
