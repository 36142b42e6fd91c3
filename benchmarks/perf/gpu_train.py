"""GPU training throughput of STAMP: LoRA on a ViT-L/16 (random init) in bf16, synthetic tensors and the demo atlas.

    python -m benchmarks.perf.gpu_train --mode synthetic --steps 100 --batch-size 256
    python -m benchmarks.perf.gpu_train --mode atlas --atlas demo_out/atlas --steps 100 --batch-size 256

Prints images/s (after --warmup steps), peak GPU memory and MFU. MFU counts model FLOPs as 3x the forward FLOPs
(measured with ``torch.utils.flop_counter`` on one image), the usual convention, over the GPU's dense bf16 peak
(``--peak-tflops``, default 989 for H100/H200 SXM). With the base frozen, LoRA skips most weight gradients, so
hardware work is nearer 2x forward: the MFU printed is the conventional, comparable one.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import torch


def forward_flops(encoder: torch.nn.Module, size: int, device: torch.device) -> float:
    """FLOPs of one image's forward pass."""
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.randn(1, 3, size, size, device=device)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        encoder(x)
    return float(counter.get_total_flops())


def synthetic(arch: str, steps: int, batch: int, warmup: int, device: torch.device) -> tuple[float, float, int]:
    """Train on random tensors already on the GPU; return (images/s, forward FLOPs per image, input size)."""
    from stamp.encoders import create_encoder
    from stamp.losses import info_nce, masked_mse
    from stamp.model import LoraSettings, StampAligner, attach_lora

    encoder = create_encoder(arch, pretrained=False)
    size = encoder.spec.input_size
    flops = forward_flops(encoder.to(device), size, device)
    aligner = StampAligner(attach_lora(encoder, LoraSettings()), 50).to(device)
    optimizer = torch.optim.AdamW([p for p in aligner.parameters() if p.requires_grad], lr=1e-4)
    images = torch.randn(batch, 3, size, size, device=device)
    scores = torch.randn(batch, 50, device=device)
    mask = torch.ones(batch, 50, dtype=torch.bool, device=device)
    start = 0.0
    for step in range(steps):
        if step == warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out = aligner(images, scores, mask)
        loss = info_nce(out.image_z, out.pathway_z, out.logit_scale) + masked_mse(out.prediction, scores, mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return batch * (steps - warmup) / (time.perf_counter() - start), flops, size


def atlas(arch: str, atlas_dir: Path, steps: int, batch: int, warmup: int, workers: int) -> float:
    """Train through `stamp.train.fit` on the atlas; images/s from metrics.csv after the warm-up steps."""
    from stamp.run_dir import RunFiles
    from stamp.train import fit, load_config

    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(
            None,
            {
                "atlas": atlas_dir,
                "encoder": arch,
                "random_init": True,
                "out": Path(tmp) / "run",
                "optim.steps": steps,
                "optim.batch_size": batch,
                "optim.warmup_steps": 10,
                "log_every": 1,
                "checkpoint_every": steps,
                "data.num_workers": workers,
            },
        )
        result = fit(config, progress=False)
        with (Path(tmp) / "run" / RunFiles.METRICS).open() as handle:
            rates = [float(r["patches_per_s"]) for r in csv.DictReader(handle)][warmup:]
    del result
    return len(rates) / sum(1.0 / r for r in rates)  # harmonic mean: total images / total time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["synthetic", "atlas"], default="synthetic")
    parser.add_argument("--encoder", default="timm:vit_large_patch16_224")
    parser.add_argument("--atlas", type=Path, default=Path("demo_out/atlas"))
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--peak-tflops", type=float, default=989.0)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
        torch.backends.cuda.matmul.allow_tf32 = True
    if args.mode == "synthetic":
        rate, flops, size = synthetic(args.encoder, args.steps, args.batch_size, args.warmup, device)
    else:
        from stamp.encoders import create_encoder

        probe = create_encoder(args.encoder, pretrained=False).to(device)
        size = probe.spec.input_size
        flops = forward_flops(probe, size, device)
        del probe
        rate = atlas(args.encoder, args.atlas, args.steps, args.batch_size, args.warmup, args.workers)
    peak_gb = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")
    mfu = rate * 3 * flops / (args.peak_tflops * 1e12)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"{args.mode:9s} {args.encoder} {size}px batch {args.batch_size} x {args.steps} steps on {name}: "
        f"{rate:,.0f} img/s, peak memory {peak_gb:.1f} GiB, forward {flops / 1e9:.1f} GFLOP/img, MFU {100 * mfu:.1f} %"
    )


if __name__ == "__main__":
    main()
