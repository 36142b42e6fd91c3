"""JPEG tiles decoded at reduced scale (DCT scaling) agree with decoding in full and averaging."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from humanst.errors import SlideError
from humanst.slides import open_slide


@pytest.mark.parametrize("factor", [2, 4])
def test_reduced_decoding_matches_full_decoding_then_box_average(synthetic_slides, factor):
    with open_slide(synthetic_slides["svs025"]) as slide:
        assert slide.reduce_factors(0) == (1, 2, 4, 8)
        x0, y0, size = 480, 240, (1000, 720)  # crosses tile borders (240 px tiles)
        reduced = slide.read_level_reduced(0, x0, y0, size, factor)
        full = slide.read_region((x0, y0), 0, size)
    expected = np.asarray(Image.fromarray(full).reduce(factor))
    assert reduced.shape == expected.shape
    diff = np.abs(reduced.astype(int) - expected)
    assert diff.mean() < 1.5
    assert np.percentile(diff, 99) <= 12


def test_reduced_region_past_the_edge_is_white_and_openslide_has_no_reduced_levels(synthetic_slides):
    with open_slide(synthetic_slides["svs025"]) as slide:
        width, height = slide.dimensions
        region = slide.read_level_reduced(0, width - 96, height - 64, (200, 200), 2)
        assert region.shape == (100, 100, 3)
        assert (region[40:, :] == 255).all()  # below the last row
        assert (region[:, 56:] == 255).all()  # right of the last column
        assert region[:30, :40].mean() < 250  # tissue-or-glass pixels of the slide itself
    with open_slide(synthetic_slides["svs025"], backend="openslide") as slide:
        assert slide.reduce_factors(0) == (1,)


def test_corrupt_jpeg_tile_is_a_slide_error(synthetic_slides, tmp_path):
    import tifffile

    data = bytearray(synthetic_slides["svs025"].read_bytes())
    with tifffile.TiffFile(synthetic_slides["svs025"]) as tif:
        offsets = tif.pages[0].dataoffsets
    for offset in offsets[1:40]:
        data[offset + 2 : offset + 200] = b"\x00" * 198  # wipe the tile's entropy data and markers
    broken = tmp_path / "broken.svs"
    broken.write_bytes(bytes(data))
    with open_slide(broken) as slide, pytest.raises(SlideError, match=r"broken\.svs.*truncated or corrupt"):
        slide.read_level_reduced(0, 0, 0, (2400, 2400), 2)
