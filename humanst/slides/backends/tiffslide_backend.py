"""tiffslide (tifffile + imagecodecs): SVS, generic and SubIFD pyramids, OME-TIFF, and plain TIFFs OpenSlide refuses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from humanst.slides._registry import SlideBackend, register_backend
from humanst.slides.jpeg_tiles import open_jpeg_levels

# tifffile series kinds that tiffslide reads as a slide (NDPI, SCN, Philips... are left to OpenSlide).
_SERIES_KINDS = frozenset({"svs", "ome", "generic", "shaped", "uniform", "subifd"})
_PREFER = 20  # above OpenSlide for Aperio / generic TIFF (same pixels, faster decoding; sees SubIFD levels)


class TiffSlideHandle:
    """A ``tiffslide.TiffSlide`` returning regions as RGB uint8 arrays."""

    def __init__(self, path: Path) -> None:
        import tiffslide

        self._slide = tiffslide.TiffSlide(str(path))
        props = {k: v for k, v in self._slide.properties.items() if v is not None}
        self.vendor: str = str(props.get("tiffslide.vendor") or "tiff")
        self.level_dimensions: tuple[tuple[int, int], ...] = tuple(self._slide.level_dimensions)
        self.level_downsamples: tuple[float, ...] = tuple(float(d) for d in self._slide.level_downsamples)
        self.properties: Mapping[str, str] = {**{k: str(v) for k, v in props.items()}, **_resolution_tags(path)}

    def read_region(self, location: tuple[int, int], level: int, size: tuple[int, int]) -> np.ndarray:
        """Return the region as RGB uint8 (grey images are repeated to three channels)."""
        region = np.asarray(self._slide.read_region(location, level, size, as_array=True))
        if region.ndim == 2:
            region = np.repeat(region[..., None], 3, axis=2)
        return np.ascontiguousarray(region[..., :3], dtype=np.uint8)

    def close(self) -> None:
        """Release the file."""
        self._slide.close()


def _resolution_tags(path: Path) -> dict[str, str]:
    """Return the first page's resolution tags under OpenSlide's names (``tiff.XResolution``, ...)."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        tags = tif.pages.first.tags
        out = {}
        for name in ("XResolution", "YResolution"):
            if name in tags:
                num, den = tags[name].value
                out[f"tiff.{name}"] = str(num / den) if den else "0"
        if "ResolutionUnit" in tags:
            out["tiff.ResolutionUnit"] = tifffile.RESUNIT(tags["ResolutionUnit"].value).name.lower()
    return out


def _probe(path: Path) -> int | None:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            kind = tif.series[0].kind if tif.series else None
    except (tifffile.TiffFileError, OSError, ValueError, IndexError):
        return None
    return _PREFER if kind in _SERIES_KINDS else None


def _errors() -> tuple[type[BaseException], ...]:
    import tifffile

    # imagecodecs raises RuntimeError subclasses (Jpeg8Error, DeflateError...) on corrupt tiles.
    return (tifffile.TiffFileError, OSError, ValueError, RuntimeError, KeyError, IndexError)


register_backend(
    SlideBackend(
        name="tiffslide",
        probe=_probe,
        open=TiffSlideHandle,
        errors=_errors(),
        extensions=(".svs", ".tif", ".tiff", ".ome.tif", ".ome.tiff", ".btf"),
        description="tiffslide 3 (tifffile + imagecodecs): Aperio SVS, generic/SubIFD/OME-TIFF pyramids, plain TIFF",
        reduced_levels=open_jpeg_levels,
    )
)
