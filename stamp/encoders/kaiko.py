"""kaiko.ai encoder: Midnight (ViT-g/14 DINOv2; class token + mean of patch tokens)."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder


@register_encoder
def midnight() -> EncoderSpec:
    """Midnight: ViT-g/14 trained on 12k TCGA slides and more (Karasikov et al., 2025)."""
    return EncoderSpec(
        name="midnight",
        arch="vit_giant_patch14_dinov2",
        hub_id="kaiko-ai/midnight",
        weights_source="transformers-dinov2",
        model_kwargs={"img_size": 224, "init_values": 1e-5},
        embed_dim=3072,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        pooling="cls+mean",
        license="MIT",
        citation="Karasikov et al., Training state-of-the-art pathology foundation models with orders of magnitude "
        "less data, 2025",
    )
