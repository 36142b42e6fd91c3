"""Size- and expression-matched random gene sets: the specificity control of every pathway prediction.

For every pathway, a random set of the same number of measured genes is drawn, one gene per member from the
member's expression bin (pooled log1p CP10k means, the pathway engine's binning), never a member itself. The
sets are then scored exactly like the pathways (the atlas's method and parameters, background-corrected), so
the gap between pathway and random-set prediction is the specific molecular signal. Used by the tier-1
benchmark (``benchmarks.controls``) and by the validation inside ``stamp fit`` (``stamp.train.validation``).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import scipy.sparse as sp

from humanst.pathways.controls import expression_bins
from humanst.pathways.genesets import GeneSets
from humanst.pathways.results import obsm_key
from humanst.pathways.scoring import score

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.pathways.context import Background

__all__ = [
    "CONTROL_STREAM",
    "TRAINING_STREAM",
    "control_set_name",
    "log1p_cp10k",
    "matched_random_sets",
    "score_like_atlas",
    "scoring_params",
]

DENSE_LIMIT = 50_000  # spots above which the bins use log1p of mean counts instead of a dense log1p(CP10k)
PARAM_KEYS = ("method", "background", "min_coverage", "standardize", "seed")
# Independent draws with the same seed: the specificity controls that tier 1 and `stamp fit`'s validation score
# (stream 0), and the random sets a negative-control fit is trained on (`data.targets: random`, stream 1), so
# that control encoder is never trained on the very sets it is then measured against.
CONTROL_STREAM = 0
TRAINING_STREAM = 1


def control_set_name(pathway: str) -> str:
    """Name of a pathway's matched random set (its target name in a control block)."""
    return f"random:{pathway}"


def log1p_cp10k(counts: sp.spmatrix, library_sizes: np.ndarray) -> np.ndarray:
    """Dense log1p(CP10k) of ``counts`` (spots x genes), normalised by each spot's given library size."""
    lib = np.asarray(library_sizes, dtype=np.float64).copy()
    lib[lib <= 0] = 1.0
    dense = sp.csr_matrix(counts).toarray().astype(np.float64)
    return np.log1p(dense * (1e4 / lib[:, None])).astype(np.float32)


def matched_random_sets(
    sets: GeneSets,
    names: Sequence[str],
    genes: Sequence[str],
    counts: sp.spmatrix,
    library_sizes: np.ndarray,
    *,
    n_bins: int,
    seed: int,
    stream: int = CONTROL_STREAM,
) -> GeneSets:
    """Draw one size- and expression-matched random set per pathway in ``names``.

    Parameters
    ----------
    sets
        The collection the pathways come from.
    names
        The pathways to match (each gets ``random:<name>``).
    genes
        The measured genes (columns of ``counts``), shared by every spot the sets will be scored on.
    counts
        Raw counts, spots x ``genes``.
    library_sizes
        Each spot's total count over all its genes (the CP10k denominator).
    n_bins
        Expression bins.
    seed
        Seeds the draw (with each set's name, so a set's control does not depend on the others).
    stream
        Which independent draw (``CONTROL_STREAM``: the evaluation controls; ``TRAINING_STREAM``: training targets).
    """
    upper = [g.upper() for g in genes]
    position = {g: i for i, g in enumerate(upper)}
    mean = np.asarray(counts.mean(axis=0)).ravel()
    n_spots = counts.shape[0]
    expr = log1p_cp10k(counts, library_sizes).mean(0) if n_spots <= DENSE_LIMIT else np.log1p(mean)
    bins = expression_bins(expr, n_bins, variable=mean > 0)
    random_sets: dict[str, tuple[str, ...]] = {}
    for name in names:
        members = np.unique([position[g.upper()] for g in sets[name] if g.upper() in position])
        key = [seed, zlib.crc32(name.encode())] + ([stream] if stream != CONTROL_STREAM else [])
        rng = np.random.default_rng(key)
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
    return GeneSets(name=f"random-{sets.name}", sets=random_sets, source="humanst.pathways.random_sets")


def scoring_params(table: AnnData, collection: str) -> dict[str, Any]:
    """Return the parameters the atlas scored ``collection`` with (from a store table's ``uns``)."""
    meta = table.uns["humanst"]["pathways"][obsm_key(collection)]
    return {k: meta[k] for k in PARAM_KEYS}


@contextmanager
def _quiet_scoring() -> Iterator[None]:
    """Silence the per-table "scored" lines of :func:`score` (noise when scoring sets inside a larger step)."""
    quiet = logging.getLogger("humanst")
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        yield
    finally:
        quiet.setLevel(level)


def score_like_atlas(
    tables: Iterable[AnnData], sets: GeneSets, params: Mapping[str, Any], *, quiet: bool = False
) -> np.ndarray:
    """Score ``sets`` on every table (rows stacked in order) with the atlas's method and parameters.

    ``quiet`` keeps :func:`score`'s per-table log lines out of the terminal.
    """
    if quiet:
        with _quiet_scoring():
            return score_like_atlas(tables, sets, params)
    blocks = []
    for table in tables:
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
    return np.vstack(blocks)
