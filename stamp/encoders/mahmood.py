"""Mahmood Lab encoders: UNI (ViT-L/16) and UNI2-h (ViT-H/14 with registers and SwiGLU)."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder
from stamp.encoders.layers import SILU, SWIGLU_PACKED


@register_encoder
def uni() -> EncoderSpec:
    """UNI: ViT-L/16 trained with DINOv2 on 100k slides (Chen et al., Nature Medicine 2024)."""
    return EncoderSpec(
        name="uni",
        arch="vit_large_patch16_224",
        hub_id="MahmoodLab/UNI",
        model_kwargs={"img_size": 224, "patch_size": 16, "init_values": 1e-5, "dynamic_img_size": True},
        embed_dim=1024,
        license="CC-BY-NC-ND-4.0",
        gated=True,
        citation="Chen et al., Towards a general-purpose foundation model for computational pathology, Nat Med 2024",
    )


@register_encoder
def uni2_h() -> EncoderSpec:
    """UNI2-h: ViT-H/14 with 8 register tokens and SwiGLU MLPs, 200M+ tiles (Mahmood Lab, 2025)."""
    return EncoderSpec(
        name="uni2-h",
        arch="vit_giant_patch14_224",
        hub_id="MahmoodLab/UNI2-h",
        model_kwargs={
            "img_size": 224,
            "patch_size": 14,
            "depth": 24,
            "num_heads": 24,
            "init_values": 1e-5,
            "embed_dim": 1536,
            "mlp_ratio": 2.66667 * 2,
            "no_embed_class": True,
            "mlp_layer": SWIGLU_PACKED,
            "act_layer": SILU,
            "reg_tokens": 8,
            "dynamic_img_size": True,
        },
        embed_dim=1536,
        license="CC-BY-NC-ND-4.0",
        gated=True,
        citation="Chen et al., Nat Med 2024; UNI2-h model card, https://huggingface.co/MahmoodLab/UNI2-h",
    )
