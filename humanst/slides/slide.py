"""An open whole-slide image: backend picked per file, pixel size with its source, regions as RGB uint8."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import numpy as np

from humanst.errors import SlideError
from humanst.slides._registry import BACKENDS, ReducedLevel, SlideBackend, SlideHandle
from humanst.slides.pixel_size import PixelSize, resolve_pixel_size

__all__ = ["AUTO_BACKEND", "Slide", "choose_backend", "open_slide", "slide_id_of"]

AUTO_BACKEND = "auto"
_MULTI_SUFFIXES = (".ome.tiff", ".ome.tif")
_FIX_CORRUPT = "the file looks truncated or corrupt; copy or download it again (check its checksum)"


def slide_id_of(path: Path) -> str:
    """Return a slide's id: its file name without the slide suffix (``a.ome.tif`` -> ``a``)."""
    name = Path(path).name
    for suffix in _MULTI_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def choose_backend(path: Path, backend: str = AUTO_BACKEND) -> SlideBackend:
    """Return the named backend, or for ``auto`` the one that bids highest for this file."""
    if backend != AUTO_BACKEND:
        return BACKENDS.get(backend)
    bids = [(spec.probe(path), name) for name in BACKENDS.names() if (spec := BACKENDS.get(name))]
    bids = [(bid, name) for bid, name in bids if bid is not None]
    if not bids:
        msg = (
            f"no backend can open it ({', '.join(BACKENDS.names())} tried); it is not a slide format they read, "
            f"or {_FIX_CORRUPT}"
        )
        raise SlideError(msg, path=path)
    return BACKENDS.get(max(bids)[1])


class Slide:
    """A whole-slide image opened through a backend; use :func:`open_slide` (a context manager).

    Attributes
    ----------
    path, slide_id, backend
        The file, its id (file name without suffix) and the backend that reads it.
    pixel_size
        Level-0 microns per pixel (x, y) and where they came from.
    level_dimensions, level_downsamples
        ``(width, height)`` and downsample factor of every pyramid level.
    """

    def __init__(self, path: Path, backend: SlideBackend, handle: SlideHandle, pixel_size: PixelSize) -> None:
        self.path = Path(path)
        self.slide_id = slide_id_of(self.path)
        self.backend = backend
        self._handle = handle
        self._reduced: Mapping[int, ReducedLevel] | None = None
        self.pixel_size = pixel_size
        self.vendor = handle.vendor
        self.level_dimensions = handle.level_dimensions
        self.level_downsamples = handle.level_downsamples
        self.properties = handle.properties

    @property
    def dimensions(self) -> tuple[int, int]:
        """Level-0 ``(width, height)`` in pixels."""
        return self.level_dimensions[0]

    @property
    def size_um(self) -> tuple[float, float]:
        """Level-0 ``(width, height)`` in microns."""
        width, height = self.dimensions
        return width * self.pixel_size.x_um, height * self.pixel_size.y_um

    def level_um_per_px(self, level: int) -> tuple[float, float]:
        """Microns per pixel of a pyramid level along x and y."""
        down = self.level_downsamples[level]
        return self.pixel_size.x_um * down, self.pixel_size.y_um * down

    def best_level(self, um_per_px: float) -> int:
        """Return the coarsest level whose pixels are no larger than ``um_per_px`` (level 0 if all are)."""
        levels = range(len(self.level_downsamples))
        fine_enough = [lvl for lvl in levels if self.level_um_per_px(lvl)[0] <= um_per_px * 1.001]
        return max(fine_enough, key=lambda lvl: self.level_downsamples[lvl]) if fine_enough else 0

    def read_region(self, location: tuple[int, int], level: int, size: tuple[int, int]) -> np.ndarray:
        """Return ``size = (w, h)`` pixels of ``level`` at level-0 ``location`` as RGB uint8 (white outside).

        Raises
        ------
        SlideError
            When the backend fails to decode the region (truncated or corrupt file).
        """
        try:
            origin, extent = (int(location[0]), int(location[1])), (int(size[0]), int(size[1]))
            return self._handle.read_region(origin, int(level), extent)
        except self.backend.errors as err:
            msg = f"reading {size[0]}x{size[1]} px at {location} (level {level}) failed ({err}); {_FIX_CORRUPT}"
            raise SlideError(msg, path=self.path) from err

    def reduce_factors(self, level: int) -> tuple[int, ...]:
        """Scale factors at which ``level`` can be decoded directly (1 always; 2, 4, 8 for JPEG-tiled levels)."""
        if self._reduced is None:
            opener = self.backend.reduced_levels
            self._reduced = opener(self.path, self.level_dimensions) if opener is not None else {}
        return (1, 2, 4, 8) if level in self._reduced else (1,)

    def read_level_reduced(self, level: int, x0: int, y0: int, size: tuple[int, int], factor: int) -> np.ndarray:
        """Return ``size = (w, h)`` level pixels from level pixel ``(x0, y0)`` at ``1 / factor`` scale (RGB uint8).

        ``x0`` and ``y0`` must be multiples of ``factor``. Levels in :meth:`reduce_factors` decode at the reduced
        scale directly; others are read whole and averaged ``factor x factor`` (PIL ``reduce``).

        Raises
        ------
        SlideError
            When the data cannot be decoded (truncated or corrupt file).
        """
        if factor == 1 or factor not in self.reduce_factors(level):
            from PIL import Image

            down = self.level_downsamples[level]
            region = self.read_region((round(x0 * down), round(y0 * down)), level, size)
            return region if factor == 1 else np.asarray(Image.fromarray(region).reduce(factor))
        reduced = self._reduced or {}
        errors: tuple[type[BaseException], ...] = (*self.backend.errors, OSError)
        try:
            return reduced[level].read(x0, y0, int(size[0]), int(size[1]), factor)
        except errors as err:
            msg = f"decoding {size[0]}x{size[1]} px at ({x0}, {y0}) of level {level} failed ({err}); {_FIX_CORRUPT}"
            raise SlideError(msg, path=self.path) from err

    def read_scaled(self, um_per_px: float, *, strip_pixels: int = 2**25) -> np.ndarray:
        """Return the whole slide resampled to ``um_per_px`` (box filter), read in strips of the best level."""
        from PIL import Image

        level = self.best_level(um_per_px)
        width, height = self.level_dimensions[level]
        strip_px = max(1, strip_pixels // max(1, width))
        down = self.level_downsamples[level]
        lvl_y = self.level_um_per_px(level)[1]
        out_w = max(1, round(self.size_um[0] / um_per_px))
        out_h = max(1, round(self.size_um[1] / um_per_px))
        strips = []
        for y0 in range(0, height, strip_px):
            rows = min(strip_px, height - y0)
            region = self.read_region((0, round(y0 * down)), level, (width, rows))
            out_rows_0 = round(y0 * lvl_y / um_per_px)
            out_rows_1 = round((y0 + rows) * lvl_y / um_per_px) if y0 + rows < height else out_h
            if out_rows_1 <= out_rows_0:
                continue
            top = max(0.0, out_rows_0 * um_per_px / lvl_y - y0)
            bottom = min(float(rows), out_rows_1 * um_per_px / lvl_y - y0)
            box = (0.0, top, float(width), bottom)
            strip = Image.fromarray(region).resize((out_w, out_rows_1 - out_rows_0), Image.Resampling.BOX, box=box)
            strips.append(np.asarray(strip))
        return np.concatenate(strips, axis=0) if strips else np.full((out_h, out_w, 3), 255, np.uint8)

    def close(self) -> None:
        """Release the file."""
        for level in (self._reduced or {}).values():
            level.close()
        self._handle.close()

    def __enter__(self) -> Slide:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        width, height = self.dimensions
        return (
            f"Slide({self.slide_id!r}, {width}x{height} px, {self.pixel_size.x_um:g} um/px from "
            f"{self.pixel_size.source}, {len(self.level_dimensions)} levels, {self.backend.name}/{self.vendor})"
        )


def open_slide(
    path: str | Path, *, backend: str = AUTO_BACKEND, um_per_px: float | None = None, override: bool = False
) -> Slide:
    """Open a whole-slide image; its pixel size comes from the metadata, ``um_per_px`` filling in what it lacks.

    Parameters
    ----------
    path
        The slide file (SVS, NDPI, MRXS, SCN, BIF, generic / OME / plain TIFF, ...).
    backend
        ``auto`` (the backend that bids highest for the file), ``openslide`` or ``tiffslide``.
    um_per_px
        Level-0 microns per pixel for a slide whose metadata has none (or only the objective power).
    override
        Let ``um_per_px`` replace a pixel size the metadata gives (``--mpp-override``); the replaced value is
        kept in ``slide.pixel_size.replaced``.

    Raises
    ------
    SlideError
        When the file is missing, no backend reads it, it is corrupt, or it has no pixel size and no override.
    """
    path = Path(path)
    if not path.exists():
        msg = "no such file; check the path"
        raise SlideError(msg, path=path)
    spec = choose_backend(path, backend)
    try:
        handle = spec.open(path)
    except spec.errors as err:
        msg = f"{spec.name} cannot open it ({err}); {_FIX_CORRUPT}"
        raise SlideError(msg, path=path) from err
    try:
        forced, fallback = (um_per_px, None) if override else (None, um_per_px)
        pixel_size = resolve_pixel_size(handle.properties, path=path, fallback_um=fallback, override_um=forced)
    except SlideError:
        handle.close()
        raise
    return Slide(path, spec, handle, pixel_size)
