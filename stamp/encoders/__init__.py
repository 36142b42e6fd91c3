"""Encoder registry and factory: pathology foundation models and baselines, built through timm."""

from __future__ import annotations

from stamp.encoders import (  # noqa: F401  (register)
    baselines,
    bioptimus,
    efficientnet_lite,
    gigapath,
    histai,
    kaiko,
    mahmood,
    owkin,
    paige,
)
from stamp.encoders._factory import create_encoder, file_digest
from stamp.encoders._registry import (
    ENCODERS,
    EncoderSpec,
    encoder_names,
    get_encoder_spec,
    parse_encoder_name,
    register_encoder,
)
from stamp.encoders.encoder import Encoder

__all__ = [
    "ENCODERS",
    "Encoder",
    "EncoderSpec",
    "create_encoder",
    "encoder_names",
    "file_digest",
    "get_encoder_spec",
    "parse_encoder_name",
    "register_encoder",
]
