"""Losses: symmetric InfoNCE with negatives gathered from every rank (with gradients) and masked MSE."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["gather_with_grad", "info_nce", "masked_mse"]


def gather_with_grad(x: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Concatenate ``x`` over all ranks keeping gradients (``torch.distributed.nn``); return it and this rank."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return x, 0
    import warnings

    from torch.distributed.nn.functional import all_gather

    with warnings.catch_warnings():  # torch 2.14 marks it deprecated; its replacement is still a private module
        warnings.simplefilter("ignore", FutureWarning)
        gathered = all_gather(x)
    return torch.cat(gathered, dim=0), dist.get_rank()


def info_nce(image_z: torch.Tensor, pathway_z: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE between L2-normalised projections; negatives are every row of the global batch.

    Under DDP each rank scores its own rows against the gathered rows of all ranks; with equal per-rank batches
    the mean over ranks equals the loss of one process on the concatenated batch.
    """
    image_z = F.normalize(image_z.float(), dim=-1)
    pathway_z = F.normalize(pathway_z.float(), dim=-1)
    all_image, rank = gather_with_grad(image_z)
    all_pathway, _ = gather_with_grad(pathway_z)
    scale = logit_scale.float().exp()
    labels = torch.arange(image_z.shape[0], device=image_z.device) + rank * image_z.shape[0]
    loss_image = F.cross_entropy(scale * image_z @ all_pathway.T, labels)
    loss_pathway = F.cross_entropy(scale * pathway_z @ all_image.T, labels)
    return 0.5 * (loss_image + loss_pathway)


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the unmasked entries only (0 when nothing is unmasked)."""
    maskf = mask.to(prediction.dtype)
    diff = (prediction.float() - torch.nan_to_num(target.float())) * maskf
    return (diff**2).sum() / maskf.sum().clamp(min=1.0)
