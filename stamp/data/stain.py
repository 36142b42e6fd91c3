"""Stain augmentation in optical-density space: scale one stain of an H&E patch (colour deconvolution, Ruifrok 2001).

``x -> OD = -log(x) -> concentrations C = OD M^-1 -> C[:, stain] *= f -> x' = exp(-C M)``, with ``M`` the
haematoxylin, eosin and residual unit OD vectors (the ones :mod:`humanst.synth.render` mixes with). An encoder trained
to give the same embedding whatever ``f`` learns to ignore how strongly that stain took: HED jitter (Tellez et al.,
2018), and the demo base's eosin blindness (docs/positive-control.md).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["STAINS", "scale_stain"]

STAINS: tuple[str, ...] = ("hematoxylin", "eosin", "residual")


def _stain_matrix() -> torch.Tensor:
    """Rows: unit OD vectors of haematoxylin, eosin and their cross product (the residual channel)."""
    from humanst.synth.render import EOSIN_OD, HEMATOXYLIN_OD

    h = HEMATOXYLIN_OD / np.linalg.norm(HEMATOXYLIN_OD)
    e = EOSIN_OD / np.linalg.norm(EOSIN_OD)
    r = np.cross(h, e)
    return torch.tensor(np.stack([h, e, r / np.linalg.norm(r)]), dtype=torch.float32)


def scale_stain(images: torch.Tensor, factors: torch.Tensor, stain: str = "eosin") -> torch.Tensor:
    """Scale one stain's concentration of RGB ``images`` (n, 3, H, W) in [0, 1] by ``factors`` (n,)."""
    matrix = _stain_matrix().to(images)
    od = -torch.log(images.clamp(1.0 / 255.0, 1.0)).permute(0, 2, 3, 1)  # (n, H, W, 3)
    conc = od @ torch.linalg.inv(matrix)
    scale = torch.ones(images.shape[0], 1, 1, 3, dtype=images.dtype, device=images.device)
    scale[..., STAINS.index(stain)] = factors.view(-1, 1, 1)
    return torch.exp(-(conc * scale) @ matrix).permute(0, 3, 1, 2).clamp(0.0, 1.0)
