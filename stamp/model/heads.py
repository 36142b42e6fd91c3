"""Heads of the aligner: image projection, pathway encoder and pathway regressor."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PathwayEncoder", "ProjectionHead"]


class ProjectionHead(nn.Module):
    """Two-layer MLP (GELU, LayerNorm on the output) into the shared space."""

    def __init__(self, in_dim: int, out_dim: int = 256, hidden_dim: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(in_dim, hidden_dim),
            nn.GELU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_dim, out_dim),
            nn.LayerNorm(out_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Project ``(batch, in_dim)`` to ``(batch, out_dim)``."""
        return self.net(x)


class PathwayEncoder(nn.Module):
    """MLP over the standardised pathway vector with masked entries zeroed and the mask appended."""

    def __init__(self, n_pathways: int, out_dim: int = 256, hidden_dim: int = 512, dropout: float = 0.1) -> None:
        super().__init__()
        self.proj = ProjectionHead(2 * n_pathways, out_dim, hidden_dim, dropout)

    def forward(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Encode ``(batch, n_pathways)`` scores and their boolean mask."""
        maskf = mask.to(scores.dtype)
        return self.proj(torch.cat([torch.nan_to_num(scores) * maskf, maskf], dim=-1))
