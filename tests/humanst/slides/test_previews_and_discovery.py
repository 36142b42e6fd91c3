"""Preview pictures of what was tiled, and finding slides in folders."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from humanst.errors import SlideError
from humanst.slides import TilingSettings, find_slides, open_slide, prepare_slide
from humanst.slides.previews import TILE_COLOUR


def test_previews_show_the_kept_tiles_and_the_mask(synthetic_slides, tmp_path):
    with open_slide(synthetic_slides["svs025"]) as slide:
        prepared = prepare_slide(slide, TilingSettings(), preview_dir=tmp_path)
    picture = np.asarray(Image.open(prepared.preview).convert("RGB"))
    assert picture.shape == (500, 600, 3)  # 1200 x 1000 um at 2 um/px
    tile_px = np.all(picture == TILE_COLOUR, axis=2)
    # every kept tile has its top-left corner drawn in the tile colour (56 px tiles at 2 um/px)
    x = (prepared.plan.coords_um[:, 0] / 2).astype(int)
    y = (prepared.plan.coords_um[:, 1] / 2).astype(int)
    assert tile_px[y, x].all()
    mask = np.asarray(Image.open(prepared.mask_png)) > 0
    np.testing.assert_array_equal(mask, prepared.mask.mask)


def test_find_slides_in_folders_sorted_by_id(synthetic_slides, tmp_path):
    found = find_slides([synthetic_slides["folder"]])
    names = [p.name for p in found]
    assert names == sorted(names, key=lambda n: n.split(".")[0])
    assert {"svs025.svs", "ome05.ome.tif", "pyr05.tif"} <= set(names)
    (tmp_path / "notes.txt").write_text("not a slide")
    with pytest.raises(SlideError, match="no slide files found"):
        find_slides([tmp_path])
    with pytest.raises(SlideError, match=r"missing.*no such file"):
        find_slides([tmp_path / "missing"])


def test_two_files_with_one_slide_id_are_refused(synthetic_slides, tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "svs025.tif").write_bytes(b"x")
    with pytest.raises(SlideError, match=r"share a slide id.*'svs025'"):
        find_slides([synthetic_slides["svs025"], tmp_path])
