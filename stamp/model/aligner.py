"""The STAMP aligner: encoder (+LoRA) -> image projection; pathway encoder; regressor; learnable temperature."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from stamp.encoders import Encoder
from stamp.model.heads import PathwayEncoder, ProjectionHead

__all__ = ["AlignerOutput", "StampAligner"]

HEAD_PREFIXES = ("image_proj.", "pathway_encoder.", "regressor.", "logit_scale")


@dataclass
class AlignerOutput:
    """What one forward pass returns."""

    embedding: torch.Tensor
    image_z: torch.Tensor
    pathway_z: torch.Tensor
    prediction: torch.Tensor
    logit_scale: torch.Tensor


class StampAligner(nn.Module):
    """Encoder plus heads; only LoRA parameters and the heads are trainable.

    Parameters
    ----------
    encoder
        The encoder, with LoRA attached (:func:`stamp.model.lora.attach_lora`) or frozen.
    n_pathways
        Length of the concatenated pathway vector.
    proj_dim, hidden_dim
        Shared-space width and MLP hidden width.
    temperature
        Initial InfoNCE temperature (learnable, as log of the inverse).
    """

    def __init__(
        self,
        encoder: Encoder,
        n_pathways: int,
        *,
        proj_dim: int = 256,
        hidden_dim: int = 512,
        temperature: float = 0.07,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        dim = encoder.spec.embed_dim
        self.image_proj = ProjectionHead(dim, proj_dim, hidden_dim)
        self.pathway_encoder = PathwayEncoder(n_pathways, proj_dim, hidden_dim)
        self.regressor = nn.Linear(dim, n_pathways)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1.0 / temperature)))
        for name, param in self.encoder.named_parameters():
            param.requires_grad_("lora_" in name)

    def forward(self, images: torch.Tensor, pathways: torch.Tensor, mask: torch.Tensor) -> AlignerOutput:
        """Embed images and pathway vectors; predict the pathway scores from the image embedding."""
        embedding = self.encoder(images)
        embedding32 = embedding.float()
        return AlignerOutput(
            embedding=embedding,
            image_z=self.image_proj(embedding32),
            pathway_z=self.pathway_encoder(pathways, mask),
            prediction=self.regressor(embedding32),
            logit_scale=self.logit_scale.clamp(max=math.log(100.0)),
        )

    def head_state(self) -> dict[str, torch.Tensor]:
        """Parameters of the heads and the temperature (what ``heads.safetensors`` holds)."""
        return {k: v.detach().cpu().contiguous() for k, v in self.state_dict().items() if k.startswith(HEAD_PREFIXES)}

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """Every trainable tensor (LoRA + heads), by parameter name: what a checkpoint holds."""
        return {n: p.detach().cpu().contiguous() for n, p in self.named_parameters() if p.requires_grad}
