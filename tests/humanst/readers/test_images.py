"""Large H&E JPEG / PNG files open without PIL's decompression-bomb warning; implausible sizes are refused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from humanst.errors import ReaderError
from humanst.readers._images import MAX_PIXELS_PER_BYTE, open_image


@pytest.fixture
def small_pil_limit(monkeypatch):
    """Make PIL's default limit tiny, so ordinary test images stand in for ~90-megapixel whole-slide JPEGs."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    return 10_000


def test_an_image_above_the_pil_default_opens_without_a_warning(tmp_path, small_pil_limit):
    path = tmp_path / "he.jpg"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, size=(300, 400, 3), dtype=np.uint8)).save(path, quality=90)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning would fail here
        ref = open_image(path, sample_id="s1")
        pixels = ref.load()
    assert ref.shape == (300, 400)
    assert np.asarray(pixels).shape == (300, 400, 3)
    assert small_pil_limit == Image.MAX_IMAGE_PIXELS  # the global limit is restored


def test_an_implausible_pixel_count_for_the_file_size_is_refused(tmp_path, small_pil_limit):
    path = tmp_path / "bomb.png"
    Image.new("RGB", (3000, 3000), "white").save(path)  # 9 megapixels in a few kilobytes
    assert path.stat().st_size * MAX_PIXELS_PER_BYTE < 3000 * 3000
    with pytest.raises(ReaderError, match=r"decompression bomb.*pyramidal TIFF") as info:
        open_image(path, sample_id="s1")
    assert "s1" in str(info.value)
