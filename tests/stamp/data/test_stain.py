"""Stain scaling in optical-density space: the demo base's eosin invariance is taught with it."""

from __future__ import annotations

import numpy as np
import torch

from humanst.synth import EOSIN_OD, HEMATOXYLIN_OD
from stamp.data.stain import scale_stain


def _mix(h: np.ndarray, e: np.ndarray) -> torch.Tensor:
    od = h[..., None] * HEMATOXYLIN_OD + e[..., None] * EOSIN_OD  # (n, H, W, 3)
    return torch.from_numpy(np.exp(-od)).float().permute(0, 3, 1, 2)


def test_scaling_the_eosin_scales_its_concentration_and_keeps_the_haematoxylin():
    rng = np.random.default_rng(0)
    h, e = rng.uniform(0, 1.0, (2, 6, 6)), rng.uniform(0.1, 0.8, (2, 6, 6))
    images = _mix(h, e)
    np.testing.assert_allclose(scale_stain(images, torch.ones(2)).numpy(), images.numpy(), atol=1e-5)
    scaled = scale_stain(images, torch.tensor([0.5, 1.5]))
    expected = _mix(h, e * np.array([0.5, 1.5])[:, None, None])
    np.testing.assert_allclose(scaled.numpy(), expected.numpy(), atol=2e-4)
    only_h = scale_stain(images, torch.tensor([0.5, 1.5]), stain="hematoxylin")
    np.testing.assert_allclose(only_h.numpy(), _mix(h * np.array([0.5, 1.5])[:, None, None], e).numpy(), atol=2e-4)
