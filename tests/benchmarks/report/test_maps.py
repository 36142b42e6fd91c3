"""Spatial maps put each spot's value at its coordinates: planted values land on the right cells and pixels."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from benchmarks.report.maps import (
    CMAP,
    MapGrid,
    MapRow,
    SampleGeometry,
    cell_spots,
    draw_sample_maps,
    grid_for,
    read_sample_geometry,
    spot_raster,
)
from humanst.store.atlas import Atlas


def _geometry() -> SampleGeometry:
    """A 5 x 4 lattice of spots (radius 12 px, pitch 40 px) on a plain pink 'H&E' of 260 x 220 px."""
    xs, ys = np.meshgrid(np.arange(5) * 40.0 + 30.0, np.arange(4) * 40.0 + 30.0)
    xy = np.column_stack([xs.ravel(), ys.ravel()])
    radius = np.full(len(xy), 12.0)
    grid = grid_for(xy, radius, (220, 260))
    he = np.full((grid.height, grid.width, 3), (230, 180, 200), dtype=np.uint8)
    ids = np.asarray([f"s{i}" for i in range(len(xy))], dtype=object)
    return SampleGeometry("planted", ids, xy, radius, grid, he, cell_spots(xy, radius, grid))


def test_raster_paints_each_spot_disc_and_nothing_else():
    geometry = _geometry()
    values = np.arange(geometry.spot_ids.size, dtype=float)
    raster = spot_raster(values, geometry.cells)
    for i, (x, y) in enumerate(geometry.xy_px):
        row, col = geometry.grid.cell(x, y)
        assert raster[row, col] == values[i]
        row, col = geometry.grid.cell(x + 20.0, y + 20.0)  # between spots: more than a radius from every centre
        if row < raster.shape[0] and col < raster.shape[1]:
            assert np.isnan(raster[row, col])
    painted = np.isfinite(raster).sum() * geometry.grid.step**2
    assert painted == pytest.approx(len(values) * np.pi * 12.0**2, rel=0.15)


def test_a_planted_value_colours_the_right_pixel_of_the_rendered_figure():
    geometry = _geometry()
    planted = 7
    values = np.zeros(geometry.spot_ids.size)
    values[planted] = 1.0
    fig = draw_sample_maps(geometry, [MapRow("planted", [("measured", values)])])
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)
    ax = fig.axes[1]
    data = ax.images[-1].get_array()
    cmap = matplotlib.colormaps[CMAP]
    high, low = ((np.asarray(cmap(v)[:3]) * 255).round().astype(int) for v in (1.0, 0.0))
    for i, (x, y) in enumerate(geometry.xy_px):
        row, col = geometry.grid.cell(x, y)
        assert data[row, col] == values[i]  # the figure's data: the value at the spot's cell
        px, py = ax.transData.transform((x, y))
        colour = pixels[round(pixels.shape[0] - py), round(px)]
        expected = high if i == planted else low
        assert np.abs(colour - expected).max() <= 3, (i, colour, expected)


def test_grid_cells_follow_the_spot_frame():
    grid = MapGrid(x0=10.0, y0=20.0, step=2.0, width=5, height=4)
    assert grid.cell(10.1, 20.1) == (0, 0)
    assert grid.cell(19.9, 27.9) == (3, 4)
    assert grid.extent == (10.0, 20.0, 28.0, 20.0)
    assert grid.centres()[0].tolist() == [11.0, 21.0]


def test_maps_of_an_atlas_sample_put_a_planted_spot_at_its_micron_coordinates(demo_atlas):
    atlas = Atlas.open(demo_atlas)
    sample = "demo-visium-p1a"
    geometry = read_sample_geometry(atlas, sample)
    table = atlas.read_table(sample)
    assert geometry.spot_ids.tolist() == table.obs["spot_id"].astype(str).tolist()
    spot = len(geometry.spot_ids) // 2
    x_um, y_um = table.obs[["x_um", "y_um"]].to_numpy()[spot]
    um_per_px = float(table.uns["humanst"]["um_per_px"])
    values = np.zeros(geometry.spot_ids.size)
    values[spot] = 5.0
    raster = spot_raster(values, geometry.cells)
    row, col = geometry.grid.cell(x_um / um_per_px, y_um / um_per_px)
    assert raster[row, col] == 5.0
    assert np.nansum(raster == 5.0) * geometry.grid.step**2 * um_per_px**2 == pytest.approx(np.pi * 27.5**2, rel=0.2)
    assert geometry.he.shape == (geometry.grid.height, geometry.grid.width, 3)
    assert geometry.he.std() > 5  # the H&E was read, not a blank
