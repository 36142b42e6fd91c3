"""Opening slides: the backend each file gets, the pixel size and its source, errors that name the file."""

from __future__ import annotations

import numpy as np
import pytest

from humanst.errors import SlideError
from humanst.slides import backend_names, choose_backend, open_slide, slide_id_of


@pytest.mark.parametrize(
    ("key", "backend", "um", "source", "levels"),
    [
        ("pyr05", "tiffslide", 0.5, "TIFF resolution tags (centimeter)", 3),
        ("pyr025", "tiffslide", 0.25, "TIFF resolution tags (centimeter)", 4),
        ("svs025", "tiffslide", 0.25, "aperio.MPP", 3),
        ("ome05", "tiffslide", 0.5, "OME PhysicalSizeX/Y", 3),
    ],
)
def test_each_layout_opens_with_its_pixel_size(synthetic_slides, key, backend, um, source, levels):
    with open_slide(synthetic_slides[key]) as slide:
        assert slide.backend.name == backend
        assert slide.pixel_size.x_um == pytest.approx(um)
        assert slide.pixel_size.source == source
        assert len(slide.level_dimensions) == levels
        assert slide.size_um == pytest.approx((1200, 1000), abs=1.0)


@pytest.mark.parametrize("key", ["svs025", "pyr05"])
def test_openslide_and_tiffslide_read_the_same_pixels(synthetic_slides, key):
    regions = {}
    for backend in backend_names():
        with open_slide(synthetic_slides[key], backend=backend) as slide:
            assert slide.backend.name == backend
            regions[backend] = slide.read_region((301, 257), 0, (300, 200))
            assert slide.pixel_size.x_um == pytest.approx(0.25 if "025" in key else 0.5)
    assert regions["openslide"].shape == (200, 300, 3)
    np.testing.assert_array_equal(regions["openslide"], regions["tiffslide"])


def test_backend_choice_follows_the_bids(synthetic_slides):
    assert choose_backend(synthetic_slides["plain"]).name == "tiffslide"  # OpenSlide refuses untiled TIFF
    assert choose_backend(synthetic_slides["svs025"], "openslide").name == "openslide"
    with pytest.raises(SlideError, match=r"unknown slide backend 'bioformats'.*openslide, tiffslide"):
        choose_backend(synthetic_slides["svs025"], "bioformats")


def test_slide_without_pixel_size_is_refused_or_uses_the_override(synthetic_slides):
    with pytest.raises(SlideError, match=r"plain\.tif.*no pixel size.*--mpp"):
        open_slide(synthetic_slides["plain"])
    with open_slide(synthetic_slides["plain"], um_per_px=0.5) as slide:
        assert (slide.pixel_size.x_um, slide.pixel_size.source) == (0.5, "--mpp (none in metadata)")
        assert slide.pixel_size.replaced is None


def test_objective_power_only_warns(synthetic_slides):
    with open_slide(synthetic_slides["appmag"]) as slide:
        assert slide.pixel_size.x_um == pytest.approx(0.5)
        assert slide.pixel_size.source.startswith("objective power 20x")
        assert "appmag.svs" in slide.pixel_size.warning


def test_missing_and_truncated_files_name_the_file(synthetic_slides, tmp_path):
    with pytest.raises(SlideError, match=r"nothing\.svs.*no such file"):
        open_slide(tmp_path / "nothing.svs")
    data = synthetic_slides["svs025"].read_bytes()
    cut = tmp_path / "cut.svs"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SlideError, match=r"cut\.svs.*truncated or corrupt"), open_slide(cut) as slide:
        slide.read_scaled(8.0)


def test_slide_ids_drop_the_slide_suffix(tmp_path):
    assert slide_id_of(tmp_path / "TCGA-01.ome.tif") == "TCGA-01"
    assert slide_id_of(tmp_path / "a.b.svs") == "a.b"
