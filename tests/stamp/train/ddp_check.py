"""Run under ``torchrun --nproc_per_node 2``: gathered contrastive losses on rank slices vs one process on the batch.

Writes ``<out>/rank<R>.json`` with, for InfoNCE and the soft-target loss, the all-reduced loss, the single-process
loss and gradient differences.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from stamp.losses import info_nce, soft_info_nce


def main() -> None:
    out = Path(sys.argv[1])
    world = int(os.environ["WORLD_SIZE"])
    torch.manual_seed(0)
    image, pathway = torch.randn(8 * world, 16), torch.randn(8 * world, 16)
    profiles = torch.randn(8 * world, 6)
    profiles[1] = profiles[9 % (8 * world)]  # two spots with the same profile, on different ranks
    mask = torch.rand(8 * world, 6) > 0.2
    scale = torch.tensor(2.3)
    losses = {
        "infonce": lambda i, p, rows: info_nce(i, p, scale),
        "soft": lambda i, p, rows: soft_info_nce(i, p, scale, profiles[rows], mask[rows], 0.1),
    }
    # one process, concatenated batch (computed before joining the group, so nothing is gathered)
    full = {}
    for name, loss_fn in losses.items():
        full_image = image.clone().requires_grad_(True)
        loss = loss_fn(full_image, pathway, slice(None))
        loss.backward()
        full[name] = (loss.item(), full_image.grad)
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    result: dict[str, float] = {"world": world}
    lo, hi = rank * 8, (rank + 1) * 8
    for name, loss_fn in losses.items():
        # this rank's slice, negatives (and the soft targets' profiles) gathered from every rank with gradients
        local_image = image[lo:hi].clone().requires_grad_(True)
        local_loss = loss_fn(local_image, pathway[lo:hi], slice(lo, hi))
        local_loss.backward()
        mean_loss = local_loss.detach().clone()
        dist.all_reduce(mean_loss)
        mean_loss /= world
        # DDP averages gradients over ranks: rank-local grad / world must equal the single-process grad of its rows
        grad_diff = (local_image.grad / world - full[name][1][lo:hi]).abs().max().item()
        result |= {
            f"{name}_ddp_loss": mean_loss.item(),
            f"{name}_single_loss": full[name][0],
            f"{name}_grad_diff": grad_diff,
        }
    (out / f"rank{rank}.json").write_text(json.dumps(result))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
