"""Owkin encoder: Phikon-v2 (ViT-L/16 DINOv2, a transformers checkpoint converted to timm on load)."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder


@register_encoder
def phikon_v2() -> EncoderSpec:
    """Phikon-v2: ViT-L/16 trained with DINOv2 on 460M tiles from public cohorts (Filiot et al., 2024)."""
    return EncoderSpec(
        name="phikon-v2",
        arch="vit_large_patch16_224",
        hub_id="owkin/phikon-v2",
        weights_source="transformers-dinov2",
        model_kwargs={"img_size": 224, "init_values": 1e-5, "mlp_ratio": 4.0},
        embed_dim=1024,
        license="LicenseRef-Owkin-non-commercial",
        citation="Filiot et al., Phikon-v2, a large and public feature extractor for biomarker prediction, 2024",
    )
