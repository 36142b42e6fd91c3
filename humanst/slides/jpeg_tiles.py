"""Read a JPEG-tiled TIFF level at 1/2, 1/4 or 1/8 scale straight from the JPEG data (libjpeg's DCT scaling).

A 40x slide (0.25 um/px) tiled at 0.5 um/px needs every pixel of level 0 averaged 2 x 2. Decoding each JPEG tile
at half size does that inside the decoder (``PIL.Image.draft``, the trick ``stamp`` uses for atlas patches): about
a third of the decoding work and no resampling afterwards. It applies to tiled, 8-bit, 3-sample JPEG pages (SVS,
most generic pyramidal TIFFs); the level is checked once against tifffile's own decoder and left to the backend
when they disagree.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tifffile import TiffPage

__all__ = ["JpegTiledLevel", "open_jpeg_levels"]

_JPEG = 7
_MAX_FACTOR = 8


class JpegTiledLevel:
    """One JPEG-tiled TIFF page: decode any region at ``1 / factor`` scale, ``factor`` in 1, 2, 4, 8."""

    def __init__(self, path: Path, page: TiffPage) -> None:
        self.path = Path(path)
        self.width = int(page.imagewidth)
        self.height = int(page.imagelength)
        self.tile_h, self.tile_w = (int(v) for v in (page.tile or (0, 0))[:2])  # usable pages are tiled
        self.offsets = tuple(page.dataoffsets)
        self.counts = tuple(page.databytecounts)
        self.tables: bytes | None = page.jpegtables
        self.tiles_x = -(-self.width // self.tile_w)
        self._file = self.path.open("rb")

    def _jpeg(self, index: int) -> bytes:
        self._file.seek(self.offsets[index])
        data = self._file.read(self.counts[index])
        return self.tables[:-2] + data[2:] if self.tables else data  # abbreviated stream: splice the tables in

    def _tile(self, index: int, factor: int) -> np.ndarray:
        from PIL import Image

        with Image.open(io.BytesIO(self._jpeg(index))) as image:
            if factor > 1:
                image.draft("RGB", (self.tile_w // factor, self.tile_h // factor))
            return np.asarray(image.convert("RGB"))

    def read(self, x0: int, y0: int, width: int, height: int, factor: int) -> np.ndarray:
        """Return level pixels ``[x0, x0 + width) x [y0, y0 + height)`` at ``1 / factor`` scale (white outside).

        ``x0`` and ``y0`` must be multiples of ``factor``; the result has ``ceil(height / factor)`` rows.
        """
        out_w, out_h = -(-width // factor), -(-height // factor)
        out = np.full((out_h, out_w, 3), 255, dtype=np.uint8)
        tw, th = self.tile_w // factor, self.tile_h // factor
        x1, y1 = min(x0 + width, self.width), min(y0 + height, self.height)
        for ty in range(max(0, y0) // self.tile_h, (y1 - 1) // self.tile_h + 1 if y1 > 0 else 0):
            for tx in range(max(0, x0) // self.tile_w, (x1 - 1) // self.tile_w + 1 if x1 > 0 else 0):
                tile = self._tile(ty * self.tiles_x + tx, factor)
                # tile origin in output pixels; clip to the output and to the level's edge
                ox, oy = (tx * self.tile_w - x0) // factor, (ty * self.tile_h - y0) // factor
                valid_w = -(-(min(self.width, (tx + 1) * self.tile_w) - tx * self.tile_w) // factor)
                valid_h = -(-(min(self.height, (ty + 1) * self.tile_h) - ty * self.tile_h) // factor)
                sx0, sy0 = max(0, -ox), max(0, -oy)
                sx1, sy1 = min(tw, valid_w, out_w - ox), min(th, valid_h, out_h - oy)
                if sx1 > sx0 and sy1 > sy0:
                    out[oy + sy0 : oy + sy1, ox + sx0 : ox + sx1] = tile[sy0:sy1, sx0:sx1]
        return out

    def close(self) -> None:
        """Release the file."""
        self._file.close()


def _usable(page: TiffPage) -> bool:
    return bool(
        page.is_tiled
        and page.compression == _JPEG
        and page.samplesperpixel == 3
        and page.bitspersample == 8
        and page.planarconfig == 1
        and page.tile is not None
        and all(int(v) % _MAX_FACTOR == 0 for v in page.tile[:2])
    )


def _agrees_with_tifffile(level: JpegTiledLevel, page: TiffPage) -> bool:
    """Decode the first tile with PIL and with tifffile: a colour-space or table mismatch shows here."""
    level._file.seek(level.offsets[0])
    data = level._file.read(level.counts[0])
    reference, _, _ = page.decode(data, 0, jpegtables=level.tables)
    ours = level._tile(0, 1)
    reference = np.asarray(reference).reshape(ours.shape)
    return bool(np.abs(ours.astype(np.int16) - reference).mean() < 1.0)


def open_jpeg_levels(path: Path, level_dimensions: tuple[tuple[int, int], ...]) -> dict[int, JpegTiledLevel]:
    """Return the slide levels (by index) that are JPEG-tiled pages this module decodes faithfully."""
    import tifffile

    levels: dict[int, JpegTiledLevel] = {}
    try:
        with tifffile.TiffFile(path) as tif:
            series_levels = tif.series[0].levels if tif.series else []
            for index, (width, height) in enumerate(level_dimensions):
                if index >= len(series_levels):
                    break
                page = series_levels[index].keyframe
                if (page.imagewidth, page.imagelength) != (width, height) or not _usable(page):
                    continue
                level = JpegTiledLevel(path, page)
                if _agrees_with_tifffile(level, page):
                    levels[index] = level
                else:
                    level.close()
    except (tifffile.TiffFileError, OSError, ValueError, IndexError, RuntimeError):
        for level in levels.values():
            level.close()
        return {}
    return levels
