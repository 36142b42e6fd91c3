"""What was tiled, as pictures: the slide thumbnail with the tissue outline and the kept tiles, and the mask."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from humanst.atomic import atomic_path
from humanst.slides.tiling import TilePlan
from humanst.slides.tissue import TissueMask

__all__ = ["draw_tiles", "preview_um_per_px", "write_previews"]

TILE_COLOUR = (0, 160, 60)
OUTLINE_COLOUR = (30, 60, 220)
MAX_SIDE_PX = 1600
FINEST_UM_PER_PX = 2.0


def preview_um_per_px(size_um: tuple[float, float], *, max_side_px: int = MAX_SIDE_PX) -> float:
    """Pixel size of the preview picture: the longest side at most ``max_side_px``, never finer than 2 um/px."""
    return max(max(size_um) / max_side_px, FINEST_UM_PER_PX)


def draw_tiles(thumbnail: np.ndarray, um_per_px: float, mask: TissueMask, plan: TilePlan) -> object:
    """Return a PIL image: the thumbnail (``um_per_px``), the tissue outline in blue and the kept tiles in green."""
    from PIL import Image, ImageDraw
    from skimage import segmentation

    height, width = thumbnail.shape[:2]
    scale = mask.um_per_px / um_per_px
    size = (round(mask.mask.shape[1] * scale), round(mask.mask.shape[0] * scale))
    outline = Image.fromarray(mask.mask.astype(np.uint8)).resize(size, Image.Resampling.NEAREST)
    edges = np.zeros((height, width), dtype=bool)
    found = segmentation.find_boundaries(np.asarray(outline) > 0, mode="inner")
    edges[: min(height, found.shape[0]), : min(width, found.shape[1])] = found[:height, :width]
    image = thumbnail.copy()
    image[edges] = OUTLINE_COLOUR
    picture = Image.fromarray(image)
    draw = ImageDraw.Draw(picture)
    px_per_um = 1.0 / um_per_px
    side = max(plan.tile_um * px_per_um, 1.0)  # a tile finer than a preview pixel is drawn as one pixel
    for x_um, y_um in plan.coords_um:
        x, y = x_um * px_per_um, y_um * px_per_um
        draw.rectangle((x, y, x + side - 1, y + side - 1), outline=TILE_COLOUR)
    return picture


def write_previews(
    folder: Path, slide_id: str, thumbnail: np.ndarray, um_per_px: float, mask: TissueMask, plan: TilePlan
) -> tuple[Path, Path]:
    """Write ``<slide>.png`` (thumbnail with outline and tiles) and ``<slide>_mask.png`` atomically; return both."""
    from PIL import Image

    folder = Path(folder)
    picture_path, mask_path = folder / f"{slide_id}.png", folder / f"{slide_id}_mask.png"
    with atomic_path(picture_path) as tmp:
        draw_tiles(thumbnail, um_per_px, mask, plan).save(tmp, format="PNG", optimize=True)  # type: ignore[attr-defined]
    with atomic_path(mask_path) as tmp:
        Image.fromarray(mask.mask.astype(np.uint8) * 255).save(tmp, format="PNG", optimize=True)
    return picture_path, mask_path
