"""Image files of the raw layouts: PNG/JPEG, pyramidal TIFF with pixel size, OME-TIFF, downscaling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import tifffile
from PIL import Image

__all__ = ["downscale", "write_ome_tiff", "write_picture", "write_pyramidal_tiff"]


def downscale(image: np.ndarray, factor: float) -> np.ndarray:
    """Resize by ``factor`` (< 1 shrinks) with area-style filtering; keeps dtype uint8."""
    height, width = image.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(
        Image.fromarray(image).resize(size, Image.Resampling.BOX if factor < 1 else Image.Resampling.BICUBIC)
    )


def write_picture(path: str | Path, image: np.ndarray, *, quality: int = 90) -> Path:
    """Write an RGB uint8 array as PNG or JPEG according to the suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"quality": quality} if path.suffix.lower() in {".jpg", ".jpeg"} else {}
    Image.fromarray(image).convert("RGB").save(path, **kwargs)
    return path


def _levels(image: np.ndarray, min_side: int) -> list[np.ndarray]:
    levels = [image]
    while min(levels[-1].shape[:2]) // 2 >= min_side:
        levels.append(downscale(levels[-1], 0.5) if levels[-1].ndim == 3 else levels[-1][::2, ::2])
    return levels


def write_pyramidal_tiff(path: str | Path, image: np.ndarray, *, um_per_px: float, tile: int = 256) -> Path:
    """Write a tiled pyramidal (SubIFD) TIFF with its resolution tags in pixels per centimetre."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    levels = _levels(image, min_side=tile)
    px_per_cm = 1e4 / um_per_px
    with tifffile.TiffWriter(path, bigtiff=image.nbytes > 2**31) as tif:
        options: dict[str, Any] = {
            "tile": (tile, tile),
            "compression": "zlib",
            "photometric": "rgb" if image.ndim == 3 else "minisblack",
        }
        tif.write(
            levels[0],
            subifds=len(levels) - 1,
            resolution=(px_per_cm, px_per_cm),
            resolutionunit="CENTIMETER",
            **options,
        )
        for level_idx, level in enumerate(levels[1:], start=1):
            scale = 2**level_idx
            tif.write(
                level,
                subfiletype=1,
                resolution=(px_per_cm / scale, px_per_cm / scale),
                resolutionunit="CENTIMETER",
                **options,
            )
    return path


def write_ome_tiff(
    path: str | Path, image: np.ndarray, *, um_per_px: float, channel_names: list[str] | None = None, tile: int = 256
) -> Path:
    """Write an OME-TIFF (interleaved RGB, or one grey channel) with physical pixel size and SubIFD levels."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = image.ndim == 3
    levels = _levels(image, min_side=tile)
    metadata: dict[str, Any] = {
        "axes": "YXS" if rgb else "YX",
        "PhysicalSizeX": um_per_px,
        "PhysicalSizeXUnit": "µm",
        "PhysicalSizeY": um_per_px,
        "PhysicalSizeYUnit": "µm",
    }
    if channel_names:
        metadata["Channel"] = {"Name": channel_names}
    with tifffile.TiffWriter(path, bigtiff=image.nbytes > 2**31, ome=True) as tif:
        options: dict[str, Any] = {
            "tile": (tile, tile),
            "compression": "zlib",
            "photometric": "rgb" if rgb else "minisblack",
        }
        tif.write(levels[0], subifds=len(levels) - 1, metadata=metadata, **options)
        for level in levels[1:]:
            tif.write(level, subfiletype=1, metadata=None, **options)
    return path
