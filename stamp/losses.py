"""Losses: the contrastive terms (InfoNCE, soft-target, none) with rank-gathered negatives, and masked MSE.

Every contrastive term is symmetric (image -> pathway and pathway -> image) and, under DDP, scores this rank's
rows against the rows gathered from every rank with gradients, so with equal per-rank batches the mean over
ranks equals the loss of one process on the concatenated batch. ``loss.contrastive`` names one entry of
:data:`CONTRASTIVE`; the training loop looks it up once (no if-chain on the name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from humanst.registry import Registry
from stamp.errors import ConfigError

__all__ = [
    "CONTRASTIVE",
    "ContrastiveBatch",
    "contrastive_loss",
    "gather_with_grad",
    "info_nce",
    "masked_mse",
    "soft_info_nce",
    "soft_targets",
]


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


def _symmetric_ce(
    image_z: torch.Tensor, pathway_z: torch.Tensor, logit_scale: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Mean of the two cross-entropies (image rows vs all pathway rows, and back) against ``targets``.

    ``targets`` is either class indices into the gathered rows (one-hot positives) or, per local row, a
    probability distribution over the gathered rows.
    """
    image_z = F.normalize(image_z.float(), dim=-1)
    pathway_z = F.normalize(pathway_z.float(), dim=-1)
    all_image, _ = gather_with_grad(image_z)
    all_pathway, _ = gather_with_grad(pathway_z)
    scale = logit_scale.float().exp()
    loss_image = F.cross_entropy(scale * image_z @ all_pathway.T, targets)
    loss_pathway = F.cross_entropy(scale * pathway_z @ all_image.T, targets)
    return 0.5 * (loss_image + loss_pathway)


def _own_columns(n_local: int, device: torch.device) -> torch.Tensor:
    """Column of each local row in the gathered batch (this rank's rows follow the lower ranks' rows)."""
    import torch.distributed as dist

    rank = dist.get_rank() if dist.is_available() and dist.is_initialized() else 0
    return torch.arange(n_local, device=device) + rank * n_local


def info_nce(image_z: torch.Tensor, pathway_z: torch.Tensor, logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE between L2-normalised projections; negatives are every row of the global batch."""
    return _symmetric_ce(image_z, pathway_z, logit_scale, _own_columns(image_z.shape[0], image_z.device))


def soft_targets(profiles: torch.Tensor, mask: torch.Tensor, temperature: float) -> torch.Tensor:
    """Soft contrastive targets: per local row, softmax over the global batch of the profiles' cosine similarity.

    ``profiles`` are the spots' standardised target vectors (masked entries count as 0); the similarity of a
    row with itself is 1 even for an all-masked row. Rows of orthogonal profiles get targets within
    ``exp(-1 / temperature)`` per other row of InfoNCE's one-hot; two identical profiles share their mass equally.
    """
    unit = F.normalize(torch.nan_to_num(profiles.float()) * mask.float(), dim=-1)
    all_unit, _ = gather_with_grad(unit.detach())
    similarity = unit.detach() @ all_unit.T
    own = _own_columns(unit.shape[0], unit.device)
    similarity[torch.arange(unit.shape[0], device=unit.device), own] = 1.0
    return torch.softmax(similarity / temperature, dim=-1)


def soft_info_nce(
    image_z: torch.Tensor,
    pathway_z: torch.Tensor,
    logit_scale: torch.Tensor,
    profiles: torch.Tensor,
    mask: torch.Tensor,
    target_temperature: float,
) -> torch.Tensor:
    """Symmetric contrastive loss against :func:`soft_targets` instead of one-hot positives (same gathers)."""
    return _symmetric_ce(image_z, pathway_z, logit_scale, soft_targets(profiles, mask, target_temperature))


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the unmasked entries only (0 when nothing is unmasked)."""
    maskf = mask.to(prediction.dtype)
    diff = (prediction.float() - torch.nan_to_num(target.float())) * maskf
    return (diff**2).sum() / maskf.sum().clamp(min=1.0)


@dataclass(frozen=True)
class ContrastiveBatch:
    """What a contrastive term sees of one step: both projections, the logit scale, the targets and their mask."""

    image_z: torch.Tensor
    pathway_z: torch.Tensor
    logit_scale: torch.Tensor
    profiles: torch.Tensor
    mask: torch.Tensor


ContrastiveLoss = Callable[[ContrastiveBatch, float], torch.Tensor]
CONTRASTIVE: Registry[str, ContrastiveLoss] = Registry(
    "contrastive loss (loss.contrastive)", error=ConfigError, hint="see docs/controls.md"
)


def _register(name: str) -> Callable[[ContrastiveLoss], ContrastiveLoss]:
    def wrap(fn: ContrastiveLoss) -> ContrastiveLoss:
        return CONTRASTIVE.add(name, fn)

    return wrap


@_register("infonce")
def _infonce(batch: ContrastiveBatch, target_temperature: float) -> torch.Tensor:
    del target_temperature
    return info_nce(batch.image_z, batch.pathway_z, batch.logit_scale)


@_register("soft")
def _soft(batch: ContrastiveBatch, target_temperature: float) -> torch.Tensor:
    return soft_info_nce(
        batch.image_z, batch.pathway_z, batch.logit_scale, batch.profiles, batch.mask, target_temperature
    )


@_register("none")
def _none(batch: ContrastiveBatch, target_temperature: float) -> torch.Tensor:
    """Regression only: a zero that keeps the projection heads in the graph (DDP expects every parameter)."""
    del target_temperature
    return 0.0 * (batch.image_z.float().sum() + batch.pathway_z.float().sum() + batch.logit_scale.float())


def contrastive_loss(name: str) -> ContrastiveLoss:
    """Return the contrastive term registered as ``name``.

    Raises
    ------
    ConfigError
        Unknown name (the message lists the registered ones).
    """
    return CONTRASTIVE.get(name)
