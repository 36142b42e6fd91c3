from __future__ import annotations

import pytest
import timm
import torch
from safetensors.torch import save_file

from stamp.encoders._factory import _load_file
from stamp.encoders._registry import EncoderSpec
from stamp.encoders.dinov2_conversion import is_transformers_dinov2, transformers_dinov2_to_timm


def _tiny_dinov2():
    from transformers import Dinov2Config, Dinov2Model

    torch.manual_seed(0)
    config = Dinov2Config(
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=256,
        image_size=112,
        patch_size=16,
        layerscale_value=0.5,
    )
    model = Dinov2Model(config).eval()
    with torch.no_grad():  # layer scales and biases away from their init so a wrong mapping shows
        for name, param in model.named_parameters():
            if "lambda1" in name or name.endswith("bias"):
                param.add_(torch.randn_like(param) * 0.1)
    return model


V4_NAMES = {  # the names of checkpoints saved by transformers 4.x, as on the hub
    "attention.q_proj": "attention.attention.query",
    "attention.k_proj": "attention.attention.key",
    "attention.v_proj": "attention.attention.value",
    "attention.o_proj": "attention.output.dense",
}


def _as_v4(key):
    for new, old in V4_NAMES.items():
        key = key.replace(new, old)
    return key


@pytest.mark.parametrize("naming", ["transformers-5", "transformers-4"])
def test_transformers_dinov2_weights_give_the_same_tokens_in_timm(tmp_path, naming):
    hf_model = _tiny_dinov2()
    state = {k: v.contiguous() for k, v in hf_model.state_dict().items()}
    if naming == "transformers-4":
        state = {_as_v4(k): v for k, v in state.items()}
        assert "encoder.layer.0.attention.attention.query.weight" in state
    assert is_transformers_dinov2(state)
    converted = transformers_dinov2_to_timm(state)
    assert converted["blocks.0.attn.qkv.weight"].shape == (192, 64)
    path = tmp_path / "model.safetensors"
    save_file(state, str(path))
    spec = EncoderSpec(
        name="tiny-dinov2",
        arch="vit_tiny_patch16_224",
        embed_dim=64,
        model_kwargs={"img_size": 112, "embed_dim": 64, "depth": 2, "num_heads": 2, "init_values": 1.0},
    )
    model = timm.create_model(spec.arch, pretrained=False, num_classes=0, **dict(spec.model_kwargs)).eval()
    _load_file(model, spec, path)
    x = torch.randn(2, 3, 112, 112)
    with torch.no_grad():
        expected = hf_model(pixel_values=x).last_hidden_state
        got = model.forward_features(x)
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)
