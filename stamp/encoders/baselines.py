"""ImageNet baselines (ViT-B/16, ResNet-50) and the tiny random-init ViT used by CPU tests and the demo."""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, register_encoder

_TIMM_CITATION = "timm (Wightman, 2019), https://github.com/huggingface/pytorch-image-models"


@register_encoder
def vit_b16() -> EncoderSpec:
    """ViT-B/16, ImageNet-21k pretrained and ImageNet-1k fine-tuned (AugReg2): the natural-image baseline."""
    return EncoderSpec(
        name="vit-b16",
        arch="vit_base_patch16_224.augreg2_in21k_ft_in1k",
        hub_id="timm/vit_base_patch16_224.augreg2_in21k_ft_in1k",
        embed_dim=768,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        license="Apache-2.0",
        citation=_TIMM_CITATION,
    )


@register_encoder
def resnet50() -> EncoderSpec:
    """ResNet-50 (timm A1 recipe, ImageNet-1k): the CNN baseline; LoRA goes into its 3x3 and 1x1 convolutions."""
    return EncoderSpec(
        name="resnet50",
        arch="resnet50.a1_in1k",
        hub_id="timm/resnet50.a1_in1k",
        embed_dim=2048,
        license="Apache-2.0",
        lora_targets=("conv1", "conv2", "conv3"),
        citation=_TIMM_CITATION,
    )


@register_encoder
def vit_tiny_test() -> EncoderSpec:
    """Describe a two-block ViT at 112 px with random weights: every code path on a CPU in seconds."""
    return EncoderSpec(
        name="vit-tiny-test",
        arch="vit_tiny_patch16_224",
        hub_id=None,
        weights_source="none",
        model_kwargs={"img_size": 112, "depth": 2, "embed_dim": 64, "num_heads": 2},
        embed_dim=64,
        input_size=112,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        license="Apache-2.0",
        citation="random initialisation (test model)",
    )
