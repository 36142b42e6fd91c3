"""Expression-matched control gene sets (the idea of Seurat's module score and ``scanpy.tl.score_genes``)."""

from __future__ import annotations

import zlib

import numpy as np
from scipy.stats import rankdata

__all__ = ["expression_bins", "matched_controls"]


def expression_bins(mean: np.ndarray, n_bins: int, *, variable: np.ndarray | None = None) -> np.ndarray:
    """Bin genes by the rank of their mean expression into ``n_bins`` equal-count bins (ties share a bin).

    Genes that do not vary in the sample (``variable`` False, e.g. never detected) form one extra bin,
    ``n_bins``: their z is 0, so they are matched only with each other and add nothing to a score.
    """
    variable = np.ones(mean.size, dtype=bool) if variable is None else np.asarray(variable, dtype=bool)
    bins = np.full(mean.size, n_bins, dtype=np.int64)
    n_items = max(1, round(int(variable.sum()) / n_bins))
    if variable.any():
        bins[variable] = np.minimum((rankdata(mean[variable], method="min") - 1) // n_items, n_bins - 1)
    return bins


def matched_controls(
    members: np.ndarray, bins: np.ndarray, *, name: str, seed: int, ctrl_size: int = 100
) -> np.ndarray:
    """Draw control genes from the expression bins of a set's members, in proportion to its members per bin.

    Every bin holding ``m`` members contributes ``ceil(m * max(1, ctrl_size / n_members))`` non-member genes
    (or all it has), so the controls follow the members' expression distribution and a set of any size gets
    at least about ``ctrl_size`` controls. The draw is seeded by ``seed`` and the set name only, so a set's
    controls do not depend on which other sets are scored.
    """
    if members.size == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    is_member = np.zeros(bins.size, dtype=bool)
    is_member[members] = True
    ratio = max(1.0, ctrl_size / members.size)
    picked = []
    member_bins, counts = np.unique(bins[members], return_counts=True)
    for bin_id, count in zip(member_bins, counts, strict=True):
        pool = np.flatnonzero((bins == bin_id) & ~is_member)
        take = min(pool.size, int(np.ceil(count * ratio)))
        if take:
            picked.append(rng.choice(pool, size=take, replace=False))
    return np.sort(np.concatenate(picked)) if picked else np.zeros(0, dtype=np.int64)
