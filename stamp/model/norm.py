"""Train what you export: BatchNorm layers stay in eval mode (frozen running statistics) while LoRA trains.

A run saves LoRA and heads only; ``stamp embed`` and ``stamp export`` rebuild the encoder with the base's
running statistics. If BatchNorm normalised with batch statistics during fit, LoRA would learn for an
encoder that is never exported (issue 12: r 0.339 with training-time BN, 0.113 with the exported encoder).
"""

from __future__ import annotations

from torch import nn

__all__ = ["freeze_batchnorm", "set_train_mode"]


def freeze_batchnorm(module: nn.Module) -> int:
    """Put every BatchNorm layer of ``module`` in eval mode; return how many there are."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.eval()
    return len(norms)


def set_train_mode(module: nn.Module, *, freeze_norm: bool = True) -> nn.Module:
    """``module.train()``, then (by default) BatchNorm back to eval mode so its statistics stay the base's."""
    module.train()
    if freeze_norm:
        freeze_batchnorm(module)
    return module
