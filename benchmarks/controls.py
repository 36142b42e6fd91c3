"""Specificity control: size- and expression-matched random gene sets, scored like the real pathways.

The drawing and scoring live in :mod:`humanst.pathways.random_sets` (shared with the validation inside
``stamp fit``); this module applies them to a task's :class:`SpotData`.
"""

from __future__ import annotations

import numpy as np

from benchmarks.spot.data import SpotData
from humanst.pathways import GeneSets, load_collection
from humanst.pathways import random_sets as shared
from humanst.pathways.random_sets import control_set_name

__all__ = ["control_set_name", "log1p_cp10k", "random_gene_sets", "score_random_sets"]


def _library_sizes(data: SpotData) -> np.ndarray:
    return np.concatenate([np.asarray(t.X.sum(axis=1)).ravel() for t in data.tables.values()]).astype(np.float64)


def log1p_cp10k(data: SpotData) -> np.ndarray:
    """Dense log1p(CP10k) of the shared-gene counts, normalised by each spot's total over all its genes."""
    return shared.log1p_cp10k(data.counts, _library_sizes(data))


def random_gene_sets(collection: str, data: SpotData, *, n_bins: int, seed: int) -> GeneSets:
    """Draw one size- and expression-matched random set per kept pathway of ``collection`` (see humanst)."""
    names, _ = data.pathways[collection]
    return shared.matched_random_sets(
        load_collection(collection), names, data.genes, data.counts, _library_sizes(data), n_bins=n_bins, seed=seed
    )


def score_random_sets(collection: str, data: SpotData, sets: GeneSets) -> tuple[list[str], np.ndarray]:
    """Score ``sets`` on every sample's table with the atlas's method and parameters for ``collection``."""
    return list(sets.names), shared.score_like_atlas(data.tables.values(), sets, data.score_params[collection])
