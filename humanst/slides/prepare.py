"""One slide from file to tile plan: open, pixel size, thumbnail, tissue mask, micron grid, preview pictures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from humanst.slides.previews import preview_um_per_px, write_previews
from humanst.slides.slide import Slide
from humanst.slides.tiling import TilePlan, TilingSettings, check_grid, plan_tiles
from humanst.slides.tissue import TissueMask, detect_tissue

__all__ = ["PreparedSlide", "prepare_slide", "slide_record"]


@dataclass(frozen=True)
class PreparedSlide:
    """A slide's tissue mask, tile plan, and where its previews went (``None`` when not written)."""

    mask: TissueMask
    plan: TilePlan
    preview: Path | None
    mask_png: Path | None


def prepare_slide(slide: Slide, settings: TilingSettings, *, preview_dir: Path | None = None) -> PreparedSlide:
    """Detect tissue on a thumbnail at ``settings.tissue.mask_um_per_px``, lay the grid, write the previews.

    Raises
    ------
    SlideError
        The tile grid is beyond :data:`~humanst.slides.tiling.MAX_GRID_TILES` (checked before any pixel is read),
        or the slide cannot be decoded.
    """
    check_grid(slide.dimensions, slide.pixel_size, settings, path=slide.path)
    um = settings.tissue.mask_um_per_px
    thumbnail = slide.read_scaled(um)
    mask = detect_tissue(thumbnail, um, settings.tissue)
    plan = plan_tiles(slide.dimensions, slide.pixel_size, mask, settings)
    preview = mask_png = None
    if preview_dir is not None:
        preview_um = preview_um_per_px(slide.size_um)
        picture = thumbnail if preview_um == um else slide.read_scaled(preview_um)
        preview, mask_png = write_previews(preview_dir, slide.slide_id, picture, preview_um, mask, plan)
    return PreparedSlide(mask=mask, plan=plan, preview=preview, mask_png=mask_png)


def slide_record(slide: Slide, prepared: PreparedSlide, *, read_level: int) -> dict[str, object]:
    """Describe a tiled slide in plain JSON (file, backend, pixel size and source, tissue, grid) for provenance."""
    plan = prepared.plan
    return {
        "slide_id": slide.slide_id,
        "path": str(slide.path),
        "backend": slide.backend.name,
        "vendor": slide.vendor,
        "dimensions": list(slide.dimensions),
        "level_downsamples": list(slide.level_downsamples),
        "read_level": read_level,
        "pixel_size": slide.pixel_size.to_json(),
        "tissue_area_mm2": round(prepared.mask.area_mm2, 6),
        "saturation_threshold": prepared.mask.saturation_threshold,
        "pen_px": prepared.mask.pen_px,
        "grid_shape": list(plan.grid_shape),
        "n_tiles": len(plan),
        "n_tiles_with_tissue": plan.n_with_tissue,
        "size_px_level0": plan.size_px_level0,
    }
