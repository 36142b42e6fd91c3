"""A grid of square tiles in microns over a slide; tiles with enough tissue are kept (never "magnification").

Tile ``(row, col)`` covers ``[col * tile_um, (col + 1) * tile_um) x [row * tile_um, (row + 1) * tile_um)`` microns
from the slide's top-left corner, ``tile_um = size_px * um_per_px`` (224 px at 0.5 um/px = 112 um, the atlas
patch). Slides scanned at 0.25 and at 0.5 um/px therefore get the same grid. Coordinates are kept in microns
and in level-0 pixels (top-left corners, as Trident and CLAM store them).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from humanst.errors import SlideError
from humanst.manifest.models import PatchSpec
from humanst.slides.pixel_size import PixelSize
from humanst.slides.tissue import TissueMask, TissueSettings

__all__ = ["MAX_GRID_TILES", "TilePlan", "TilingSettings", "check_grid", "plan_tiles", "tile_grid_shape"]

_ATLAS_PATCH = PatchSpec()  # the default tile is the atlas patch (224 px at 0.5 um/px)
# Tiles of a slide's full grid, before tissue: 56 um tiles (224 px at 0.25 um/px) over a 60 x 60 mm slide stay
# below; 0.16 um tiles (--tile-px 16 --tile-mpp 0.01) over a 1 mm section are 40 million and once took 7 GB.
MAX_GRID_TILES = 2_000_000


@dataclass(frozen=True)
class TilingSettings:
    """What a tile is and which tiles are kept.

    Parameters
    ----------
    size_px
        Tile side in pixels at ``um_per_px`` (the field of view is ``size_px * um_per_px`` microns).
    um_per_px
        Pixel size the tiles are resampled to.
    min_tissue
        Keep tiles whose tissue fraction is at least this.
    max_tiles
        Keep at most this many tiles per slide, drawn at random with ``seed`` (quick runs); ``None`` keeps all.
    seed
        Seed of the ``max_tiles`` draw.
    tissue
        Tissue detection settings.
    """

    size_px: int = _ATLAS_PATCH.size_px
    um_per_px: float = _ATLAS_PATCH.um_per_px
    min_tissue: float = 0.25
    max_tiles: int | None = None
    seed: int = 0
    tissue: TissueSettings = field(default_factory=TissueSettings)

    @property
    def tile_um(self) -> float:
        """Tile side in microns."""
        return self.size_px * self.um_per_px

    def to_json(self) -> dict[str, object]:
        """Plain-JSON form for provenance and settings hashes."""
        return {**asdict(self), "tile_um": self.tile_um}


@dataclass(frozen=True)
class TilePlan:
    """The kept tiles of one slide, in row-major grid order.

    Attributes
    ----------
    coords_px
        ``(N, 2)`` int64 level-0 pixel ``(x, y)`` of each tile's top-left corner.
    coords_um
        ``(N, 2)`` float64 microns ``(x, y)`` of each tile's top-left corner.
    grid_index
        ``(N, 2)`` int64 ``(row, col)`` of each tile in the grid.
    tissue_fraction
        ``(N,)`` float32 fraction of each tile covered by tissue.
    grid_shape
        ``(rows, cols)`` of the full grid.
    tile_um, size_px_level0
        Tile side in microns and in level-0 pixels (x).
    n_with_tissue
        Tiles that passed ``min_tissue`` before the ``max_tiles`` cap.
    """

    coords_px: np.ndarray
    coords_um: np.ndarray
    grid_index: np.ndarray
    tissue_fraction: np.ndarray
    grid_shape: tuple[int, int]
    tile_um: float
    size_px_level0: int
    n_with_tissue: int

    def __len__(self) -> int:
        return int(self.coords_px.shape[0])


def tile_grid_shape(dimensions: tuple[int, int], pixel_size: PixelSize, tile_um: float) -> tuple[int, int]:
    """Return ``(rows, cols)`` of the whole tiles of side ``tile_um`` that fit on a slide of level-0 ``dimensions``."""
    width_um, height_um = dimensions[0] * pixel_size.x_um, dimensions[1] * pixel_size.y_um
    return int(height_um // tile_um), int(width_um // tile_um)


def check_grid(dimensions: tuple[int, int], pixel_size: PixelSize, settings: TilingSettings, *, path: Path) -> None:
    """Refuse a tile grid of more than :data:`MAX_GRID_TILES` tiles before anything of the slide is read.

    Raises
    ------
    SlideError
        The grid is too fine for the slide (tiles too small, or a wrong pixel size).
    """
    rows, cols = tile_grid_shape(dimensions, pixel_size, settings.tile_um)
    if rows * cols > MAX_GRID_TILES:
        width_mm, height_mm = dimensions[0] * pixel_size.x_um / 1000, dimensions[1] * pixel_size.y_um / 1000
        msg = (
            f"tiles of {settings.tile_um:g} um ({settings.size_px} px at {settings.um_per_px:g} um/px) over "
            f"{width_mm:.1f} x {height_mm:.1f} mm make a grid of {rows * cols:,} tiles, more than {MAX_GRID_TILES:,}; "
            f"use larger tiles (--tile-px, --tile-mpp) or check the slide's pixel size ({pixel_size.describe()})"
        )
        raise SlideError(msg, path=path)


def plan_tiles(
    dimensions: tuple[int, int], pixel_size: PixelSize, mask: TissueMask, settings: TilingSettings
) -> TilePlan:
    """Lay the micron grid over a slide of level-0 ``dimensions`` and keep the tiles with enough tissue."""
    tile_um = settings.tile_um
    rows, cols = tile_grid_shape(dimensions, pixel_size, tile_um)
    grid_rows, grid_cols = np.mgrid[0:rows, 0:cols]
    grid_rows, grid_cols = grid_rows.ravel(), grid_cols.ravel()
    x0, y0 = grid_cols * tile_um, grid_rows * tile_um
    fraction = mask.fraction(x0, y0, x0 + tile_um, y0 + tile_um) if len(x0) else np.zeros(0, np.float32)
    keep = np.flatnonzero(fraction >= settings.min_tissue)
    n_with_tissue = len(keep)
    if settings.max_tiles is not None and len(keep) > settings.max_tiles:
        rng = np.random.default_rng(settings.seed)
        keep = np.sort(rng.choice(keep, size=settings.max_tiles, replace=False))
    coords_um = np.stack([x0[keep], y0[keep]], axis=1).astype(np.float64)
    coords_px = np.stack(
        [np.round(coords_um[:, 0] / pixel_size.x_um), np.round(coords_um[:, 1] / pixel_size.y_um)], axis=1
    ).astype(np.int64)
    return TilePlan(
        coords_px=coords_px.reshape(-1, 2),
        coords_um=coords_um.reshape(-1, 2),
        grid_index=np.stack([grid_rows[keep], grid_cols[keep]], axis=1).astype(np.int64).reshape(-1, 2),
        tissue_fraction=fraction[keep].astype(np.float32),
        grid_shape=(rows, cols),
        tile_um=tile_um,
        size_px_level0=round(tile_um / pixel_size.x_um),
        n_with_tissue=n_with_tissue,
    )
