"""What ``stamp fit`` aligns the encoder to: a registry of target kinds, each a function from rows to a table.

A kind is one decorated builder (``@register_target("pathways")``) that turns the training rows of the patch
dataset into a :class:`TargetTable` of raw per-spot values and a validity mask; :class:`stamp.data.AtlasPatches`
then standardises them (per sample or globally) exactly as it does for pathway scores, so the sampler, steps,
encoder and heads of a fit are the same whatever the kind, and only the targets differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from humanst.registry import Registry
from stamp.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

    from humanst.store import Atlas

__all__ = [
    "TARGETS",
    "TargetBuilder",
    "TargetRows",
    "TargetSpec",
    "TargetTable",
    "build_targets",
    "register_target",
    "target_kinds",
]


@dataclass(frozen=True)
class TargetSpec:
    """Which targets, and their parameters (read from ``TrainConfig.data``; see ``docs/controls.md``).

    Parameters
    ----------
    kind
        A registered kind (``pathways``, ``random``, ``genes``).
    collections
        Pathway collections (``pathways``: their scores; ``random``: the collections matched by random sets).
    pathways
        ``pathways``: only these pathways of the collections (``None``: all).
    n_genes
        ``genes``: how many of the most variable genes (log1p CP10k over the training rows).
    seed
        ``random``: seed of the draw (the run's seed, so replicate seeds also redraw the control sets).
    n_bins
        ``random``: expression bins the random sets are matched in.
    """

    kind: str = "pathways"
    collections: tuple[str, ...] = ("hallmark",)
    pathways: tuple[str, ...] | None = None
    n_genes: int = 50
    seed: int = 0
    n_bins: int = 25


@dataclass(frozen=True)
class TargetRows:
    """The training rows a builder computes targets for: the patch table, the kept row indices, their groups."""

    atlas: Atlas
    table: pa.Table
    rows: np.ndarray
    sample_id: np.ndarray
    patient_id: np.ndarray
    spot_id: np.ndarray


@dataclass(frozen=True)
class TargetTable:
    """Raw targets of the rows (rows x targets, float32), where they are valid, and how they were made."""

    names: list[str]
    values: np.ndarray
    mask: np.ndarray
    details: dict[str, object] = field(default_factory=dict)  # JSON-ready: kept in run.json under "targets"

    def __post_init__(self) -> None:
        if self.values.shape != self.mask.shape or self.values.shape[1] != len(self.names):
            msg = f"target table: values {self.values.shape}, mask {self.mask.shape} and {len(self.names)} names differ"
            raise ValueError(msg)


TargetBuilder = Callable[[TargetRows, TargetSpec], TargetTable]
TARGETS: Registry[str, TargetBuilder] = Registry(
    "target kind (data.targets)", error=ConfigError, hint="see docs/controls.md"
)


def register_target(name: str) -> Callable[[TargetBuilder], TargetBuilder]:
    """File a target builder under ``name`` (the value of ``data.targets``)."""

    def wrap(builder: TargetBuilder) -> TargetBuilder:
        return TARGETS.add(name, builder)

    return wrap


def target_kinds() -> list[str]:
    """Return the registered target kinds, sorted."""
    return TARGETS.names()


def build_targets(rows: TargetRows, spec: TargetSpec) -> TargetTable:
    """Build the targets of ``rows``: the one door every kind goes through (no if-chain on the kind).

    Raises
    ------
    ConfigError
        ``spec.kind`` is not registered (the message lists the kinds).
    """
    table = TARGETS.get(spec.kind)(rows, spec)
    return TargetTable(table.names, table.values, table.mask, {"kind": spec.kind, **table.details})
