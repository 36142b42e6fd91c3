"""LoRA through peft: choose the target modules of an encoder from its spec, attach, save and load adapters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from torch import nn

from stamp.encoders import Encoder
from stamp.errors import ConfigError, RunError
from stamp.train.config import LoraSettings

if TYPE_CHECKING:
    from peft import PeftModel

__all__ = ["LoraSettings", "attach_lora", "load_lora", "lora_target_modules", "peft_model"]


def _innermost(blocks: list[str]) -> list[str]:
    """Drop matched blocks that contain other matched blocks (EfficientNet stage ``blocks.2`` holds ``blocks.2.0``)."""
    return [b for b in blocks if not any(other.startswith(b + ".") for other in blocks)]


def _adaptable(module: nn.Module) -> bool:
    """Linear layers and ungrouped Conv2d: peft's Conv2d LoRA cannot adapt depthwise / grouped convolutions."""
    if isinstance(module, nn.Conv2d):
        return module.groups == 1
    return isinstance(module, nn.Linear)


def lora_target_modules(encoder: Encoder, settings: LoraSettings) -> list[str]:
    """Return the full names of the Linear / Conv2d modules that get LoRA, in forward order.

    Blocks are the innermost modules whose names match the spec's ``block_pattern``; inside each, the modules
    named by ``settings.targets`` (or the spec's ``lora_targets``; empty = every module). Depthwise and
    grouped convolutions are never targets: peft cannot adapt them (MobileNet, EfficientNet, ConvNeXt).
    """
    model = encoder.timm_model
    pattern = re.compile(encoder.spec.block_pattern)
    names = dict(model.named_modules())
    blocks = _innermost([name for name in names if pattern.match(name)])
    if not blocks:
        msg = (
            f"encoder {encoder.spec.name!r}: no blocks match {encoder.spec.block_pattern!r}; "
            "set block_pattern in the encoder spec"
        )
        raise ConfigError(msg)
    if settings.blocks is not None:
        blocks = blocks[-settings.blocks :]
    suffixes = tuple(settings.targets if settings.targets is not None else encoder.spec.lora_targets)
    targets = []
    for block in blocks:
        for name, module in names.items():
            if not name.startswith(block + ".") or not _adaptable(module):
                continue
            inner = name[len(block) + 1 :]
            if not suffixes or inner in suffixes:
                targets.append(name)
    if not targets:
        msg = (
            f"encoder {encoder.spec.name!r}: none of {list(suffixes) or 'the Linear / ungrouped Conv2d modules'} "
            f"exist in blocks {blocks[:3]}...; set lora.targets to module names inside a block"
        )
        raise ConfigError(msg)
    return targets


def attach_lora(encoder: Encoder, settings: LoraSettings) -> Encoder:
    """Freeze the encoder and wrap its timm model with peft LoRA on :func:`lora_target_modules`."""
    from peft import LoraConfig, get_peft_model

    targets = lora_target_modules(encoder, settings)
    config = LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,  # type: ignore[arg-type]  # peft scales by alpha / r in float
        lora_dropout=settings.dropout,
        target_modules=targets,
    )
    encoder.backbone = get_peft_model(encoder.timm_model, config)
    return encoder


def load_lora(encoder: Encoder, adapter_dir: Path) -> Encoder:
    """Attach a saved adapter (a folder peft's ``save_pretrained`` wrote; checked by the run reader) for inference."""
    from peft import PeftModel

    encoder.backbone = PeftModel.from_pretrained(encoder.timm_model, str(adapter_dir))
    return encoder


def peft_model(encoder: Encoder) -> PeftModel:
    """Return the peft wrapper of an encoder carrying LoRA, or raise."""
    from peft import PeftModel

    if not isinstance(encoder.backbone, PeftModel):
        msg = f"encoder {encoder.spec.name!r} carries no LoRA adapter"
        raise RunError(msg)
    return encoder.backbone
