"""Providence / Microsoft encoder: Prov-GigaPath tile encoder (ViT-g/14 DINOv2)."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder


@register_encoder
def prov_gigapath() -> EncoderSpec:
    """Prov-GigaPath tile encoder: ViT-g/14 on 1.3B tiles from 171k slides (Xu et al., Nature 2024)."""
    return EncoderSpec(
        name="prov-gigapath",
        arch="vit_giant_patch14_dinov2",
        hub_id="prov-gigapath/prov-gigapath",
        model_kwargs={"img_size": 224, "init_values": 1e-5},
        embed_dim=1536,
        license="Apache-2.0",
        gated=True,
        citation="Xu et al., A whole-slide foundation model for digital pathology from real-world data, Nature 2024",
    )
