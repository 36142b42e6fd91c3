"""``fit``: the STAMP training loop (DDP-aware, resumable, bf16 on CUDA) from a :class:`TrainConfig`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from stamp._logging import logger
from stamp.train.config import TrainConfig

__all__ = ["FitResult", "fit", "lr_at"]


@dataclass
class FitResult:
    """What a finished (or interrupted at ``stop_after``) fit reports."""

    run: Path
    step: int
    losses: list[float]
    wall_s: float


def lr_at(step: int, peak: float, total: int, warmup: int, min_ratio: float) -> float:
    """Linear warmup over ``warmup`` steps, then cosine decay to ``peak * min_ratio`` at ``total``."""
    if warmup and step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


def _build(config: TrainConfig, device: torch.device) -> tuple[Any, Any]:
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
    dataset = AtlasPatches(
        config.atlas,
        transform,
        splits=config.data.splits,
        collections=config.data.collections,
        standardise=config.data.standardise,
    )
    encoder = attach_lora(encoder, config.lora)
    if config.grad_checkpointing:
        encoder.set_grad_checkpointing(enable=True)
    torch.manual_seed(config.seed + 1)
    aligner = StampAligner(
        encoder,
        len(dataset.pathway_names),
        proj_dim=config.loss.proj_dim,
        hidden_dim=config.loss.hidden_dim,
        temperature=config.loss.temperature,
    ).to(device)
    return aligner, dataset


def _optimizer(aligner: Any, config: TrainConfig) -> torch.optim.Optimizer:
    lora = [p for n, p in aligner.named_parameters() if p.requires_grad and n.startswith("encoder.")]
    heads = [p for n, p in aligner.named_parameters() if p.requires_grad and not n.startswith("encoder.")]
    head_lr = config.optim.head_lr or config.optim.lr * 10
    groups = [{"params": lora, "lr": config.optim.lr, "peak_lr": config.optim.lr}]
    groups.append({"params": heads, "lr": head_lr, "peak_lr": head_lr})
    return torch.optim.AdamW(groups, weight_decay=config.optim.weight_decay)


def _groups(dataset: Any, balance: str) -> Any:
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
    from stamp.losses import info_nce, masked_mse
    from stamp.progress import StepProgress
    from stamp.run_dir import RunFiles
    from stamp.train.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
    from stamp.train.distributed import init_distributed
    from stamp.train.metrics_log import MetricsLog
    from stamp.train.summary import finish_run

    dist = init_distributed(config.device)
    run = Path(config.out)
    existing = latest_checkpoint(run)
    if existing is not None and not resume:
        msg = (
            f"run directory '{run}' already holds checkpoints (newest: {existing.name}); pass --resume to continue "
            "it, or choose another --out"
        )
        raise RunError(msg)
    if (
        existing is not None
        and int(existing.name.split("-")[1]) >= config.optim.steps
        and (run / RunFiles.INFO).is_file()
    ):
        logger.info("run %s already finished %d steps; nothing to do", run, config.optim.steps)
        return FitResult(run, config.optim.steps, [], 0.0)
    if dist.is_main:
        run.mkdir(parents=True, exist_ok=True)
        (run / RunFiles.CONFIG).write_text(config.to_yaml(), encoding="utf-8")
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
    metrics = MetricsLog(run, start_step=start) if dist.is_main else None
    losses: list[float] = []
    began = time.perf_counter()
    tick, seen = began, 0
    step = start
    model.train()
    with StepProgress("fit", len(sampler), enabled=progress and dist.is_main, show_loss=True) as bar:
        for step, batch in enumerate(loader, start=start):
            torch.manual_seed(config.seed * 1_000_003 + step * 1009 + dist.rank)  # dropout streams survive resume
            for group in optimizer.param_groups:
                group["lr"] = lr_at(
                    step, group["peak_lr"], config.optim.steps, config.optim.warmup_steps, config.optim.min_lr_ratio
                )
            images = batch["image"].to(dist.device, non_blocking=True)
            targets = batch["pathways"].to(dist.device, non_blocking=True)
            mask = batch["mask"].to(dist.device, non_blocking=True)
            with torch.autocast(dist.device.type, dtype=torch.bfloat16, enabled=autocast):
                out = model(images, targets, mask)
            loss_con = info_nce(out.image_z, out.pathway_z, out.logit_scale)
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
            if metrics is not None and (done % config.log_every == 0 or done == sampler.num_steps):
                now = time.perf_counter()
                metrics.log(
                    done,
                    {
                        "loss": losses[-1],
                        "loss_con": float(loss_con.detach()),
                        "loss_reg": float(loss_reg.detach()),
                        "temperature": float(torch.exp(-out.logit_scale.detach())),
                        "lr": optimizer.param_groups[0]["lr"],
                        "patches_per_s": seen / max(now - tick, 1e-9),
                    },
                )
                tick, seen = now, 0
            if dist.is_main and (done % config.checkpoint_every == 0 or done == sampler.num_steps):
                save_checkpoint(run, done, aligner.trainable_state(), optimizer, keep=config.keep_checkpoints)
            bar.advance(1, loss=losses[-1])
            step = done
    if metrics is not None:
        metrics.close()
    wall = time.perf_counter() - began
    if dist.is_main and step >= config.optim.steps:
        finish_run(run, aligner, dataset, config, dist, losses, wall)
    return FitResult(run, step, losses, wall)
