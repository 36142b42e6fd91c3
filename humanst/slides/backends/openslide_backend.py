"""OpenSlide (``openslide-python`` + the ``openslide-bin`` wheel): SVS, NDPI, MRXS, SCN, BIF, generic tiled TIFF."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from humanst.slides._registry import SlideBackend, register_backend

# OpenSlide vendors whose files tiffslide reads as well (and faster, through tifffile + imagecodecs); for every
# other vendor OpenSlide is the only reader, so it outbids tiffslide there.
TIFF_FAMILY_VENDORS = frozenset({"aperio", "generic-tiff"})
_PREFER_ALWAYS = 30
_PREFER_TIFF_FAMILY = 10


class OpenSlideHandle:
    """An ``openslide.OpenSlide`` whose regions come back as RGB on white (OpenSlide returns RGBA, 0 outside)."""

    def __init__(self, path: Path) -> None:
        import openslide

        self._slide = openslide.OpenSlide(str(path))
        self.vendor: str = self._slide.properties.get(openslide.PROPERTY_NAME_VENDOR) or "unknown"
        self.level_dimensions: tuple[tuple[int, int], ...] = tuple(self._slide.level_dimensions)
        self.level_downsamples: tuple[float, ...] = tuple(float(d) for d in self._slide.level_downsamples)
        self.properties: Mapping[str, str] = dict(self._slide.properties)

    def read_region(self, location: tuple[int, int], level: int, size: tuple[int, int]) -> np.ndarray:
        """Return the region as RGB uint8; transparent pixels (outside the scanned area) become white."""
        rgba = np.asarray(self._slide.read_region(location, level, size))
        rgb = rgba[..., :3].copy()
        rgb[rgba[..., 3] == 0] = 255
        return rgb

    def close(self) -> None:
        """Release the file."""
        self._slide.close()


def _probe(path: Path) -> int | None:
    import openslide

    try:
        vendor = openslide.OpenSlide.detect_format(str(path))
    except (openslide.OpenSlideError, OSError):
        return None
    if vendor is None:
        return None
    return _PREFER_TIFF_FAMILY if vendor in TIFF_FAMILY_VENDORS else _PREFER_ALWAYS


def _errors() -> tuple[type[BaseException], ...]:
    import openslide

    return (openslide.OpenSlideError, OSError, ValueError)


register_backend(
    SlideBackend(
        name="openslide",
        probe=_probe,
        open=OpenSlideHandle,
        errors=_errors(),
        extensions=(".svs", ".tif", ".tiff", ".ndpi", ".vms", ".vmu", ".scn", ".mrxs", ".svslide", ".bif", ".dcm"),
        description="OpenSlide 4 (openslide-bin wheel): Aperio, Hamamatsu, MIRAX, Leica, Ventana, Philips, DICOM, "
        "generic tiled TIFF",
    )
)
