"""Process group from the launcher's environment (``torchrun`` / ``accelerate launch`` set RANK, WORLD_SIZE)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

__all__ = ["DistInfo", "init_distributed", "is_main_process", "resolve_device", "shutdown_distributed"]


@dataclass(frozen=True)
class DistInfo:
    """Rank, world size, local rank and device of the current process."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Whether this process writes the run directory."""
        return self.rank == 0


def resolve_device(device: str = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; a bare ``cuda`` -> this process's local GPU."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda":
        device = f"cuda:{local_rank}"
    return torch.device(device)


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the process group when launched by torchrun (NCCL on CUDA, gloo on CPU); single process otherwise."""
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(device, local_rank)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank, device=dev)


def is_main_process() -> bool:
    """Whether this process is the main one (rank 0 under torchrun, or the only one): it writes run summaries."""
    return int(os.environ.get("RANK", "0")) == 0


def shutdown_distributed() -> None:
    """Leave the process group if one was joined."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
