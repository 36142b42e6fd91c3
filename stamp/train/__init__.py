"""Training: configuration, process group, loop, checkpoints and metrics."""

from __future__ import annotations

from stamp.train.config import TrainConfig, load_config
from stamp.train.loop import FitResult, fit, lr_at

__all__ = ["FitResult", "TrainConfig", "fit", "load_config", "lr_at"]
