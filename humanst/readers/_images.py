"""The readers' H&E images: opened lazily (TIFF / OME-TIFF through tifffile + zarr, JPEG / PNG through PIL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from humanst.errors import ReaderError
from humanst.readers.raw import ImageRef

if TYPE_CHECKING:
    from humanst.readers.raw import ImageArray

__all__ = ["ABSOLUTE_MAX_PIXELS", "MAX_PIXELS_PER_BYTE", "expected_max_pixels", "open_image"]

# PIL refuses (or warns about) images above Image.MAX_IMAGE_PIXELS (~89 MP) as possible decompression bombs, but
# whole-slide H&E JPEG / PNG files are routinely larger (legacy ST: ~90 MP). The limit is set per file from the size
# the image can be expected to have: a legitimate H&E holds at least ~1 compressed byte per MAX_PIXELS_PER_BYTE
# pixels (white glass compresses best; JPEG ~20-40 px/byte, PNG of flat regions less), a bomb holds far fewer.
MAX_PIXELS_PER_BYTE = 256
# Nothing above this is opened through PIL (JPEG's own limit is 65,535 px a side); pyramidal TIFFs are read lazily.
ABSOLUTE_MAX_PIXELS = 65_535 * 65_535
_PIL_LIMIT = threading.Lock()


def expected_max_pixels(path: Path) -> int:
    """Largest pixel count a legitimate image of this file size can have (capped at ``ABSOLUTE_MAX_PIXELS``)."""
    from PIL import Image

    by_size = Path(path).stat().st_size * MAX_PIXELS_PER_BYTE
    return int(min(ABSOLUTE_MAX_PIXELS, max(by_size, Image.MAX_IMAGE_PIXELS or 0)))


@contextmanager
def _pil_limit(limit: int | None) -> Iterator[None]:
    """Let PIL open images up to ``limit`` pixels (``None``: header reads, no check) without a bomb warning."""
    from PIL import Image

    with _PIL_LIMIT:
        before = Image.MAX_IMAGE_PIXELS
        if before is not None:
            Image.MAX_IMAGE_PIXELS = None if limit is None else max(before, limit)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = before


def _picture_size(path: Path, sample_id: str) -> tuple[int, int]:
    """Read a JPEG / PNG header and refuse sizes no legitimate file of its byte size can have."""
    from PIL import Image

    limit = expected_max_pixels(path)
    with _pil_limit(None), Image.open(path) as img:  # the header only: nothing is decoded here
        width, height = img.size
    if width * height > limit:
        size_mb = path.stat().st_size / 1e6
        msg = (
            f"the H&E image claims {width} x {height} px ({width * height / 1e6:,.0f} megapixels) in a "
            f"{size_mb:.1f} MB file, more than {limit / 1e6:,.0f} megapixels ({MAX_PIXELS_PER_BYTE} px per byte, at "
            f"most {ABSOLUTE_MAX_PIXELS / 1e6:,.0f}); this looks like a decompression bomb or a corrupt header. "
            "If the image is genuine, convert it to a pyramidal TIFF (read lazily, no limit) and point the manifest "
            "at it."
        )
        raise ReaderError(msg, sample_id=sample_id, path=path)
    return int(height), int(width)


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


def _load_picture(path: Path, limit: int) -> np.ndarray:
    from PIL import Image

    with _pil_limit(limit), Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def open_image(path: Path, *, sample_id: str) -> ImageRef:
    """Open the full-resolution H&E lazily (TIFF/OME-TIFF via tifffile + zarr, JPEG/PNG via PIL).

    JPEG / PNG files larger than PIL's default limit open without a decompression-bomb warning as long as their
    pixel count is plausible for their byte size (:func:`expected_max_pixels`).

    Raises
    ------
    ReaderError
        When the file cannot be decoded as an image, or a JPEG / PNG claims more pixels than its size allows.
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
        hw = _picture_size(path, sample_id)
        return ImageRef(path, hw, lambda: _load_picture(path, hw[0] * hw[1]))
    except ReaderError:
        raise
    except Exception as exc:  # any decoder failure means the same to the user
        msg = (
            f"cannot read the H&E image ({type(exc).__name__}: {exc}). The file is corrupt, truncated or not an "
            "image; download it again (check its sha256 in the manifest) or point the manifest at the right file."
        )
        raise ReaderError(msg, sample_id=sample_id, path=path) from exc
