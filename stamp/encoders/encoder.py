"""The :class:`Encoder` module: a timm backbone (optionally carrying LoRA) plus the spec's pooling."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from stamp.encoders._registry import EncoderSpec

__all__ = ["Encoder"]


class Encoder(nn.Module):
    """Image batch (normalised, ``input_size`` square) -> pooled embedding of width ``spec.embed_dim``.

    Parameters
    ----------
    backbone
        A timm model built with ``num_classes=0`` (or a peft model wrapping one).
    spec
        The encoder's spec (pooling, normalisation).
    weights_id
        Where the weights came from: ``hub:<repo>``, ``file:<sha256-12>`` or ``random``.
    """

    def __init__(self, backbone: nn.Module, spec: EncoderSpec, weights_id: str) -> None:
        super().__init__()
        self.backbone = backbone
        self.spec = spec
        self.weights_id = weights_id

    @property
    def timm_model(self) -> Any:  # timm models add attributes torch types as Tensor | Module
        """The timm model itself (inside the peft wrapper when LoRA is attached)."""
        get_base = getattr(self.backbone, "get_base_model", None)
        return get_base() if get_base is not None else self.backbone

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Return pooled embeddings ``(batch, embed_dim)``."""
        model = self.timm_model
        features = model.forward_features(images)
        if self.spec.pooling == "cls+mean":
            prefix = int(getattr(model, "num_prefix_tokens", 1))
            return torch.cat([features[:, 0], features[:, prefix:].mean(dim=1)], dim=-1)
        return model.forward_head(features, pre_logits=True)

    def set_grad_checkpointing(self, *, enable: bool = True) -> None:
        """Recompute activations in the backward pass (timm's own switch) to save memory."""
        self.timm_model.set_grad_checkpointing(enable)
