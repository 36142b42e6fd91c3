"""HistAI encoder: Hibou-L (ViT-L/14 DINOv2 with 4 registers, a transformers checkpoint converted to timm)."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder


@register_encoder
def hibou_l() -> EncoderSpec:
    """Hibou-L: ViT-L/14 with registers trained on 1.2B tiles (Nechaev et al., 2024)."""
    return EncoderSpec(
        name="hibou-l",
        arch="vit_large_patch14_reg4_dinov2",
        hub_id="histai/hibou-L",
        weights_source="transformers-dinov2",
        model_kwargs={"img_size": 224, "init_values": 1e-5},
        embed_dim=1024,
        mean=(0.7068, 0.5755, 0.722),
        std=(0.195, 0.2316, 0.1816),
        license="Apache-2.0",
        citation="Nechaev et al., Hibou: a family of foundational vision transformers for pathology, 2024",
    )
