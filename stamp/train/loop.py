"""``fit``: the STAMP training loop (DDP-aware, resumable, bf16 on CUDA) from a :class:`TrainConfig`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from stamp._logging import logger
from stamp.train.config import OptimSettings, TrainConfig

if TYPE_CHECKING:
    from stamp.data import AtlasPatches
    from stamp.model import StampAligner
    from stamp.run_info import ValidationSummary, VerdictInfo
    from stamp.targets import TargetSpec
    from stamp.train.validation import Validator

__all__ = ["FitResult", "fit", "lr_at"]


@dataclass
class FitResult:
    """What a finished (or interrupted at ``stop_after``) fit reports; ``model`` is the trained aligner in memory."""

    run: Path
    step: int
    losses: list[float]
    wall_s: float
    model: StampAligner | None = None


def lr_at(step: int, peak: float, total: int, warmup: int, min_ratio: float) -> float:
    """Linear warmup over ``warmup`` steps, then cosine decay to ``peak * min_ratio`` at ``total``."""
    if warmup and step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def group_lr(group: dict[str, Any], step: int, optim: OptimSettings) -> float:
    """Learning rate of a parameter group at ``step``: heads over the whole run, LoRA after ``heads_only_steps``."""
    delay = optim.heads_only_steps if group["name"] == "lora" else 0
    if step < delay:
        return 0.0
    return lr_at(step - delay, group["peak_lr"], max(1, optim.steps - delay), optim.warmup_steps, optim.min_lr_ratio)


def _build(config: TrainConfig, device: torch.device) -> tuple[StampAligner, AtlasPatches]:
    from stamp.data import AtlasPatches, PatchTransform
    from stamp.encoders import create_encoder
    from stamp.model import StampAligner, attach_lora

    encoder = create_encoder(
        config.encoder, weights=config.weights, pretrained=not config.random_init, seed=config.seed
    )
    spec = encoder.spec
    transform = PatchTransform(
        spec.input_size, spec.mean, spec.std, augment=config.data.augment, jitter=config.data.jitter
    )
    held_out = sorted(config.validation.patients or []) if config.validation.enabled else []
    dataset = AtlasPatches(
        config.atlas,
        transform,
        splits=config.data.splits,
        standardise=config.data.standardise,
        exclude_patients=held_out,
        targets=target_spec(config),
    )
    if held_out:
        logger.info(
            "validation patients %s are left out of training (%d samples train)",
            held_out, np.unique(dataset.sample_id).size,
        )  # fmt: skip
    encoder = attach_lora(encoder, config.lora)
    if config.grad_checkpointing:
        encoder.set_grad_checkpointing(enable=True)
    torch.manual_seed(config.seed + 1)
    aligner = StampAligner(
        encoder,
        len(dataset.target_names),
        proj_dim=config.loss.proj_dim,
        hidden_dim=config.loss.hidden_dim,
        temperature=config.loss.temperature,
    ).to(device)
    return aligner, dataset


def target_spec(config: TrainConfig) -> TargetSpec:
    """Return the run's :class:`stamp.targets.TargetSpec`: ``data.targets`` and its parameters, from one place."""
    from stamp.targets import TargetSpec

    return TargetSpec(
        kind=config.data.targets,
        collections=tuple(config.data.collections),
        pathways=None if config.data.pathways is None else tuple(config.data.pathways),
        n_genes=config.data.n_genes,
        seed=config.seed,
        n_bins=config.validation.random_set_bins,
    )


def _optimizer(aligner: StampAligner, config: TrainConfig) -> torch.optim.Optimizer:
    lora = [p for n, p in aligner.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    heads = [p for n, p in aligner.named_parameters() if p.requires_grad and not n.startswith("encoder.")]
    head_lr = config.optim.head_lr or config.optim.lr
    groups = [{"params": lora, "lr": config.optim.lr, "peak_lr": config.optim.lr, "name": "lora"}]
    groups.append({"params": heads, "lr": head_lr, "peak_lr": head_lr, "name": "heads"})
    return torch.optim.AdamW(groups, weight_decay=config.optim.weight_decay)


def _validation(
    config: TrainConfig, aligner: StampAligner, device: torch.device, *, autocast: bool
) -> Validator | None:
    """Return the run's validator (main process), or ``None`` when validation is off or has no rows."""
    from stamp.data import PatchTransform
    from stamp.train.validation import Validator
    from stamp.train.validation_set import load_validation_set

    if not config.validation.enabled:
        return None
    data = load_validation_set(config.atlas, config.validation, config.data.splits, config.seed)
    if data is None:
        return None
    spec = aligner.encoder.spec
    transform = PatchTransform(spec.input_size, spec.mean, spec.std)
    return Validator(data, config.validation, transform, device, autocast=autocast)


def _check_same_config(run: Path, config: TrainConfig) -> None:
    """Refuse to resume (or reuse) a run made with another configuration."""
    from stamp.errors import RunError
    from stamp.run_dir import RunFiles, read_run_config

    if not (run / RunFiles.CONFIG).is_file():
        return
    saved = read_run_config(run).model_dump(mode="json", exclude={"out"})
    wanted = config.model_dump(mode="json", exclude={"out"})
    changed = sorted(k for k in wanted if saved.get(k) != wanted[k])
    if changed:
        msg = (
            f"run directory '{run}' holds a run of another configuration (differs in {changed}); resume it with its "
            f"own config ({run / RunFiles.CONFIG}), or choose another --out (or delete '{run}')"
        )
        raise RunError(msg)


def _verdict(
    run: Path, config: TrainConfig, validator: Validator | None, aligner: StampAligner, validation: ValidationSummary
) -> VerdictInfo:
    """Record the kept and base encoders' validation predictions and return the verdict (``run.json``)."""
    from stamp.train.verdict import record_validation, verdict_checks, verdict_info

    record = None
    if validator is not None and validation.enabled:
        record = record_validation(run, validator, aligner, int(validation.selected.get("step") or 0))
    checks = verdict_checks(validation, record, min_drift=config.validation.min_drift, seed=config.seed)
    return verdict_info(checks, None)


def _groups(dataset: AtlasPatches, balance: str) -> np.ndarray | None:
    return {"sample": dataset.sample_id, "organ": dataset.organ, "patient": dataset.patient_id}.get(balance)


def fit(
    config: TrainConfig, *, resume: bool = False, stop_after: int | None = None, progress: bool = True
) -> FitResult:
    """Train LoRA + heads on the atlas; write the run directory; return the per-step losses of this process.

    Parameters
    ----------
    config
        The resolved configuration.
    resume
        Continue from the newest checkpoint in ``config.out`` (same data order, same random streams).
    stop_after
        Stop after this step (as if killed after a checkpoint); used to test resuming.
    progress
        Show a progress bar on the main process.
    """
    from torch.nn.parallel import DistributedDataParallel

    from stamp.data import BalancedBatchSampler
    from stamp.errors import RunError
    from stamp.losses import ContrastiveBatch, contrastive_loss, masked_mse
    from stamp.model.norm import set_train_mode
    from stamp.progress import StepProgress
    from stamp.run_dir import RunFiles
    from stamp.train.checkpoint import checkpoint_step, clear_best, latest_checkpoint, load_checkpoint, save_checkpoint
    from stamp.train.distributed import init_distributed
    from stamp.train.metrics_log import MetricsLog, read_metrics
    from stamp.train.selection import RunValidation
    from stamp.train.summary import finish_run
    from stamp.train.validation import validation_fields

    contrastive = contrastive_loss(config.loss.contrastive)  # an unknown name fails before any work
    dist = init_distributed(config.device)
    run = Path(config.out)
    existing = latest_checkpoint(run)
    if existing is not None and not resume:
        msg = (
            f"run directory '{run}' already holds checkpoints (newest: {existing.name}); pass --resume to continue "
            "it, or choose another --out"
        )
        raise RunError(msg)
    if existing is not None:
        _check_same_config(run, config)
    if existing is not None and checkpoint_step(existing) >= config.optim.steps and (run / RunFiles.INFO).is_file():
        logger.info("run %s already finished %d steps; nothing to do", run, config.optim.steps)
        return FitResult(run, config.optim.steps, [], 0.0)
    if dist.is_main:
        run.mkdir(parents=True, exist_ok=True)
        (run / RunFiles.CONFIG).write_text(config.to_yaml(), encoding="utf-8")
        if existing is None:
            clear_best(run)
    aligner, dataset = _build(config, dist.device)
    optimizer = _optimizer(aligner, config)
    start = 0
    if resume and existing is not None:
        start = load_checkpoint(existing, aligner, optimizer)
        logger.info("resumed %s at step %d", run, start)
    model = DistributedDataParallel(aligner) if dist.world_size > 1 else aligner
    sampler = BalancedBatchSampler(
        _groups(dataset, config.data.balance),
        len(dataset),
        batch_size=config.optim.batch_size,
        num_steps=min(config.optim.steps, stop_after or config.optim.steps),
        seed=config.seed,
        start_step=start,
        rank=dist.rank,
        world_size=dist.world_size,
    )
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_sampler=sampler,
        num_workers=config.data.num_workers,
        pin_memory=dist.device.type == "cuda",
        persistent_workers=False,
    )
    autocast = config.precision == "bf16" or (config.precision == "auto" and dist.device.type == "cuda")
    validator = _validation(config, aligner, dist.device, autocast=autocast) if dist.is_main else None
    checks = RunValidation(validator, run, config.validation, config.optim.steps)
    extra = validation_fields(config.validation.collection) if checks.enabled else ()
    metrics = MetricsLog(run, start_step=start, extra_fields=extra) if dist.is_main else None
    losses: list[float] = []
    began = time.perf_counter()
    if metrics is not None and start == 0 and checks.due(0):
        metrics.log(0, checks.validate(aligner, 0))
    tick, seen = time.perf_counter(), 0
    step = start
    set_train_mode(model, freeze_norm=config.freeze_norm)
    with StepProgress("fit", len(sampler), enabled=progress and dist.is_main, show_loss=True) as bar:
        for step, batch in enumerate(loader, start=start):
            torch.manual_seed(config.seed * 1_000_003 + step * 1009 + dist.rank)  # dropout streams survive resume
            for group in optimizer.param_groups:
                group["lr"] = group_lr(group, step, config.optim)
            images = batch["image"].to(dist.device, non_blocking=True)
            targets = batch["pathways"].to(dist.device, non_blocking=True)
            mask = batch["mask"].to(dist.device, non_blocking=True)
            with torch.autocast(dist.device.type, dtype=torch.bfloat16, enabled=autocast):
                out = model(images, targets, mask)
            batch_con = ContrastiveBatch(out.image_z, out.pathway_z, out.logit_scale, targets, mask)
            loss_con = contrastive(batch_con, config.loss.target_temperature)
            loss_reg = masked_mse(out.prediction, targets, mask)
            loss = config.loss.lambda_con * loss_con + config.loss.lambda_reg * loss_reg
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.optim.grad_clip:
                torch.nn.utils.clip_grad_norm_(
                    [p for p in aligner.parameters() if p.requires_grad], config.optim.grad_clip
                )
            optimizer.step()
            losses.append(float(loss.detach()))
            seen += images.shape[0] * dist.world_size
            done = step + 1
            row: dict[str, float] = {}
            if done % config.log_every == 0 or done == sampler.num_steps:
                row = {
                    "loss": losses[-1],
                    "loss_con": float(loss_con.detach()),
                    "loss_reg": float(loss_reg.detach()),
                    "temperature": float(torch.exp(-out.logit_scale.detach())),
                    "lr": optimizer.param_groups[0]["lr"],
                    "lr_heads": optimizer.param_groups[1]["lr"],
                    "patches_per_s": seen / max(time.perf_counter() - tick, 1e-9),
                }
                tick, seen = time.perf_counter(), 0
            if metrics is not None and checks.due(done):
                row.update(checks.validate(aligner, done))
                set_train_mode(model, freeze_norm=config.freeze_norm)
                tick = time.perf_counter()
            if metrics is not None and row:
                metrics.log(done, row)
            if dist.is_main and (done % config.checkpoint_every == 0 or done == sampler.num_steps):
                save_checkpoint(run, done, aligner.trainable_state(), optimizer, keep=config.keep_checkpoints)
            bar.advance(1, loss=losses[-1])
            step = done
    if metrics is not None:
        metrics.close()
    wall = time.perf_counter() - began
    if dist.is_main and step >= config.optim.steps:
        validation = checks.select(aligner, read_metrics(run))
        verdict = _verdict(run, config, validator, aligner, validation)
        finish_run(run, aligner, dataset, config, dist, losses, wall, validation=validation, verdict=verdict)
    return FitResult(run, step, losses, wall, model=aligner)
