"""Spatial maps: per held-out sample, the H&E and measured vs predicted pathway activity on the spot coordinates.

Everything is drawn in the H&E's own pixel frame (level 0 of the store's image): spot centres come from the
table's ``x_um``/``y_um`` mapped through the inverse of the image's micron transform (so a rotated H&E stays
as scanned), the H&E is read at the coarsest pyramid level that still resolves the map grid, and every
spot's value is painted as a disc of its footprint on a regular grid over the spots' bounding box
(:func:`spot_raster`). The grid is the figure's data: a value planted at one spot lands on the grid cells
within that spot's radius and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.report.canvas import agg_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from humanst.store.atlas import Atlas

__all__ = [
    "MapGrid",
    "MapRow",
    "SampleGeometry",
    "cell_spots",
    "draw_sample_maps",
    "read_sample_geometry",
    "spot_raster",
]

MAX_GRID_SIDE = 240  # cells along the longer side of a map panel
PANEL_IN, DPI = 2.1, 100  # a map panel's width (inches) and the figure resolution
MARGIN = 0.04  # share of the spots' extent added around them
CMAP = "viridis"


@dataclass(frozen=True)
class MapGrid:
    """A regular grid over the H&E's level-0 pixel frame: ``x0, y0`` its top-left corner, ``step`` px per cell."""

    x0: float
    y0: float
    step: float
    width: int
    height: int

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``imshow`` extent (left, right, bottom, top) in level-0 pixels, rows going down."""
        return (self.x0, self.x0 + self.width * self.step, self.y0 + self.height * self.step, self.y0)

    def cell(self, x_px: float, y_px: float) -> tuple[int, int]:
        """(row, column) of the cell holding the level-0 pixel position ``(x_px, y_px)``."""
        return int((y_px - self.y0) // self.step), int((x_px - self.x0) // self.step)

    def centres(self) -> np.ndarray:
        """Cell centres (x, y) in level-0 pixels, row-major, shape (height * width, 2)."""
        xs = self.x0 + (np.arange(self.width) + 0.5) * self.step
        ys = self.y0 + (np.arange(self.height) + 0.5) * self.step
        gx, gy = np.meshgrid(xs, ys)
        return np.column_stack([gx.ravel(), gy.ravel()])


@dataclass(frozen=True)
class SampleGeometry:
    """What the maps of one sample are drawn on: spot centres and radii (level-0 px), the grid and its H&E."""

    sample_id: str
    spot_ids: np.ndarray
    xy_px: np.ndarray  # (spots, 2) centres in level-0 image pixels
    radius_px: np.ndarray  # (spots,)
    grid: MapGrid
    he: np.ndarray  # (grid.height, grid.width, 3) uint8
    cells: np.ndarray  # (grid.height, grid.width) index of the spot painted on each cell, -1 for none

    def positions(self, spot_ids: Sequence[str]) -> np.ndarray:
        """Row of every given spot id in this geometry; an unknown id raises ``KeyError`` naming it."""
        index = {s: i for i, s in enumerate(self.spot_ids.tolist())}
        missing = [s for s in spot_ids if s not in index]
        if missing:
            msg = f"sample {self.sample_id!r} has no spot(s) {missing[:5]} in the atlas store"
            raise KeyError(msg)
        return np.asarray([index[s] for s in spot_ids], dtype=np.int64)


@dataclass(frozen=True)
class MapRow:
    """One row of a sample's figure: a target and its panels (label, values per spot of the geometry)."""

    title: str
    panels: list[tuple[str, np.ndarray]]


def grid_for(xy_px: np.ndarray, radius_px: np.ndarray, image_shape: tuple[int, int]) -> MapGrid:
    """Lay a grid over the spots' bounding box (plus their radius and a margin), clipped to the image."""
    r = float(np.max(radius_px)) if radius_px.size else 0.0
    lo = xy_px.min(0) - r
    hi = xy_px.max(0) + r
    pad = (hi - lo) * MARGIN
    lo = np.maximum(lo - pad, 0.0)
    hi = np.minimum(hi + pad, [image_shape[1], image_shape[0]])
    span = np.maximum(hi - lo, 1.0)
    step = max(float(span.max()) / MAX_GRID_SIDE, 1e-9)
    width, height = (max(1, int(np.ceil(s / step))) for s in span)
    return MapGrid(float(lo[0]), float(lo[1]), step, width, height)


def cell_spots(xy_px: np.ndarray, radius_px: np.ndarray, grid: MapGrid) -> np.ndarray:
    """Index of the spot painted on each grid cell (the nearest spot whose radius covers the cell centre), else -1."""
    from scipy.spatial import cKDTree

    if xy_px.shape[0] == 0:
        return np.full((grid.height, grid.width), -1, dtype=np.int64)
    dist, nearest = cKDTree(xy_px).query(grid.centres(), k=1)
    nearest = np.minimum(nearest, xy_px.shape[0] - 1)
    return np.where(dist <= radius_px[nearest], nearest, -1).reshape(grid.height, grid.width)


def spot_raster(values: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Paint each spot's value on its cells (``cells`` from :func:`cell_spots`); NaN where no spot is."""
    values = np.asarray(values, dtype=np.float64)
    return np.where(cells >= 0, values[np.maximum(cells, 0)], np.nan) if values.size else np.full(cells.shape, np.nan)


def _micron_to_pixel(element: Any) -> np.ndarray:
    """Return the 3 x 3 affine taking global microns (x, y) to the element's level-0 pixels."""
    from spatialdata.transformations import get_transformation

    to_um = get_transformation(element, "global").to_affine_matrix(input_axes=("x", "y"), output_axes=("x", "y"))
    return np.linalg.inv(np.asarray(to_um, dtype=np.float64))


def _levels(image: Any) -> list[Any]:
    """Pyramid levels (``c, y, x`` DataArrays), finest first; a single-scale image is one level."""
    if hasattr(image, "children") and image.children:
        return [image[k]["image"] for k in sorted(image.children, key=lambda k: int(str(k).removeprefix("scale")))]
    return [image]


def _he_on_grid(image: Any, grid: MapGrid) -> np.ndarray:
    """Resample the H&E onto ``grid`` from the coarsest level that still has a pixel per grid cell."""
    from PIL import Image

    levels = _levels(image)
    full_w = levels[0].shape[-1]
    chosen, factor = levels[0], 1.0
    for level in levels[1:]:
        f = full_w / level.shape[-1]
        if f <= grid.step:
            chosen, factor = level, f
    x0, y0 = int(grid.x0 / factor), int(grid.y0 / factor)
    x1 = int(np.ceil((grid.x0 + grid.width * grid.step) / factor))
    y1 = int(np.ceil((grid.y0 + grid.height * grid.step) / factor))
    crop = np.asarray(chosen[:3, y0:y1, x0:x1].values).transpose(1, 2, 0)
    if crop.size == 0:
        return np.full((grid.height, grid.width, 3), 255, dtype=np.uint8)
    crop = np.clip(crop, 0, 255).astype(np.uint8)
    return np.asarray(Image.fromarray(crop).resize((grid.width, grid.height), Image.Resampling.BOX))


def read_sample_geometry(atlas: Atlas, sample_id: str) -> SampleGeometry:
    """Read a sample's spots (table ``x_um``/``y_um``, shape radii) and its H&E on a map grid through ``atlas``."""
    from humanst.store.atlas import IMAGE_KEY, SHAPES_KEY, TABLE_KEY

    sdata = atlas.read_store(sample_id)
    image, shapes, table = sdata.images[IMAGE_KEY], sdata.shapes[SHAPES_KEY], sdata.tables[TABLE_KEY]
    obs = table.obs
    spot_ids = obs["spot_id"].astype(str).to_numpy()
    xy_um = obs[["x_um", "y_um"]].to_numpy(dtype=np.float64)
    to_px = _micron_to_pixel(image)
    xy_px = (np.column_stack([xy_um, np.ones(len(xy_um))]) @ to_px.T)[:, :2]
    # spot radii: the shapes' radius (shape pixels) through the shapes' own scale to microns, then to image pixels
    shapes_to_um = np.linalg.inv(_micron_to_pixel(shapes))
    um_per_shape_px = float(np.sqrt(abs(np.linalg.det(shapes_to_um[:2, :2]))))
    px_per_um = float(np.sqrt(abs(np.linalg.det(to_px[:2, :2]))))
    radius = shapes["radius"].reindex(spot_ids).to_numpy(dtype=np.float64) * um_per_shape_px * px_per_um
    radius = np.where(np.isfinite(radius), radius, np.nanmedian(radius) if np.isfinite(radius).any() else 1.0)
    height, width = _levels(image)[0].shape[-2:]
    grid = grid_for(xy_px, radius, (int(height), int(width)))
    cells = cell_spots(xy_px, radius, grid)
    return SampleGeometry(sample_id, spot_ids, xy_px, radius, grid, _he_on_grid(image, grid), cells)


def _limits(arrays: Sequence[np.ndarray]) -> tuple[float, float]:
    values = np.concatenate([a[np.isfinite(a)] for a in arrays]) if arrays else np.zeros(0)
    if values.size == 0:
        return (0.0, 1.0)
    lo, hi = np.percentile(values, [2, 98])
    if hi <= lo:
        lo, hi = float(values.min()), float(values.max())
    return (float(lo), float(hi) if hi > lo else float(lo) + 1.0)


def draw_sample_maps(geometry: SampleGeometry, rows: Sequence[MapRow], *, title: str = "") -> Figure:
    """One figure per sample: the H&E (top left), then per row one panel per (label, values), one colour scale a row.

    ``values`` of a panel follow ``geometry.spot_ids``; NaN spots are left unpainted. Every value panel has the
    H&E faded beneath the spots. The layout is fixed (no constrained layout: it costs more than the drawing).
    """
    import matplotlib

    n_rows, n_cols = max(len(rows), 1), 1 + max((len(r.panels) for r in rows), default=0)
    grid = geometry.grid
    panel_w = PANEL_IN
    panel_h = PANEL_IN * grid.height / grid.width
    left, right, top, bottom = 0.45, 0.75, 0.45 + (0.25 if title else 0.0), 0.1
    gap_w, gap_h = 0.42, 0.5
    width = left + right + n_cols * panel_w + (n_cols - 1) * gap_w
    height = top + bottom + n_rows * panel_h + (n_rows - 1) * gap_h
    fig = agg_figure(width, height, dpi=DPI, layout=None)
    axes = fig.subplots(
        n_rows,
        n_cols,
        squeeze=False,
        subplot_kw={"xticks": [], "yticks": []},
        gridspec_kw={
            "left": left / width,
            "right": 1 - right / width,
            "top": 1 - top / height,
            "bottom": bottom / height,
            "wspace": gap_w / panel_w,
            "hspace": gap_h / panel_h,
        },
    )
    faded = (0.45 * geometry.he.astype(np.float64) + 0.55 * 255).astype(np.uint8)
    cmap = matplotlib.colormaps[CMAP].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    axes[0, 0].imshow(geometry.he, extent=grid.extent, interpolation="nearest")
    axes[0, 0].set_title("H&E", fontsize=7)
    for ax in axes[1:, 0]:
        ax.set_axis_off()
    for r, row in enumerate(rows):
        vmin, vmax = _limits([np.asarray(v, dtype=np.float64) for _, v in row.panels])
        image = None
        for c, (label, values) in enumerate(row.panels, start=1):
            ax = axes[r, c]
            raster = spot_raster(values, geometry.cells)
            ax.imshow(faded, extent=grid.extent, interpolation="nearest")
            image = ax.imshow(raster, extent=grid.extent, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            ax.set_title(label, fontsize=7)
        axes[r, 1].set_ylabel(row.title, fontsize=7)
        if image is not None:
            last = axes[r, len(row.panels)]
            bar = fig.colorbar(image, cax=last.inset_axes((1.04, 0.05, 0.05, 0.9)))
            bar.ax.tick_params(labelsize=6)
        for c in range(len(row.panels) + 1, n_cols):
            axes[r, c].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=9, y=1 - 0.12 / height)
    return fig
