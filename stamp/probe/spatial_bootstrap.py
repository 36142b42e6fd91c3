"""Spatial block bootstrap of a patient's Pearson scores: what an interval can honestly say with few patients.

With one or two held-out patients a bootstrap over patients measures nothing (one patient gives a zero-width
interval, two give two possible means). What can be estimated is how much a patient's score would move if
its tissue had been sampled differently, i.e. the within-patient sampling uncertainty. Spots are not
independent (neighbouring spots share cells, signal and errors), so resampling single spots makes the
interval too narrow; resampling *blocks* of neighbouring spots keeps the dependence inside each block.

Scheme (a non-overlapping tile bootstrap on the spot lattice): every slide's spots are cut into square
tiles whose side is ``block_pitches`` times the slide's spot pitch (the median nearest-neighbour distance,
100 um on Visium, 200 um on legacy ST, the pseudo-spot size on pooled platforms); a replicate draws, within
every slide, as many tiles as it has, with replacement, and recomputes each target's Pearson r on the spots
of the drawn tiles (a tile drawn twice counts twice). When a patient would have fewer than ``min_blocks``
tiles the side is halved (down to one pitch). Each tile's sums are computed once, so a replicate is one
matrix product.

References: Kunsch H.R., "The jackknife and the bootstrap for general stationary observations", Ann. Stat.
17 (1989) 1217-1261 (moving block bootstrap); Lahiri S.N., *Resampling Methods for Dependent Data*,
Springer 2003, ch. 12 (block bootstraps for spatial lattices); Nordman D.J., Lahiri S.N., Fridley B.L.,
"Optimal block size for variance estimation by a spatial block bootstrap method", Sankhya 69 (2007)
(blocks on a regular grid, the block size as the key choice); Warton's ``ecostats::BlockBootID`` (R), a
spatial block bootstrap with square tiles of a user-given size. The interval is about these patients'
tissue only: it makes no claim about other patients.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

__all__ = [
    "BlockLayout",
    "block_bootstrap_pearson",
    "spatial_blocks",
    "spot_layout",
    "spot_pitch_um",
    "tiles_of_side",
]


@dataclass(frozen=True)
class BlockLayout:
    """Spots of one patient cut into spatial tiles.

    ``block``: the tile index of every spot; ``block_slide``: the slide index of every tile;
    ``side_um``: slide id -> the tile side used there (0 for single-spot blocks).
    """

    block: np.ndarray
    block_slide: np.ndarray
    side_um: dict[str, float]

    @property
    def n_blocks(self) -> int:
        """Number of tiles."""
        return int(self.block_slide.size)


def spot_pitch_um(xy_um: np.ndarray) -> float:
    """Return the spot pitch: the median distance from a spot to its nearest neighbour (NaN below two spots)."""
    xy = np.asarray(xy_um, dtype=np.float64)
    if xy.shape[0] < 2:
        return float("nan")
    distances, _ = cKDTree(xy).query(xy, k=2)
    nearest = distances[:, 1]
    nearest = nearest[nearest > 0]
    return float(np.median(nearest)) if nearest.size else float("nan")


def _tiles(xy: np.ndarray, side: float) -> np.ndarray:
    cells = np.floor((xy - xy.min(axis=0)) / side).astype(np.int64)
    _, index = np.unique(cells, axis=0, return_inverse=True)
    return np.asarray(index).ravel()


def spatial_blocks(
    xy_um: np.ndarray, slides: np.ndarray, *, block_pitches: float = 4.0, min_blocks: int = 10
) -> BlockLayout:
    """Cut one patient's spots into square tiles per slide, ``block_pitches`` spot pitches on a side.

    Parameters
    ----------
    xy_um
        Spot centres in microns, shape (spots, 2) (each slide in its own frame).
    slides
        The slide (sample) id of every spot.
    block_pitches
        Tile side in spot pitches; 0 makes every spot its own block (the plain spot bootstrap).
    min_blocks
        Halve the side (not below one pitch) while the patient has fewer tiles than this.
    """
    xy = np.asarray(xy_um, dtype=np.float64)
    slides = np.asarray(slides)
    names = sorted(set(slides.tolist()))
    pitches = {s: spot_pitch_um(xy[slides == s]) for s in names}
    factor = float(block_pitches)
    while True:
        block = np.empty(slides.size, dtype=np.int64)
        block_slide: list[int] = []
        sides: dict[str, float] = {}
        for index, name in enumerate(names):
            rows = np.flatnonzero(slides == name)
            pitch = pitches[name]
            if factor <= 0 or not np.isfinite(pitch):
                local, sides[name] = np.arange(rows.size), 0.0
            else:
                sides[name] = factor * pitch
                local = _tiles(xy[rows], sides[name])
            block[rows] = local + len(block_slide)
            block_slide += [index] * (int(local.max()) + 1 if local.size else 0)
        if factor <= 1 or len(block_slide) >= min_blocks:
            return BlockLayout(block, np.asarray(block_slide, dtype=np.int64), sides)
        factor = max(1.0, factor / 2)


def tiles_of_side(xy_um: np.ndarray, slides: np.ndarray, side_um: Mapping[str, float]) -> BlockLayout:
    """Cut one patient's spots into square tiles of the given side per slide (0: every spot its own block).

    The sides a result recorded (``IntervalInfo.block_um``) rebuild the very tiles its intervals resampled.
    """
    xy = np.asarray(xy_um, dtype=np.float64)
    slides = np.asarray(slides)
    names = sorted(set(slides.tolist()))
    block = np.empty(slides.size, dtype=np.int64)
    block_slide: list[int] = []
    for index, name in enumerate(names):
        rows = np.flatnonzero(slides == name)
        side = float(side_um.get(name, 0.0))
        local = _tiles(xy[rows], side) if side > 0 else np.arange(rows.size)
        block[rows] = local + len(block_slide)
        block_slide += [index] * (int(local.max()) + 1 if local.size else 0)
    return BlockLayout(block, np.asarray(block_slide, dtype=np.int64), {n: float(side_um.get(n, 0.0)) for n in names})


def spot_layout(slides: np.ndarray) -> BlockLayout:
    """Every spot its own block (the naive spot bootstrap, for comparison)."""
    slides = np.asarray(slides)
    names = sorted(set(slides.tolist()))
    order = np.asarray([names.index(s) for s in slides.tolist()], dtype=np.int64)
    return BlockLayout(np.arange(slides.size), order, dict.fromkeys(names, 0.0))


def _draw_counts(layout: BlockLayout, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """How often each tile is drawn in each replicate: tiles resampled with replacement within their slide."""
    counts = np.zeros((n_boot, layout.n_blocks))
    for slide in np.unique(layout.block_slide):
        members = np.flatnonzero(layout.block_slide == slide)
        picks = members[rng.integers(0, members.size, size=(n_boot, members.size))]
        np.add.at(counts, (np.repeat(np.arange(n_boot), members.size), picks.ravel()), 1.0)
    return counts


def _pearson_from_sums(counts: np.ndarray, sums: dict[str, np.ndarray]) -> np.ndarray:
    """Pearson r per (replicate, target) from per-tile sums weighted by how often each tile was drawn."""
    w = counts @ sums["n"]
    sy, sp = counts @ sums["y"], counts @ sums["p"]
    syy, spp, syp = counts @ sums["yy"], counts @ sums["pp"], counts @ sums["yp"]
    w = w[:, None]
    cov = w * syp - sy * sp
    var_y, var_p = w * syy - sy * sy, w * spp - sp * sp
    denom = np.sqrt(np.clip(var_y, 0.0, None) * np.clip(var_p, 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / denom
    tiny = denom <= 1e-12 * max(1.0, float(np.nanmax(denom)) if denom.size else 1.0)
    r[tiny | (w < 3)] = np.nan  # as pearson_columns: a constant column or fewer than 3 spots has no r
    return np.clip(r, -1.0, 1.0)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=1)


def block_bootstrap_pearson(
    y: np.ndarray, pred: np.ndarray, layout: BlockLayout, *, n_boot: int = 1000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Replicates of a patient's two scores under the tile bootstrap.

    Returns ``pooled`` (the mean over targets of r on all the patient's spots) and ``per_slide`` (the mean
    over slides of the mean over targets of r on the slide), each of shape ``(n_boot,)``; NaN where a
    replicate leaves a target constant.

    Parameters
    ----------
    y, pred
        Measured and predicted values of the patient's spots, shape (spots, targets).
    layout
        The patient's tiles (:func:`spatial_blocks`).
    n_boot, seed
        Replicates and the seed of the draw (same seed and layout: same tiles drawn, so two blocks of targets
        scored with the same seed are paired).
    """
    y = np.asarray(y, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if y.ndim == 1:
        y, pred = y[:, None], pred[:, None]
    y = y - y.mean(axis=0)
    pred = pred - pred.mean(axis=0)
    member = sparse.csr_matrix(
        (np.ones(layout.block.size), (layout.block, np.arange(layout.block.size))),
        shape=(layout.n_blocks, layout.block.size),
    )
    sums = {
        "n": np.asarray(member.sum(axis=1)).ravel(),
        "y": member @ y, "p": member @ pred, "yy": member @ (y * y), "pp": member @ (pred * pred),
        "yp": member @ (y * pred),
    }  # fmt: skip
    counts = _draw_counts(layout, n_boot, np.random.default_rng(seed))
    pooled = _nanmean_rows(_pearson_from_sums(counts, sums))
    slide_scores = []
    for slide in np.unique(layout.block_slide):
        keep = np.where(layout.block_slide == slide, 1.0, 0.0)
        slide_scores.append(_nanmean_rows(_pearson_from_sums(counts * keep, sums)))
    per_slide = _nanmean_rows(np.column_stack(slide_scores)) if slide_scores else np.full(n_boot, np.nan)
    return pooled, per_slide
