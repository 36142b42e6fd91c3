"""Specificity control: size- and expression-matched random gene sets, scored like the real pathways.

For every pathway kept as a target, a random set of the same number of measured genes is drawn, one gene
per member from the member's expression bin (pooled log1p CP10k means, the pathway engine's binning), never
a member itself. Each sample's table is then scored with the atlas's own method and parameters
(background-corrected). The gap between pathway and random-set Pearson is the specific molecular signal.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from benchmarks.spot_data import SpotData
from humanst.pathways import GeneSets, load_collection, score
from humanst.pathways.controls import expression_bins

if TYPE_CHECKING:
    from humanst.pathways.context import Background

__all__ = ["control_set_name", "log1p_cp10k", "matched_random_sets", "random_gene_sets", "score_random_sets"]


def control_set_name(pathway: str) -> str:
    """Name of a pathway's matched random set (its target name in the control block)."""
    return f"random:{pathway}"


def log1p_cp10k(data: SpotData) -> np.ndarray:
    """Dense log1p(CP10k) of the shared-gene counts, normalised by each spot's total over all its genes."""
    lib = np.concatenate([np.asarray(t.X.sum(axis=1)).ravel() for t in data.tables.values()]).astype(np.float64)
    lib[lib <= 0] = 1.0
    dense = data.counts.toarray().astype(np.float64)
    return np.log1p(dense * (1e4 / lib[:, None])).astype(np.float32)


def random_gene_sets(collection: str, data: SpotData, *, n_bins: int, seed: int) -> GeneSets:
    """Draw one size- and expression-matched random set per kept pathway of ``collection``.

    Parameters
    ----------
    collection
        A pathway collection of the task (its kept sets are matched).
    data
        The task's spots (shared genes and counts).
    n_bins
        Expression bins.
    seed
        Seeds the draw (with each set's name, so a set's control does not depend on the others).
    """
    names, _ = data.pathways[collection]
    mean = np.asarray(data.counts.mean(axis=0)).ravel()
    expr = log1p_cp10k(data).mean(0) if data.n_spots <= 50_000 else np.log1p(mean)
    return matched_random_sets(collection, names, list(data.genes), expr, mean > 0, n_bins=n_bins, seed=seed)


def matched_random_sets(
    collection: str,
    kept: Sequence[str],
    genes: Sequence[str],
    mean_expression: np.ndarray,
    detected: np.ndarray,
    *,
    n_bins: int,
    seed: int,
) -> GeneSets:
    """Draw, for every set of ``collection`` in ``kept``, a random set of non-members matched member by member.

    Each measured member is replaced by a gene of its expression bin (``mean_expression`` binned as the pathway
    engine bins, undetected genes apart) that is neither a member nor already drawn; seeded by ``seed`` and the
    set's name. Used for spots (tier 1) and bulk RNA-seq (slide activity) alike.
    """
    sets = load_collection(collection)
    upper = [g.upper() for g in genes]
    position = {g: i for i, g in enumerate(upper)}
    bins = expression_bins(np.asarray(mean_expression, dtype=np.float64), n_bins, variable=np.asarray(detected))
    random_sets: dict[str, tuple[str, ...]] = {}
    for name in kept:
        members = np.unique([position[g.upper()] for g in sets[name] if g.upper() in position])
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        taken = np.zeros(len(upper), dtype=bool)
        taken[members] = True
        picked = []
        for gene in members:
            pool = np.flatnonzero((bins == bins[gene]) & ~taken)
            if pool.size == 0:
                pool = np.flatnonzero(~taken)
            choice = int(rng.choice(pool))
            taken[choice] = True
            picked.append(choice)
        random_sets[control_set_name(name)] = tuple(genes[i] for i in sorted(picked))
    return GeneSets(name=f"random-{collection}", sets=random_sets, source="benchmarks.controls")


def score_random_sets(collection: str, data: SpotData, sets: GeneSets) -> tuple[list[str], np.ndarray]:
    """Score ``sets`` on every sample's table with the atlas's method and parameters for ``collection``."""
    params = data.score_params[collection]
    blocks = []
    for table in data.tables.values():
        result = score(
            table,
            sets,
            method=str(params["method"]),
            min_coverage=float(params["min_coverage"]),
            background=cast(
                "Background | None", (str(params["background"]) or None) if params["method"] == "mean_z" else None
            ),
            standardize=bool(params["standardize"]),
            seed=int(params["seed"]),
        )
        blocks.append(result.scores)
    return list(sets.names), np.vstack(blocks)
