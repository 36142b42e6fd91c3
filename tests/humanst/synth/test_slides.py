"""Synthetic slide files: the layouts real readers expect, with the pixel size where each format keeps it."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from humanst.errors import FormatError
from humanst.slides import open_slide
from humanst.synth.slides import SLIDE_LAYOUTS, make_synthetic_slide, write_slide


def test_layouts_are_registered():
    assert SLIDE_LAYOUTS.names() == ["ome-tiff", "plain-tiff", "pyramidal-tiff", "svs"]
    with pytest.raises(FormatError, match="unknown synthetic slide layout 'mrxs'"):
        SLIDE_LAYOUTS.get("mrxs")


def test_pyramidal_tiff_has_resolution_tags_on_every_level(synthetic_slides):
    with tifffile.TiffFile(synthetic_slides["pyr025"]) as tif:
        pages = list(tif.pages)
        assert len(pages) == 4
        for level, page in enumerate(pages):
            assert page.is_tiled
            num, den = page.tags["XResolution"].value
            assert num / den == pytest.approx(1e4 / (0.25 * 2**level))
            assert page.tags["ResolutionUnit"].value == tifffile.RESUNIT.CENTIMETER


def test_svs_is_an_aperio_file_for_openslide(synthetic_slides):
    with tifffile.TiffFile(synthetic_slides["svs025"]) as tif:
        assert tif.is_svs
        assert "MPP = 0.25" in tif.pages[0].description
        assert tif.pages[0].tile == (240, 240)
    with open_slide(synthetic_slides["svs025"], backend="openslide") as slide:
        assert slide.vendor == "aperio"
        assert slide.level_downsamples == pytest.approx((1.0, 4.0, 16.0))
        assert slide.pixel_size.source == "aperio.MPP"


def test_lossless_slide_keeps_every_pixel(tmp_path):
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (300, 500, 3), dtype=np.uint8)
    path = write_slide(tmp_path / "exact.tif", image, um_per_px=1.0, compression="zlib")
    with open_slide(path) as slide:
        np.testing.assert_array_equal(slide.read_region((0, 0), 0, (500, 300)), image)


@pytest.mark.slow
def test_native_quarter_micron_rendering(tmp_path):
    """A section rendered at 0.25 um/px itself (not enlarged) tiles like its 0.5 um/px rendering."""
    from humanst.slides import TilingSettings, prepare_slide

    plans = []
    for um, layout in ((0.25, "svs"), (0.5, "pyramidal-tiff")):
        made = make_synthetic_slide(
            tmp_path / f"s{um}.tif", width_um=700, height_um=600, um_per_px=um, seed=5, layout=layout, pen_mark=True
        )
        with open_slide(made.path) as slide:
            plans.append({tuple(c) for c in prepare_slide(slide, TilingSettings()).plan.coords_um})
    assert len(plans[0] & plans[1]) / len(plans[0] | plans[1]) >= 0.9
