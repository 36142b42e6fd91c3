"""``TrainConfig``: one validated object from a YAML file plus command-line overrides, saved as ``config.yaml``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from humanst.strict_model import StrictModel
from stamp.errors import ConfigError

__all__ = [
    "DataSettings",
    "LoraSettings",
    "LossSettings",
    "OptimSettings",
    "TrainConfig",
    "ValidationSettings",
    "load_config",
]


# Settings that change where or how fast a run goes, not what it trains: outside the replicate group.
NOT_TRAINING = ("out", "seed", "device", "checkpoint_every", "keep_checkpoints", "log_every")


class LoraSettings(StrictModel):
    """LoRA hyper-parameters (DESIGN 3): rank, scaling, dropout, which blocks and which modules."""

    r: int = Field(8, ge=1, description="LoRA rank.")
    alpha: float = Field(16.0, gt=0, description="LoRA scaling numerator (scale = alpha / r).")
    dropout: float = Field(0.1, ge=0, lt=1, description="Dropout on the LoRA input.")
    blocks: int | None = Field(None, ge=1, description="Adapt only the last N blocks; null = all blocks.")
    targets: list[str] | None = Field(
        None,
        description="Module-name suffixes inside a block; null = the encoder's defaults (spec.lora_targets; for "
        "timm CNNs every Linear and ungrouped Conv2d of the block: depthwise / grouped convolutions are skipped).",
    )


class DataSettings(StrictModel):
    """Which rows and targets to train on, and how patches are augmented."""

    splits: list[str] = Field(["train"], description="Atlas splits used for training.")
    targets: str = Field(
        "pathways",
        description="What the encoder is aligned to (stamp.targets): pathways (the collections' scores), random "
        "(size- and expression-matched random gene sets of the collections: the negative control) or genes (the "
        "top data.n_genes variable genes of the training rows, log1p CP10k). See docs/controls.md.",
    )
    collections: list[str] = Field(
        ["hallmark"], description="Pathway collections: the targets (pathways) or the sets matched (random)."
    )
    pathways: list[str] | None = Field(
        None,
        description="data.targets=pathways: only these pathways of the collections (e.g. one programme alone, the "
        "positive control's supervised ceiling: docs/positive-control.md); null = all.",
    )
    n_genes: int = Field(50, ge=1, description="data.targets=genes: how many of the most variable genes.")
    standardise: Literal["sample", "global"] = Field("sample", description="z-score pathways per sample or globally.")
    balance: Literal["sample", "organ", "patient", "none"] = Field("sample", description="Equal weight per group.")
    augment: bool = Field(default=True, description="Random flips and 90-degree rotations.")
    jitter: float = Field(0.05, ge=0, lt=1, description="Brightness / contrast / saturation jitter.")
    num_workers: int = Field(2, ge=0, description="DataLoader worker processes per rank.")

    @field_validator("targets")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        from stamp.targets import target_kinds

        if value not in target_kinds():
            msg = f"unknown target kind {value!r}; known: {', '.join(target_kinds())}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _pathways_need_pathway_targets(self) -> DataSettings:
        if self.pathways is not None and self.targets != "pathways":
            msg = f"data.pathways selects pathways of data.targets=pathways, not of {self.targets!r}"
            raise ValueError(msg)
        return self


class LossSettings(StrictModel):
    """Which contrastive loss, the loss weights, and the temperatures (see ``stamp.losses``, docs/controls.md)."""

    contrastive: str = Field(
        "infonce",
        description="Contrastive term (stamp.losses.CONTRASTIVE): infonce (one-hot positives), soft (targets from "
        "the similarity of the spots' pathway profiles in the batch) or none (regression only).",
    )
    lambda_con: float = Field(1.0, ge=0, description="Weight of the contrastive term.")
    lambda_reg: float = Field(1.0, ge=0, description="Weight of the masked regression of standardised scores.")
    temperature: float = Field(0.07, gt=0, description="Initial temperature of the logits (learnable).")
    target_temperature: float = Field(
        0.1,
        gt=0,
        description="contrastive=soft: temperature of the targets, softmax over the batch of the cosine similarity "
        "of the spots' standardised target profiles (fixed; smaller = closer to InfoNCE's one-hot targets).",
    )
    proj_dim: int = Field(256, ge=8, description="Width of the shared space.")
    hidden_dim: int = Field(512, ge=8, description="Hidden width of the heads.")


class OptimSettings(StrictModel):
    """AdamW with linear warmup then cosine decay, counted in optimiser steps; LoRA and heads have their own rates.

    A run can start with ``heads_only_steps`` in which only the heads learn (the LoRA rate is 0), so the heads
    fit the frozen base before the encoder moves; LoRA then warms up over ``warmup_steps`` and decays with a
    cosine over the remaining steps, while the heads follow their own warmup + cosine over the whole run.
    """

    steps: int = Field(1000, ge=1, description="Optimiser steps in total.")
    batch_size: int = Field(64, ge=2, description="Patches per rank and step (the global batch is this x ranks).")
    lr: float = Field(1e-4, gt=0, description="Peak learning rate of the LoRA parameters (the encoder's change).")
    head_lr: float | None = Field(
        None,
        gt=0,
        description="Peak learning rate of the heads; null = lr (at 10 x lr the heads absorbed the objective).",
    )
    heads_only_steps: int = Field(0, ge=0, description="First N steps train the heads only (LoRA rate 0).")
    weight_decay: float = Field(0.05, ge=0)
    warmup_steps: int = Field(100, ge=0, description="Linear warm-up (heads: from step 0; LoRA: after heads_only).")
    min_lr_ratio: float = Field(0.01, ge=0, le=1, description="Final lr as a fraction of the peak.")
    grad_clip: float | None = Field(1.0, gt=0)


class ValidationSettings(StrictModel):
    """Validation inside ``stamp fit``: a tier-1 ridge probe on held-out patients, encoder drift, checkpoint choice.

    Every ``every`` steps (and at step 0, for the base encoder) the current encoder (no heads) embeds a fixed
    subset of training-patient spots and the validation spots; a ridge probe (standardise -> PCA -> ridge with
    a per-target penalty by patient-grouped inner CV) is fitted on the former and scored on the latter: mean
    Pearson over the collection's pathways, over size- and expression-matched random gene sets, and their gap.
    Drift compares the current and the base embeddings of the validation spots (mean cosine, linear CKA).
    """

    enabled: bool = Field(default=True, description="Validate during fit (skipped, with a warning, if no rows).")
    splits: list[str] = Field(["val"], description="Atlas splits whose patients are the validation set.")
    patients: list[str] | None = Field(None, description="Validation patients (overrides splits); --val-patients.")
    every: int = Field(100, ge=1, description="Validate every N steps (and at step 0 and at the last step).")
    collection: str = Field("hallmark", description="Pathway collection scored by the probe (atlas obsm).")
    train_spots: int = Field(1000, ge=20, description="Fixed subset of training-patient spots the probe fits on.")
    val_spots: int = Field(2000, ge=20, description="At most this many validation spots (fixed subset).")
    pca_components: int = Field(256, ge=1, description="PCA width of the probe (fitted on the probe's spots).")
    alphas: list[float] = Field(default_factory=lambda: [0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5])
    inner_folds: int = Field(3, ge=2, description="Patient-grouped inner folds choosing each target's penalty.")
    random_set_bins: int = Field(25, ge=2, description="Expression bins matching the random gene sets.")
    batch_size: int = Field(64, ge=1, description="Patches per forward pass when embedding.")
    select: Literal["last", "best-val-gap"] = Field(
        "best-val-gap", description="Adapter the run keeps: the last step's, or the validated step with the best gap."
    )
    min_drift: float = Field(
        0.01, ge=0, description="Warn when the kept encoder's drift (1 - linear CKA to the base) is below this."
    )

    @field_validator("patients")
    @classmethod
    def _patient_ids(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        blank = [i for i, p in enumerate(value) if not p.strip()]
        if blank:
            msg = f"patient id {blank[0] + 1} of {len(value)} is blank; expected atlas patient ids (synth-breast:P2)"
            raise ValueError(msg)
        repeated = sorted({p for p in value if value.count(p) > 1})
        if repeated:
            msg = f"patient(s) {repeated} given twice; name each validation patient once"
            raise ValueError(msg)
        return value


class TrainConfig(StrictModel):
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
    freeze_norm: bool = Field(
        default=True,
        description="Keep the encoder's BatchNorm layers in eval mode during fit (running statistics frozen), so the "
        "encoder that trains is the encoder `stamp embed` and `stamp export` rebuild.",
    )
    lora: LoraSettings = LoraSettings()
    data: DataSettings = DataSettings()
    loss: LossSettings = LossSettings()
    optim: OptimSettings = OptimSettings()
    validation: ValidationSettings = ValidationSettings()

    def to_yaml(self) -> str:
        """YAML text of the resolved configuration."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    def replicate_group(self) -> str:
        """Return the hash naming this configuration up to its seed: runs sharing it are replicates of one another.

        Settings that change where or how fast a run goes, not what it trains (``NOT_TRAINING``, the worker
        count), are left out. ``run.json`` keeps it; ``stamp embed`` passes it with the seed to the embedding
        cache, so ``stamp-bench compare`` tells replicate seeds of one fit from different fits.
        """
        import hashlib
        import json

        tree = self.model_dump(mode="json", exclude=set(NOT_TRAINING))
        tree["data"].pop("num_workers", None)
        return hashlib.sha256(json.dumps(tree, sort_keys=True).encode()).hexdigest()[:12]


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
    path: Path | None, overrides: dict[str, Any] | None = None, sets: list[str] | None = None,
    flags: Mapping[str, str] | None = None,
) -> TrainConfig:  # fmt: skip
    """Read ``path`` (YAML), apply ``overrides`` (dotted keys -> values) and ``KEY=VALUE`` strings, validate.

    ``flags`` names the command-line flag of each override (``{"validation.patients": "--val-patients"}``), so an
    invalid value is reported under the flag the user typed; an override without one is named ``--<leaf key>``.

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
            named = (flags or {}).get(key) or f"--{key.rsplit('.', 1)[-1].replace('_', '-')}"
            given[key] = f"{named} {value}"
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
