"""Paige encoders: Virchow2 (ViT-H/14, 4 registers, SwiGLU; class token + mean of patch tokens)."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder
from stamp.encoders.layers import SILU, SWIGLU_PACKED


@register_encoder
def virchow2() -> EncoderSpec:
    """Virchow2: ViT-H/14 trained on 3.1M slides at several magnifications (Zimmermann et al., 2024)."""
    return EncoderSpec(
        name="virchow2",
        arch="vit_huge_patch14_224",
        hub_id="paige-ai/Virchow2",
        model_kwargs={"mlp_layer": SWIGLU_PACKED, "act_layer": SILU},
        embed_dim=2560,
        pooling="cls+mean",
        license="CC-BY-NC-ND-4.0",
        gated=True,
        citation="Zimmermann et al., Virchow2: Scaling self-supervised mixed magnification models in pathology, 2024",
    )
