"""Bioptimus encoders: H-optimus-0 and H-optimus-1 (ViT-g/14 with 4 registers, own stain statistics)."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder

_MEAN = (0.707223, 0.578729, 0.703617)
_STD = (0.211883, 0.230117, 0.177517)


@register_encoder
def h_optimus_0() -> EncoderSpec:
    """H-optimus-0: ViT-g/14 trained on 500k+ slides (Bioptimus, 2024)."""
    return EncoderSpec(
        name="h-optimus-0",
        arch="vit_giant_patch14_reg4_dinov2",
        hub_id="bioptimus/H-optimus-0",
        model_kwargs={"init_values": 1e-5, "dynamic_img_size": False},
        embed_dim=1536,
        mean=_MEAN,
        std=_STD,
        license="Apache-2.0",
        gated=True,
        citation="Saillard et al., H-optimus-0, https://github.com/bioptimus/releases, 2024",
    )


@register_encoder
def h_optimus_1() -> EncoderSpec:
    """H-optimus-1: ViT-g/14 trained on 1M+ slides from 800k patients (Bioptimus, 2025)."""
    return EncoderSpec(
        name="h-optimus-1",
        arch="vit_giant_patch14_reg4_dinov2",
        hub_id="bioptimus/H-optimus-1",
        model_kwargs={"init_values": 1e-5, "dynamic_img_size": False},
        embed_dim=1536,
        mean=_MEAN,
        std=_STD,
        license="LicenseRef-Bioptimus-H-optimus-1",
        gated=True,
        citation="Bioptimus, H-optimus-1 model card, https://huggingface.co/bioptimus/H-optimus-1, 2025",
    )
