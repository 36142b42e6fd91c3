"""The readers' H&E images: opened lazily (TIFF / OME-TIFF through tifffile + zarr, JPEG / PNG through PIL)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from humanst.errors import ReaderError
from humanst.readers.raw import ImageRef

if TYPE_CHECKING:
    from humanst.readers.raw import ImageArray

__all__ = ["open_image"]


def _tiff_level0(path: Path) -> tuple[tuple[int, ...], str]:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        level = series.levels[0] if series.levels else series
        return tuple(int(n) for n in level.shape), str(level.axes)


def _load_tiff(path: Path) -> ImageArray:
    import tifffile
    import zarr

    store = tifffile.imread(path, aszarr=True, series=0, level=0)
    opened = zarr.open(store, mode="r")
    array: Any = opened["0"] if isinstance(opened, zarr.Group) else opened  # pyramidal: level 0 is array "0"
    if array.ndim == 3 and array.shape[-1] in (3, 4) and array.dtype == np.uint8:
        return array if array.shape[-1] == 3 else np.asarray(array)[..., :3]
    return _to_rgb_uint8(np.asarray(array))


def _to_rgb_uint8(data: np.ndarray) -> np.ndarray:
    if data.ndim == 3 and data.shape[0] in (3, 4) and data.shape[-1] not in (3, 4):
        data = np.moveaxis(data, 0, -1)
    if data.ndim == 2:
        data = np.repeat(data[..., None], 3, axis=-1)
    data = data[..., :3]
    if data.dtype != np.uint8:
        top = float(data.max()) or 1.0
        data = np.clip(data.astype(np.float64) / top * 255.0, 0, 255).astype(np.uint8)
    return data


def _load_picture(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def open_image(path: Path, *, sample_id: str) -> ImageRef:
    """Open the full-resolution H&E lazily (TIFF/OME-TIFF via tifffile + zarr, JPEG/PNG via PIL).

    Raises
    ------
    ReaderError
        When the file cannot be decoded as an image.
    """
    path = Path(path)
    try:
        if path.suffix.lower() in {".tif", ".tiff", ".btf"}:
            shape, axes = _tiff_level0(path)
            if "Y" in axes and "X" in axes:
                hw = (shape[axes.index("Y")], shape[axes.index("X")])
            else:
                hw = (shape[0], shape[1])
            return ImageRef(path, hw, lambda: _load_tiff(path))
        from PIL import Image

        with Image.open(path) as img:
            width, height = img.size
        return ImageRef(path, (int(height), int(width)), lambda: _load_picture(path))
    except Exception as exc:  # any decoder failure means the same to the user
        msg = (
            f"cannot read the H&E image ({type(exc).__name__}: {exc}). The file is corrupt, truncated or not an "
            "image; download it again (check its sha256 in the manifest) or point the manifest at the right file."
        )
        raise ReaderError(msg, sample_id=sample_id, path=path) from exc
