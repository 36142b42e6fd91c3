"""Pixel size from slide metadata, in order, with its source; refused (with the fix) when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from humanst.errors import SlideError
from humanst.slides import resolve_pixel_size

SLIDE = Path("slide.svs")


@pytest.mark.parametrize(
    ("props", "expected", "source"),
    [
        ({"aperio.MPP": "0.2527", "openslide.mpp-x": "0.3"}, (0.2527, 0.2527), "aperio.MPP"),
        ({"openslide.mpp-x": "0.46", "openslide.mpp-y": "0.47"}, (0.46, 0.47), "openslide.mpp-x/y"),
        ({"tiff.XResolution": "40000", "tiff.ResolutionUnit": "centimeter"}, (0.25, 0.25), "TIFF resolution tags"),
        ({"tiff.XResolution": "50800", "tiff.ResolutionUnit": "inch"}, (0.5, 0.5), "TIFF resolution tags"),
        ({"tiffslide.mpp-x": "0.5", "tiffslide.mpp-y": "0.5"}, (0.5, 0.5), "tiffslide.mpp-x/y"),
    ],
)
def test_metadata_keys_give_the_pixel_size_and_say_where_from(props, expected, source):
    size = resolve_pixel_size(props, path=SLIDE, read_ome=False)
    assert (size.x_um, size.y_um) == pytest.approx(expected)
    assert size.source.startswith(source)
    assert size.warning is None


def test_placeholder_resolution_is_not_a_pixel_size():
    props = {"tiff.XResolution": "1", "tiff.ResolutionUnit": "none", "openslide.mpp-x": "0"}
    with pytest.raises(SlideError, match=r"slide\.svs.*no pixel size.*--mpp"):
        resolve_pixel_size(props, path=SLIDE, read_ome=False)


def test_objective_power_alone_is_used_with_a_warning():
    size = resolve_pixel_size({"aperio.AppMag": "40"}, path=SLIDE, read_ome=False)
    assert size.x_um == pytest.approx(0.25)
    assert "objective power 40x" in size.source
    assert size.warning is not None
    assert "--mpp" in size.warning
    assert "slide.svs" in size.warning


def test_override_wins_says_what_it_replaced_and_a_nonsense_value_is_refused():
    size = resolve_pixel_size({"aperio.MPP": "0.25"}, path=SLIDE, override_um=0.2631)
    assert (size.x_um, size.source) == (0.2631, "override (--mpp-override)")
    assert size.replaced == "0.25 um/px (aperio.MPP)"
    with pytest.raises(SlideError, match="--mpp -1"):
        resolve_pixel_size({}, path=SLIDE, override_um=-1)
    with pytest.raises(SlideError, match="--mpp 0"):
        resolve_pixel_size({"aperio.MPP": "0.25"}, path=SLIDE, fallback_um=0)


def test_a_fallback_fills_in_only_what_the_metadata_lacks():
    own = resolve_pixel_size({"aperio.MPP": "0.499"}, path=SLIDE, fallback_um=0.5)
    assert (own.x_um, own.source, own.replaced) == (0.499, "aperio.MPP", None)
    missing = resolve_pixel_size({}, path=SLIDE, fallback_um=0.5, read_ome=False)
    assert (missing.x_um, missing.replaced) == (0.5, None)
    estimated = resolve_pixel_size({"aperio.AppMag": "40"}, path=SLIDE, fallback_um=0.2631, read_ome=False)
    assert estimated.x_um == 0.2631
    assert estimated.warning is None
    assert estimated.replaced is not None
    assert estimated.replaced.startswith("0.25 um/px (objective power 40x")
