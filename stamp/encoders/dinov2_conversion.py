"""Convert a transformers DINOv2 state dict (``Dinov2Model``) into timm ``VisionTransformer`` keys."""

from __future__ import annotations

import re

import torch

__all__ = ["is_transformers_dinov2", "transformers_dinov2_to_timm"]

_BLOCK = re.compile(r"^encoder\.layer\.(\d+)\.(.+)$")
_RENAMES = {
    "norm1": "norm1",
    "norm2": "norm2",
    "attention.output.dense": "attn.proj",  # transformers 4.x names
    "attention.o_proj": "attn.proj",  # transformers 5.x names
    "layer_scale1.lambda1": "ls1.gamma",
    "layer_scale2.lambda1": "ls2.gamma",
    "mlp.fc1": "mlp.fc1",
    "mlp.fc2": "mlp.fc2",
    "mlp.weights_in": "mlp.fc1",  # SwiGLU variant packs both halves in one projection
    "mlp.weights_out": "mlp.fc2",
}
_QKV = {
    "attention.attention.query": "query",  # transformers 4.x (the layout of checkpoints on the hub)
    "attention.attention.key": "key",
    "attention.attention.value": "value",
    "attention.q_proj": "query",  # transformers 5.x
    "attention.k_proj": "key",
    "attention.v_proj": "value",
}
_TOP = {
    "embeddings.cls_token": "cls_token",
    "embeddings.register_tokens": "reg_token",
    "embeddings.position_embeddings": "pos_embed",
    "embeddings.patch_embeddings.projection.weight": "patch_embed.proj.weight",
    "embeddings.patch_embeddings.projection.bias": "patch_embed.proj.bias",
    "layernorm.weight": "norm.weight",
    "layernorm.bias": "norm.bias",
}


def is_transformers_dinov2(state: dict[str, torch.Tensor]) -> bool:
    """Whether ``state`` uses transformers' DINOv2 names (``embeddings.*``, ``encoder.layer.N.*``)."""
    return any(k.startswith("embeddings.patch_embeddings") for k in state)


def transformers_dinov2_to_timm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename and fuse (q, k, v -> qkv) the tensors of a transformers DINOv2 checkpoint for timm's ViT."""
    out: dict[str, torch.Tensor] = {}
    qkv: dict[tuple[str, str], dict[str, torch.Tensor]] = {}
    for key, value in state.items():
        key = key.removeprefix("dinov2.").removeprefix("model.")
        if key == "embeddings.mask_token" or key.startswith("pooler."):
            continue
        if key in _TOP:
            out[_TOP[key]] = value
            continue
        match = _BLOCK.match(key)
        if match is None:
            out[key] = value  # unknown: left for load_state_dict to report
            continue
        block, rest = match.groups()
        inner, _, param = rest.rpartition(".")
        if inner in _QKV:
            qkv.setdefault((block, param), {})[_QKV[inner]] = value
            continue
        if rest in _RENAMES:  # layer_scale*.lambda1 has no trailing weight/bias
            out[f"blocks.{block}.{_RENAMES[rest]}"] = value
            continue
        out[f"blocks.{block}.{_RENAMES.get(inner, inner)}.{param}"] = value
    for (block, param), parts in qkv.items():
        out[f"blocks.{block}.attn.qkv.{param}"] = torch.cat([parts["query"], parts["key"], parts["value"]], dim=0)
    return out
