"""Heatmaps on slides: each probe's per-tile scores of held-out patients drawn on the slide thumbnail.

The scores are the ones kept in the predictions file (:mod:`benchmarks.slide.predictions` v2): for ABMIL the
attention weight of every tile, for the mean-pooled linear probe the linear score of every tile alone, both from
the fold model that never saw the patient. Tile corners are level-0 pixels (from the slide feature files, the
Trident / CLAM ``coords``); the thumbnail is read through :mod:`humanst.slides` at about
:data:`THUMB_SIDE_PX` pixels on its longer side, and a tile's corner and side are scaled by the thumbnail's size
over the slide's level-0 size (:func:`tile_raster`).

Which patients (never hand-picked, :func:`pick_patients`): for each entry in turn (A, then the compared ones), the
held-out patient it predicts highest and the one it predicts lowest, without repeats, at most
:data:`MAX_PATIENTS`; of each patient the slide with the most tiles. Every entry's scores of one patient share one
colour scale: from 0 to the largest attention, or symmetric around 0 for signed scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks.report.canvas import agg_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "MAX_PATIENTS",
    "THUMB_SIDE_PX",
    "HeatmapPanel",
    "HeatmapRow",
    "Thumbnail",
    "draw_heatmaps",
    "overlay",
    "pick_patients",
    "read_thumbnail",
    "row_scale",
    "tile_raster",
]

MAX_PATIENTS = 4
THUMB_SIDE_PX = 320
PANEL_IN, DPI = 2.2, 100
ALPHA = 0.7  # opacity of the scores over the thumbnail
SEQUENTIAL, DIVERGING = "inferno", "RdBu_r"


@dataclass(frozen=True)
class Thumbnail:
    """A slide's thumbnail (RGB uint8) and the thumbnail pixels per level-0 pixel along x and y."""

    slide_id: str
    rgb: np.ndarray
    scale: tuple[float, float]


def read_thumbnail(path: Path, *, max_side_px: int = THUMB_SIDE_PX) -> Thumbnail:
    """Read the whole slide at about ``max_side_px`` pixels on its longer side (never finer than the previews).

    Raises
    ------
    humanst.errors.SlideError
        The slide cannot be opened or read.
    """
    from humanst.slides import open_slide, preview_um_per_px

    with open_slide(path) as slide:
        rgb = slide.read_scaled(preview_um_per_px(slide.size_um, max_side_px=max_side_px))
        width, height = slide.dimensions
        return Thumbnail(slide.slide_id, rgb, (rgb.shape[1] / width, rgb.shape[0] / height))


def tile_raster(thumbnail: Thumbnail, xy_px: np.ndarray, tile_px: int, values: np.ndarray) -> np.ndarray:
    """Paint each tile's value on the thumbnail's pixel grid (NaN where no tile lies).

    A tile with level-0 corner ``(x, y)`` and side ``tile_px`` covers thumbnail columns ``round(x * sx)`` up to
    ``round((x + tile_px) * sx)`` (at least one) and the rows likewise, so neighbouring tiles neither overlap nor
    leave a gap.
    """
    height, width = thumbnail.rgb.shape[:2]
    sx, sy = thumbnail.scale
    out = np.full((height, width), np.nan)
    for (x, y), value in zip(np.asarray(xy_px, dtype=np.float64), np.asarray(values, dtype=np.float64), strict=True):
        c0, r0 = round(x * sx), round(y * sy)
        c1, r1 = max(c0 + 1, round((x + tile_px) * sx)), max(r0 + 1, round((y + tile_px) * sy))
        out[max(r0, 0) : min(r1, height), max(c0, 0) : min(c1, width)] = value
    return out


def pick_patients(
    ranked: Sequence[tuple[str, np.ndarray, np.ndarray]], *, limit: int = MAX_PATIENTS
) -> list[tuple[str, str]]:
    """Pick ``(patient, why)``: per entry ``(label, patients, predictions)`` its highest and lowest, no repeats."""
    picked: list[tuple[str, str]] = []
    for label, patients, values in ranked:
        values = np.asarray(values, dtype=np.float64)
        finite = np.flatnonzero(np.isfinite(values))
        if finite.size == 0:
            continue
        finite = finite[np.argsort(values[finite], kind="stable")]
        for index, why in ((finite[-1], "highest"), (finite[0], "lowest")):
            patient = str(patients[index])
            if len(picked) < limit and patient not in [p for p, _ in picked]:
                picked.append((patient, f"{why} predicted by {label}"))
    return picked


def row_scale(values: Sequence[np.ndarray]) -> tuple[str, float, float]:
    """One colour scale for a row: sequential from 0 for non-negative scores (attention), else symmetric around 0."""
    finite = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values]) if values else np.zeros(0)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return SEQUENTIAL, 0.0, 1.0
    if finite.min() >= 0:
        return SEQUENTIAL, 0.0, float(finite.max()) or 1.0
    edge = float(np.abs(finite).max()) or 1.0
    return DIVERGING, -edge, edge


def overlay(thumbnail: Thumbnail, raster: np.ndarray, cmap: str, low: float, high: float) -> np.ndarray:
    """Return the greyed thumbnail with the raster's colours laid over it (opacity :data:`ALPHA`; grey where NaN)."""
    import matplotlib

    grey = thumbnail.rgb.astype(np.float64).mean(axis=2, keepdims=True)
    scaled = np.clip((raster - low) / ((high - low) or 1.0), 0.0, 1.0)
    colours = matplotlib.colormaps[cmap](np.nan_to_num(scaled))[..., :3] * 255.0
    shown = np.isfinite(raster)[..., None]
    blended = np.where(shown, ALPHA * colours + (1 - ALPHA) * grey, grey)
    return np.round(blended).astype(np.uint8)


@dataclass(frozen=True)
class HeatmapPanel:
    """One entry's scores of one slide: its label, the predicted value, and the tile raster on the thumbnail."""

    label: str
    predicted: float
    raster: np.ndarray


@dataclass(frozen=True)
class HeatmapRow:
    """One picked patient: why, its measured label, the slide's thumbnail and every entry's panel."""

    title: str
    thumbnail: Thumbnail
    panels: list[HeatmapPanel]


def draw_heatmaps(rows: Sequence[HeatmapRow], *, score: str, title: str = "") -> Figure:
    """Rows of [thumbnail, entry A, entry B, ...] with one colour bar per row (the row's shared scale).

    Laid out by hand and blended in numpy (:func:`overlay`): constrained layout and alpha compositing cost seconds
    on a figure of this many panels.
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    n_rows, n_cols = max(len(rows), 1), 1 + max((len(r.panels) for r in rows), default=1)
    aspect = max((r.thumbnail.rgb.shape[0] / max(r.thumbnail.rgb.shape[1], 1) for r in rows), default=1.0)
    panel_in = PANEL_IN
    row_in = panel_in * min(max(aspect, 0.4), 1.6) + 0.45
    head_in = (0.3 if title else 0.0) + 0.4  # the figure title, then the first row's panel titles
    fig = agg_figure(panel_in * n_cols + 0.9, row_in * n_rows + head_in, dpi=DPI, layout=None)
    top = 1 - head_in / fig.get_figheight()
    grid = fig.add_gridspec(n_rows, n_cols, left=0.01, right=1 - 0.85 / fig.get_figwidth(), bottom=0.01, top=top,
                            wspace=0.04, hspace=0.45)  # fmt: skip
    for r, row in enumerate(rows):
        first = fig.add_subplot(grid[r, 0])
        first.imshow(row.thumbnail.rgb)
        first.set_title(f"{row.title}\n{row.thumbnail.slide_id}", fontsize=6)
        cmap, low, high = row_scale([p.raster for p in row.panels])
        axes = [first]
        for c, panel in enumerate(row.panels, start=1):
            ax = fig.add_subplot(grid[r, c])
            ax.imshow(overlay(row.thumbnail, panel.raster, cmap, low, high), interpolation="nearest")
            ax.set_title(f"{panel.label}\npredicted {panel.predicted:.3g}", fontsize=6)
            axes.append(ax)
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        if row.panels:
            box = axes[-1].get_position()
            bar_ax = fig.add_axes((box.x1 + 0.01, box.y0, 0.012, box.height))
            bar = fig.colorbar(ScalarMappable(Normalize(low, high), cmap), cax=bar_ax)
            bar.ax.tick_params(labelsize=6)
            bar.set_label(score, fontsize=6)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
