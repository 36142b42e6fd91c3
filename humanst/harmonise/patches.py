"""H&E patches centred on spots, resampled to the atlas pixel size with area interpolation, padded white."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from humanst.manifest.models import PatchSpec

if TYPE_CHECKING:
    from PIL import Image

    from humanst.readers.raw import ImageArray

__all__ = ["PatchSpec", "iter_patches", "resample_filter"]

WHITE = 255


def resample_filter(source_px: float, out_px: float) -> Image.Resampling:
    """PIL filter of every resampling to the atlas grid: box (area average) to shrink, bilinear to enlarge."""
    from PIL import Image

    return Image.Resampling.BOX if source_px >= out_px else Image.Resampling.BILINEAR


def _crop(image: ImageArray, x0: int, y0: int, x1: int, y1: int) -> tuple[np.ndarray, bool]:
    """Crop ``[y0:y1, x0:x1]`` from an (H, W, 3) array, white where it leaves the image; flag padding."""
    height, width = image.shape[:2]
    cx0, cy0, cx1, cy1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    if cx0 == x0 and cy0 == y0 and cx1 == x1 and cy1 == y1:
        return np.asarray(image[y0:y1, x0:x1, :3], dtype=np.uint8), False
    out = np.full((y1 - y0, x1 - x0, 3), WHITE, dtype=np.uint8)
    if cx1 > cx0 and cy1 > cy0:
        out[cy0 - y0 : cy1 - y0, cx0 - x0 : cx1 - x0] = np.asarray(image[cy0:cy1, cx0:cx1, :3], dtype=np.uint8)
    return out, True


def iter_patches(
    image: ImageArray, xy_px: np.ndarray, source_um_per_px: float, spec: PatchSpec
) -> Iterator[tuple[np.ndarray, bool]]:
    """Yield ``(patch, padded)`` per spot: ``(size_px, size_px, 3)`` uint8 centred on each ``(x, y)``.

    The source window of ``spec.field_um`` microns is resampled with PIL's box filter (area averaging) when
    shrinking and bilinear interpolation when enlarging; sub-pixel centres are honoured through PIL's
    ``box`` argument. ``image`` may be any array sliceable as ``[y0:y1, x0:x1, :]`` (numpy, zarr, dask).
    """
    from PIL import Image

    side = spec.field_um / source_um_per_px  # window side in source pixels
    resample = resample_filter(side, spec.size_px)
    half = side / 2.0
    for x, y in np.asarray(xy_px, dtype=np.float64):
        x0, y0 = math.floor(x - half), math.floor(y - half)
        x1, y1 = math.ceil(x + half), math.ceil(y + half)
        window, padded = _crop(image, x0, y0, x1, y1)
        box = (x - half - x0, y - half - y0, x + half - x0, y + half - y0)
        patch = Image.fromarray(window).resize((spec.size_px, spec.size_px), resample=resample, box=box)
        yield np.asarray(patch), padded
