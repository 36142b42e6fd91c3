"""Whole-slide images (data floor, no torch): open, pixel size with its source, tissue, micron tiles, previews.

Examples
--------
>>> from humanst.slides import TilingSettings, iter_tile_blocks, open_slide, prepare_slide
>>> with open_slide("slide.svs") as slide:  # doctest: +SKIP
...     prepared = prepare_slide(slide, TilingSettings(), preview_dir=Path("previews"))
...     for block in iter_tile_blocks(slide, prepared.plan, out_px=224):
...         ...  # block.indices into prepared.plan, block.pixels (n, 224, 224, 3) uint8
"""

from __future__ import annotations

from humanst.slides import backends  # registers the built-in backends (openslide, tiffslide)
from humanst.slides._registry import BACKENDS, SlideBackend, SlideHandle, backend_names, register_backend
from humanst.slides.discover import find_slides, slide_suffixes
from humanst.slides.pixel_size import PixelSize, resolve_pixel_size
from humanst.slides.prepare import PreparedSlide, prepare_slide, slide_record
from humanst.slides.previews import draw_tiles, preview_um_per_px, write_previews
from humanst.slides.reading import TileBlock, iter_tile_blocks, read_level_for
from humanst.slides.slide import AUTO_BACKEND, Slide, choose_backend, open_slide, slide_id_of
from humanst.slides.tiling import TilePlan, TilingSettings, plan_tiles
from humanst.slides.tissue import TissueMask, TissueSettings, detect_tissue

__all__ = [
    "AUTO_BACKEND",
    "BACKENDS",
    "PixelSize",
    "PreparedSlide",
    "Slide",
    "SlideBackend",
    "SlideHandle",
    "TileBlock",
    "TilePlan",
    "TilingSettings",
    "TissueMask",
    "TissueSettings",
    "backend_names",
    "backends",
    "choose_backend",
    "detect_tissue",
    "draw_tiles",
    "find_slides",
    "iter_tile_blocks",
    "open_slide",
    "plan_tiles",
    "prepare_slide",
    "preview_um_per_px",
    "read_level_for",
    "register_backend",
    "resolve_pixel_size",
    "slide_id_of",
    "slide_record",
    "slide_suffixes",
    "write_previews",
]
