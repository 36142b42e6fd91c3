"""Training: configuration, process group, loop, checkpoints, validation, drift and metrics.

Public names resolve lazily, so reading a configuration (``stamp.train.config``) never imports torch.
"""

from __future__ import annotations

from humanst.lazy_exports import lazy_getattr

_LAZY = {
    "FitResult": "stamp.train.loop",
    "LoraSettings": "stamp.train.config",
    "TrainConfig": "stamp.train.config",
    "ValidationSettings": "stamp.train.config",
    "fit": "stamp.train.loop",
    "load_config": "stamp.train.config",
    "lr_at": "stamp.train.loop",
}
__all__ = sorted(_LAZY)

__getattr__ = lazy_getattr("stamp.train", _LAZY)
