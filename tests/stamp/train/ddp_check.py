"""Run under ``torchrun --nproc_per_node 2``: gathered InfoNCE on rank slices vs one process on the whole batch.

Writes ``<out>/rank<R>.json`` with the all-reduced loss, the single-process loss and gradient differences.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from stamp.losses import info_nce


def main() -> None:
    out = Path(sys.argv[1])
    world = int(os.environ["WORLD_SIZE"])
    torch.manual_seed(0)
    image, pathway = torch.randn(8 * world, 16), torch.randn(8 * world, 16)
    scale = torch.tensor(2.3)
    # one process, concatenated batch (computed before joining the group, so nothing is gathered)
    full_image = image.clone().requires_grad_(True)
    full_loss = info_nce(full_image, pathway, scale)
    full_loss.backward()
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    # this rank's slice, negatives gathered from every rank with gradients
    lo, hi = rank * 8, (rank + 1) * 8
    local_image = image[lo:hi].clone().requires_grad_(True)
    local_loss = info_nce(local_image, pathway[lo:hi], scale)
    local_loss.backward()
    mean_loss = local_loss.detach().clone()
    dist.all_reduce(mean_loss)
    mean_loss /= world
    # DDP averages gradients over ranks: rank-local grad / world must equal the single-process grad of its rows
    grad_diff = (local_image.grad / world - full_image.grad[lo:hi]).abs().max().item()
    result = {"world": world, "ddp_loss": mean_loss.item(), "single_loss": full_loss.item(), "grad_diff": grad_diff}
    (out / f"rank{rank}.json").write_text(json.dumps(result))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
