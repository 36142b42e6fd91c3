from __future__ import annotations

import pytest
import torch

from stamp.encoders import create_encoder
from stamp.losses import info_nce, masked_mse
from stamp.model import LoraSettings, StampAligner, attach_lora, lora_target_modules


def test_vit_targets_follow_the_spec_and_lora_blocks():
    encoder = create_encoder("vit-tiny-test")
    every = lora_target_modules(encoder, LoraSettings())
    assert every == [f"blocks.{b}.{m}" for b in (0, 1) for m in ("attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2")]
    last = lora_target_modules(encoder, LoraSettings(blocks=1, targets=["attn.qkv"]))
    assert last == ["blocks.1.attn.qkv"]


@pytest.mark.parametrize(
    ("name", "last_block", "size"), [("timm:resnet18", "layer4.1", 64), ("vit-tiny-test", "blocks.1", 112)]
)
def test_only_lora_and_heads_get_gradients(name, last_block, size):
    encoder = attach_lora(create_encoder(name, pretrained=False), LoraSettings(blocks=1))
    names = [n for n, _ in encoder.named_modules() if n.endswith("lora_A")]
    assert names
    assert all(last_block in n for n in names)
    aligner = StampAligner(encoder, n_pathways=5)
    out = aligner(torch.randn(4, 3, size, size), torch.randn(4, 5), torch.ones(4, 5, dtype=torch.bool))
    (
        info_nce(out.image_z, out.pathway_z, out.logit_scale)
        + masked_mse(out.prediction, torch.zeros(4, 5), torch.ones(4, 5, dtype=torch.bool))
    ).backward()
    grads = {n for n, p in aligner.named_parameters() if p.grad is not None}
    assert any("lora_A" in n for n in grads)
    assert all("lora_" in n or not n.startswith("encoder.") for n in grads)
    assert {"logit_scale", "regressor.weight"} <= grads
    frozen = [n for n, p in aligner.named_parameters() if n.startswith("encoder.") and "lora_" not in n]
    assert frozen
    assert all(dict(aligner.named_parameters())[n].grad is None for n in frozen)


def test_info_nce_matches_a_direct_computation():
    torch.manual_seed(0)
    a, b = torch.randn(6, 8), torch.randn(6, 8)
    scale = torch.tensor(2.0)
    an, bn = torch.nn.functional.normalize(a, dim=-1), torch.nn.functional.normalize(b, dim=-1)
    logits = scale.exp() * an @ bn.T
    ce = torch.nn.functional.cross_entropy
    expected = 0.5 * (ce(logits, torch.arange(6)) + ce(logits.T, torch.arange(6)))
    torch.testing.assert_close(info_nce(a, b, scale), expected)
    assert info_nce(a, a, torch.tensor(5.0)) < info_nce(a, b, torch.tensor(5.0))


def test_masked_mse_ignores_masked_entries():
    pred = torch.tensor([[1.0, 100.0], [3.0, 0.0]])
    target = torch.tensor([[0.0, float("nan")], [1.0, 0.0]])
    mask = torch.tensor([[True, False], [True, True]])
    assert masked_mse(pred, target, mask).item() == pytest.approx((1.0 + 4.0 + 0.0) / 3)
