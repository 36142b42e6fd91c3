"""``TrainConfig``: one validated object from a YAML file plus command-line overrides, saved as ``config.yaml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stamp.errors import ConfigError
from stamp.model.lora import LoraSettings

__all__ = ["DataSettings", "LossSettings", "OptimSettings", "TrainConfig", "load_config"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSettings(_Strict):
    """Which rows and targets to train on, and how patches are augmented."""

    splits: list[str] = Field(["train"], description="Atlas splits used for training.")
    collections: list[str] = Field(["hallmark"], description="Pathway collections concatenated as targets.")
    standardise: Literal["sample", "global"] = Field("sample", description="z-score pathways per sample or globally.")
    balance: Literal["sample", "organ", "patient", "none"] = Field("sample", description="Equal weight per group.")
    augment: bool = Field(default=True, description="Random flips and 90-degree rotations.")
    jitter: float = Field(0.05, ge=0, lt=1, description="Brightness / contrast / saturation jitter.")
    num_workers: int = Field(2, ge=0, description="DataLoader worker processes per rank.")


class LossSettings(_Strict):
    """Loss weights and the initial InfoNCE temperature."""

    lambda_con: float = Field(1.0, ge=0, description="Weight of the symmetric InfoNCE.")
    lambda_reg: float = Field(1.0, ge=0, description="Weight of the masked regression of standardised scores.")
    temperature: float = Field(0.07, gt=0, description="Initial temperature (learnable).")
    proj_dim: int = Field(256, ge=8, description="Width of the shared space.")
    hidden_dim: int = Field(512, ge=8, description="Hidden width of the heads.")


class OptimSettings(_Strict):
    """AdamW with linear warmup then cosine decay, counted in optimiser steps."""

    steps: int = Field(1000, ge=1, description="Optimiser steps in total.")
    batch_size: int = Field(64, ge=2, description="Patches per rank and step (the global batch is this x ranks).")
    lr: float = Field(1e-4, gt=0)
    head_lr: float | None = Field(None, gt=0, description="Learning rate of the heads; null = lr x 10.")
    weight_decay: float = Field(0.05, ge=0)
    warmup_steps: int = Field(100, ge=0)
    min_lr_ratio: float = Field(0.01, ge=0, le=1, description="Final lr as a fraction of the peak.")
    grad_clip: float | None = Field(1.0, gt=0)


class TrainConfig(_Strict):
    """Everything `stamp fit` needs; the run directory keeps it as ``config.yaml``."""

    atlas: Path
    encoder: str = "uni"
    weights: Path | None = Field(None, description="Local safetensors weights instead of the hub.")
    random_init: bool = Field(default=False, description="Start from random weights (baselines, speed checks).")
    out: Path = Path("run")
    seed: int = 0
    precision: Literal["auto", "bf16", "fp32"] = Field("auto", description="auto = bf16 autocast on CUDA, else fp32.")
    grad_checkpointing: bool = False
    checkpoint_every: int = Field(500, ge=1, description="Save a resumable checkpoint every N steps.")
    keep_checkpoints: int = Field(2, ge=1)
    log_every: int = Field(10, ge=1)
    device: str = Field("auto", description="auto, cpu, cuda or cuda:N (under torchrun: the local rank's GPU).")
    lora: LoraSettings = LoraSettings()
    data: DataSettings = DataSettings()
    loss: LossSettings = LossSettings()
    optim: OptimSettings = OptimSettings()

    def to_yaml(self) -> str:
        """YAML text of the resolved configuration."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            msg = f"override {dotted!r}: {key!r} is not a section"
            raise ConfigError(msg)
    node[leaf] = value


def load_config(
    path: Path | None, overrides: dict[str, Any] | None = None, sets: list[str] | None = None
) -> TrainConfig:
    """Read ``path`` (YAML), apply ``overrides`` (dotted keys -> values) and ``KEY=VALUE`` strings, validate.

    Raises
    ------
    ConfigError
        Unreadable YAML, an unknown key or an invalid value, each with its dotted location.
    """
    tree: dict[str, Any] = {}
    if path is not None:
        try:
            tree = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            msg = f"config '{path}': cannot read it: {err}"
            raise ConfigError(msg) from err
        if not isinstance(tree, dict):
            msg = f"config '{path}': expected a mapping at the top level"
            raise ConfigError(msg)
    given: dict[str, str] = {}  # dotted key -> the flag that set it (an error there is the flag's, not the file's)
    for key, value in (overrides or {}).items():
        if value is not None:
            _set_dotted(tree, key, value)
            given[key] = f"--{key.rsplit('.', 1)[-1].replace('_', '-')} {value}"
    for item in sets or []:
        key, sep, text = item.partition("=")
        if not sep:
            msg = f"--set {item!r}: expected KEY=VALUE, e.g. --set optim.lr=3e-4"
            raise ConfigError(msg)
        _set_dotted(tree, key.strip(), yaml.safe_load(text))
        given[key.strip()] = f"--set {item}"
    try:
        return TrainConfig.model_validate(tree)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            loc = ".".join(map(str, e["loc"]))
            flag = next((f for k, f in given.items() if loc == k or loc.startswith(f"{k}.")), None)
            where = f"{flag!r}" if flag else (f"config '{path}'" if path is not None else "config")
            problems.append(f"{where}: {loc}: {e['msg']}")
        msg = "; ".join(problems)
        raise ConfigError(msg) from err
