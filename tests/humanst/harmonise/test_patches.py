"""Patches: the field of view in microns, area resampling, white padding where the window leaves the image."""

from __future__ import annotations

import numpy as np

from humanst.harmonise.patches import iter_patches
from humanst.manifest import PatchSpec


def test_patch_inside_the_image_is_the_resampled_window():
    image = np.zeros((40, 40, 3), dtype=np.uint8)
    image[:, 20:] = 200  # right half bright
    spec = PatchSpec(size_px=16, um_per_px=1.0)  # 16 um field of view
    ((patch, padded),) = list(iter_patches(image, np.array([[20.0, 20.0]]), 0.5, spec))  # 32 source px
    assert patch.shape == (16, 16, 3)
    assert not padded
    assert (patch[:, :8] == 0).all()
    assert (patch[:, 8:] == 200).all()


def test_window_past_the_edge_is_padded_white_and_flagged():
    image = np.full((20, 20, 3), 10, dtype=np.uint8)
    spec = PatchSpec(size_px=20, um_per_px=1.0)
    (patch, padded), (inner, inner_padded) = iter_patches(image, np.array([[0.0, 10.0], [10.0, 10.0]]), 1.0, spec)
    assert padded
    assert not inner_padded
    assert (patch[:, :10] == 255).all(), "the half left of the image is white"
    assert (patch[:, 10:] == 10).all()
    assert (inner == 10).all()
