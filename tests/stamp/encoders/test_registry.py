from __future__ import annotations

import re

import pytest
import timm
import torch

from stamp.encoders import EncoderSpec, encoder_names, get_encoder_spec, parse_encoder_name, register_encoder
from stamp.encoders.encoder import Encoder
from stamp.encoders.layers import resolve_model_kwargs
from stamp.errors import EncoderError
from stamp.model import LoraSettings, lora_target_modules

REQUIRED = {
    "uni",
    "uni2-h",
    "virchow2",
    "h-optimus-0",
    "h-optimus-1",
    "prov-gigapath",
    "phikon-v2",
    "hibou-l",
    "midnight",
    "vit-b16",
    "resnet50",
    "imagenet-efficientnet-lite0",
    "vit-tiny-test",
}


def test_required_entries_are_registered():
    assert set(encoder_names()) >= REQUIRED


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_every_entry_builds_with_its_declared_width_and_lora_targets(name):
    """Build each architecture on the meta device (no memory, no download): width and LoRA targets must match."""
    spec = get_encoder_spec(name)
    with torch.device("meta"):
        model = timm.create_model(
            spec.arch.split(".")[0], pretrained=False, num_classes=0, **resolve_model_kwargs(spec.model_kwargs)
        )
    width = model.num_features * (2 if spec.pooling == "cls+mean" else 1)
    assert width == spec.embed_dim
    targets = lora_target_modules(Encoder(model, spec, "random"), LoraSettings())
    assert targets, name
    assert spec.license != "unknown", f"{name}: record the weights' licence (SPDX id or LicenseRef-*)"
    assert re.fullmatch(r"LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.+-]+", spec.license), spec.license
    assert spec.citation
    assert len(spec.mean) == len(spec.std) == 3


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(EncoderError, match=r"known: .*vit-tiny-test"):
        get_encoder_spec("uni3")


@pytest.mark.parametrize("bad", ["hf:foo", "timm:", "local:/x"])
def test_unknown_prefix_is_rejected(bad):
    with pytest.raises(EncoderError, match="prefix"):
        parse_encoder_name(bad)


def test_timm_arch_gets_a_spec_from_timm_config():
    spec = get_encoder_spec("timm:resnet18")
    assert spec.embed_dim == 512
    assert spec.hub_id == "timm/resnet18.a1_in1k"
    assert spec.name == "timm:resnet18"
    with pytest.raises(EncoderError, match="no architecture"):
        get_encoder_spec("timm:not_a_model_xyz")


def test_duplicate_registration_raises():
    with pytest.raises(EncoderError, match="encoder 'uni' is already registered"):
        register_encoder(lambda: EncoderSpec(name="uni", arch="vit_tiny_patch16_224", embed_dim=192))
