"""Step-indexed batch sampler balanced across samples or organs, sharded over distributed ranks.

Batch ``s`` depends only on ``(seed, s)``: resuming at step ``s`` replays exactly what an uninterrupted run sees,
and every rank draws the same global batch and keeps its own slice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import numpy as np

__all__ = ["BalancedBatchSampler"]

Balance = Literal["sample", "organ", "patient", "none"]


class BalancedBatchSampler:
    """Yield per-rank batches of ``(row, augmentation_seed)`` for steps ``start_step .. num_steps - 1``.

    Parameters
    ----------
    groups
        Group label per row (sample id, organ, ...); each group gets equal weight. ``None`` = uniform over rows.
    batch_size
        Rows per rank and step.
    num_steps
        Last step (exclusive).
    seed
        Seed of the whole sequence.
    start_step
        First step to yield (resume).
    rank, world_size
        This process's slice of the global batch.
    """

    def __init__(
        self,
        groups: np.ndarray | None,
        n_rows: int,
        *,
        batch_size: int,
        num_steps: int,
        seed: int = 0,
        start_step: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if n_rows == 0:
            msg = "no rows to sample from (is the split empty?)"
            raise ValueError(msg)
        self.n_rows = n_rows
        self.batch_size = batch_size
        self.num_steps = num_steps
        self.seed = seed
        self.start_step = start_step
        self.rank = rank
        self.world_size = world_size
        if groups is None:
            self.p = None
        else:
            _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
            weights = 1.0 / counts[inverse]
            self.p = weights / weights.sum()

    def __len__(self) -> int:
        return max(0, self.num_steps - self.start_step)

    def batch(self, step: int) -> list[tuple[int, int]]:
        """Return this rank's ``(row, seed)`` pairs of ``step``."""
        rng = np.random.default_rng([self.seed, step])
        total = self.batch_size * self.world_size
        rows = rng.choice(self.n_rows, size=total, replace=True, p=self.p)
        seeds = rng.integers(0, 2**31 - 1, size=total)
        lo = self.rank * self.batch_size
        return list(
            zip(rows[lo : lo + self.batch_size].tolist(), seeds[lo : lo + self.batch_size].tolist(), strict=True)
        )

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        for step in range(self.start_step, self.num_steps):
            yield self.batch(step)
