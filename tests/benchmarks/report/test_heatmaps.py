"""Heatmaps on slides: known scores on known tiles land where those tiles are on the thumbnail of a real slide file
(tile corners in level-0 pixels scaled to the thumbnail), in the figure's pixels too; patients are picked by rule."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from benchmarks.report.heatmaps import (
    ALPHA,
    SEQUENTIAL,
    HeatmapPanel,
    HeatmapRow,
    draw_heatmaps,
    overlay,
    pick_patients,
    read_thumbnail,
    row_scale,
    tile_raster,
)
from humanst.synth.slides import write_slide

WIDTH, HEIGHT, TILE, UM_PER_PX = 1536, 1024, 128, 0.5
PLANTED = (5, 3)  # (column, row) of the planted tile on the 12 x 8 grid


@pytest.fixture(scope="module")
def slide(tmp_path_factory: pytest.TempPathFactory):
    """A pyramidal TIFF, pale pink, with the planted tile's square painted black in level-0 pixels."""
    image = np.full((HEIGHT, WIDTH, 3), (235, 200, 220), dtype=np.uint8)
    x0, y0 = PLANTED[0] * TILE, PLANTED[1] * TILE
    image[y0 : y0 + TILE, x0 : x0 + TILE] = 0
    path = write_slide(tmp_path_factory.mktemp("slide") / "S1.tif", image, um_per_px=UM_PER_PX, compression="zlib")
    xs, ys = np.meshgrid(np.arange(WIDTH // TILE) * TILE, np.arange(HEIGHT // TILE) * TILE)
    corners = np.column_stack([xs.ravel(), ys.ravel()])
    planted = int(np.flatnonzero((corners[:, 0] == x0) & (corners[:, 1] == y0))[0])
    return path, corners, planted


def test_the_thumbnail_scale_is_level0_pixels_over_thumbnail_pixels(slide):
    path, _, _ = slide
    thumb = read_thumbnail(path)
    height, width = thumb.rgb.shape[:2]
    assert max(height, width) <= 320
    assert thumb.scale == (width / WIDTH, height / HEIGHT)
    assert thumb.scale[0] == pytest.approx(UM_PER_PX / 2.4, rel=0.01)  # 768 um over 320 px: 2.4 um per pixel


def test_a_planted_score_lands_on_its_tile_of_the_thumbnail(slide):
    path, corners, planted = slide
    thumb = read_thumbnail(path)
    values = np.zeros(len(corners))
    values[planted] = 1.0
    raster = tile_raster(thumb, corners, TILE, values)
    assert np.isfinite(raster).all()  # the tiles cover the slide without a gap
    hot = raster == 1.0
    dark = thumb.rgb.mean(axis=2) < 100  # where the slide itself is black: the planted tile's pixels
    overlap = (hot & dark).sum() / (hot | dark).sum()
    assert overlap > 0.85, overlap
    sx, sy = thumb.scale
    assert hot.sum() == pytest.approx(TILE * sx * TILE * sy, rel=0.15)
    x, y = corners[planted] + TILE / 2
    assert raster[int(y * sy), int(x * sx)] == 1.0
    left = tile_raster(thumb, corners[:1], TILE, np.ones(1))
    assert np.isfinite(left).sum() == pytest.approx(TILE * sx * TILE * sy, rel=0.15)  # one tile paints one tile
    assert np.isnan(left[int(y * sy), int(x * sx)])


def test_the_figure_shows_the_planted_tile_in_the_row_colour_scale(slide):
    path, corners, planted = slide
    thumb = read_thumbnail(path)
    base = np.full(len(corners), 0.5 / len(corners))
    aligned = base.copy()
    aligned[planted] = 0.5
    rasters = [tile_raster(thumb, corners, TILE, v) for v in (base, aligned)]
    row = HeatmapRow(
        "P1: highest predicted by B", thumb, [HeatmapPanel("A", 0.4, rasters[0]), HeatmapPanel("B", 0.9, rasters[1])]
    )
    fig = draw_heatmaps([row], score="attention")
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float)
    panels = [ax for ax in fig.axes if ax.images and ax.get_title().endswith(("0.4", "0.9"))]
    assert len(panels) == 2
    cmap, low, high = row_scale(rasters)
    assert (cmap, low, high) == (SEQUENTIAL, 0.0, 0.5)  # one scale for A and B: 0 to the largest attention
    for ax, raster in zip(panels, rasters, strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), overlay(thumb, raster, cmap, low, high))
    bar = next(ax for ax in fig.axes if ax.get_ylabel() == "attention")
    assert bar.get_ylim() == (low, high)
    sx, sy = thumb.scale
    x, y = corners[planted] + TILE / 2
    px, py = panels[1].transData.transform((x * sx, y * sy))
    colour = pixels[round(pixels.shape[0] - py), round(px)]
    grey = thumb.rgb[int(y * sy), int(x * sx)].mean()
    top = np.asarray(matplotlib.colormaps[cmap](1.0)[:3]) * 255
    expected = ALPHA * top + (1 - ALPHA) * grey  # the top of the scale over the greyed slide
    assert np.abs(colour - expected).max() <= 12, (colour, expected)


def test_patients_are_picked_by_rule_highest_and_lowest_of_each_entry_without_repeats():
    patients = np.asarray(["P1", "P2", "P3", "P4", "P5"], dtype=object)
    a = np.array([0.1, 0.9, 0.5, np.nan, 0.3])
    b = np.array([0.2, 0.95, 0.4, 0.0, 0.6])
    picked = pick_patients([("A", patients, a), ("B", patients, b)])
    assert picked == [
        ("P2", "highest predicted by A"),
        ("P1", "lowest predicted by A"),
        ("P4", "lowest predicted by B"),
    ]
    c = np.array([0.5, 0.5, 0.9, 0.5, 0.1])  # two more patients: P3 highest, P5 lowest
    more = pick_patients([("A", patients, a), ("B", patients, b), ("C", patients, c)], limit=4)
    assert [p for p, _ in more] == ["P2", "P1", "P4", "P3"]  # bounded: the fifth is left out
    assert row_scale([np.array([-2.0, 1.0])])[1:] == (-2.0, 2.0)  # signed scores: symmetric around 0
