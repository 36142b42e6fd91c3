"""Synthetic whole-slide images: the atlas's H&E tissue written as real slide files (pyramidal TIFF, SVS-like, ...).

The section is drawn by :func:`humanst.synth.make_tissue` and rendered by :func:`humanst.synth.render_he` in strips,
so tiles look like the atlas tissue. Layouts (registry ``SLIDE_LAYOUTS``):

- ``pyramidal-tiff``: generic tiled TIFF, levels halving in successive IFDs, resolution tags in pixels per cm
  (what OpenSlide calls generic-tiff);
- ``svs``: Aperio-like tiled TIFF, 240 px JPEG tiles, levels at 1/4 and 1/16, a thumbnail, label and macro image,
  ``MPP`` and ``AppMag`` in the ImageDescription (OpenSlide's aperio vendor);
- ``ome-tiff``: OME-TIFF with SubIFD levels and ``PhysicalSizeX/Y`` (the Xenium H&E layout);
- ``plain-tiff``: one untiled image without any pixel size (the slide that must be refused, or given ``--mpp``).

With ``pixel_size=False`` the pyramidal and SVS layouts leave out their pixel size (the SVS keeps ``AppMag``, so
the pixel size can only be inferred from the objective power).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tifffile
from PIL import Image, ImageDraw

from humanst.atomic import atomic_path
from humanst.errors import FormatError
from humanst.registry import Registry
from humanst.synth.formats.images import downscale, write_ome_tiff
from humanst.synth.render import PixelFrame, render_he
from humanst.synth.tissue import Tissue, make_tissue

__all__ = [
    "SLIDE_LAYOUTS",
    "PenStroke",
    "SlideLayout",
    "SyntheticSlide",
    "make_synthetic_slide",
    "render_slide",
    "write_slide",
]

_STRIP_ROWS = 1024
_JPEG_QUALITY = 90
_PEN_RGB = (25, 120, 70)  # green marker ink


@dataclass(frozen=True)
class SlideLayout:
    """A slide file layout: suffix, description and ``write(path, image, *, um_per_px, pixel_size, compression)``."""

    name: str
    suffix: str
    description: str
    write: Callable[..., None]


SLIDE_LAYOUTS: Registry[str, SlideLayout] = Registry("synthetic slide layout", error=FormatError)


def _compression(compression: str) -> dict[str, Any]:
    if compression == "jpeg":
        return {"compression": "jpeg", "compressionargs": {"level": _JPEG_QUALITY}}
    if compression == "zlib":
        return {"compression": "zlib"}
    msg = f"compression {compression!r} is not one of jpeg, zlib"
    raise FormatError(msg)


def _pyramid(image: np.ndarray, factor: int, min_side: int) -> list[np.ndarray]:
    levels = [image]
    while min(levels[-1].shape[:2]) // factor >= min_side:
        levels.append(downscale(levels[-1], 1.0 / factor))
    return levels


def _write_pyramidal(path: Path, image: np.ndarray, *, um_per_px: float, pixel_size: bool, compression: str) -> None:
    levels = _pyramid(image, 2, 256)
    with tifffile.TiffWriter(path, bigtiff=image.nbytes > 2**31) as tif:
        for index, level in enumerate(levels):
            scale = image.shape[1] / level.shape[1]
            tags: dict[str, Any] = {}
            if pixel_size:
                px_per_cm = 1e4 / (um_per_px * scale)
                tags = {"resolution": (px_per_cm, px_per_cm), "resolutionunit": "CENTIMETER"}
            tif.write(
                level,
                tile=(256, 256),
                photometric="rgb",
                subfiletype=0 if index == 0 else 1,
                metadata=None,
                **_compression(compression),
                **tags,
            )


def _aperio_description(image: np.ndarray, um_per_px: float, name: str, *, pixel_size: bool) -> str:
    height, width = image.shape[:2]
    fields = [f"AppMag = {round(10 / um_per_px)}", "ScanScope ID = HUMANST-SYNTH", f"Filename = {name}"]
    if pixel_size:
        fields.insert(1, f"MPP = {um_per_px:g}")
    head = f"Aperio Image Library v12.0.15 \r\n{width}x{height} [0,0 {width}x{height}] (240x240) JPEG/RGB Q=90"
    return "|".join([head, *fields])


def _write_svs(path: Path, image: np.ndarray, *, um_per_px: float, pixel_size: bool, compression: str) -> None:
    levels = _pyramid(image, 4, 240)
    description = _aperio_description(image, um_per_px, path.name, pixel_size=pixel_size)
    thumb = downscale(image, min(1.0, 768 / max(image.shape[:2])))
    label = np.full((300, 300, 3), 235, np.uint8)
    macro = downscale(image, min(1.0, 600 / max(image.shape[:2])))
    options: dict[str, Any] = {"photometric": "rgb", "metadata": None}
    with tifffile.TiffWriter(path, bigtiff=image.nbytes > 2**31) as tif:
        tif.write(levels[0], tile=(240, 240), description=description, **_compression(compression), **options)
        tif.write(thumb, description=f"{description}\r\nthumbnail", compression="jpeg", **options)
        for level in levels[1:]:
            tif.write(level, tile=(240, 240), description=description, **_compression(compression), **options)
        tif.write(label, subfiletype=1, description="Aperio Image Library v12.0.15\r\nlabel 300x300", **options)
        tif.write(macro, subfiletype=9, description="Aperio Image Library v12.0.15\r\nmacro", **options)


def _write_ome(path: Path, image: np.ndarray, *, um_per_px: float, pixel_size: bool, compression: str) -> None:
    del pixel_size, compression  # the OME layout always states its pixel size and is written lossless
    write_ome_tiff(path, image, um_per_px=um_per_px)


def _write_plain(path: Path, image: np.ndarray, *, um_per_px: float, pixel_size: bool, compression: str) -> None:
    del um_per_px, pixel_size  # the point of this layout: no pixel size anywhere
    tifffile.imwrite(path, image, photometric="rgb", metadata=None, **_compression(compression))


for _layout in (
    SlideLayout("pyramidal-tiff", ".tif", "generic tiled TIFF, levels in successive IFDs, pixels/cm", _write_pyramidal),
    SlideLayout("svs", ".svs", "Aperio-like SVS: 240 px JPEG tiles, levels 1/4 and 1/16, MPP + AppMag", _write_svs),
    SlideLayout("ome-tiff", ".ome.tif", "OME-TIFF with SubIFD levels and PhysicalSizeX/Y", _write_ome),
    SlideLayout("plain-tiff", ".tif", "one untiled image, no pixel size", _write_plain),
):
    SLIDE_LAYOUTS.add(_layout.name, _layout)


def render_slide(
    tissue: Tissue, um_per_px: float, *, render_um_per_px: float | None = None, strip_rows: int = _STRIP_ROWS
) -> np.ndarray:
    """Render the whole section as RGB uint8 at ``um_per_px``, strip by strip (each strip its own noise seed).

    ``render_um_per_px`` renders at another (coarser) resolution and resizes to ``um_per_px`` with a bicubic
    filter: a cheaper image with the same tissue, for tests (the renderer costs ~2 us per pixel).
    """
    render_um = render_um_per_px or um_per_px
    frame = PixelFrame.covering(tissue, render_um)
    height, width = frame.shape
    strips = []
    for index, row0 in enumerate(range(0, height, strip_rows)):
        rows = min(strip_rows, height - row0)
        strip_tissue = dataclasses.replace(tissue, seed=tissue.seed * 10_000 + index)
        strip_frame = PixelFrame((rows, width), render_um, origin_um=(0.0, row0 * render_um))
        strips.append(render_he(strip_tissue, strip_frame))
    image = np.concatenate(strips, axis=0)
    if render_um != um_per_px:
        full = PixelFrame.covering(tissue, um_per_px).shape
        image = np.asarray(Image.fromarray(image).resize((full[1], full[0]), Image.Resampling.BICUBIC))
    return image


@dataclass(frozen=True)
class PenStroke:
    """A marker-pen line drawn on a slide, in microns: from ``start_um`` to ``end_um``, ``width_um`` wide."""

    start_um: tuple[float, float]
    end_um: tuple[float, float]
    width_um: float

    def draw(self, image: np.ndarray, um_per_px: float, colour: tuple[int, int, int] = _PEN_RGB) -> np.ndarray:
        """Return a copy of ``image`` with the stroke drawn (or a boolean mask when ``image`` is 2-D)."""
        picture = Image.fromarray(image)
        ends = [(x / um_per_px, y / um_per_px) for x, y in (self.start_um, self.end_um)]
        fill = colour if image.ndim == 3 else 1
        ImageDraw.Draw(picture).line(ends, fill=fill, width=max(1, round(self.width_um / um_per_px)))
        return np.asarray(picture)


@dataclass(frozen=True)
class SyntheticSlide:
    """A written synthetic slide and its truth: the tissue (region map, in microns) and the pen stroke."""

    path: Path
    layout: str
    um_per_px: float
    tissue: Tissue
    pen: PenStroke | None


def write_slide(
    path: str | Path,
    image: np.ndarray,
    *,
    um_per_px: float,
    layout: str = "pyramidal-tiff",
    pixel_size: bool = True,
    compression: str = "jpeg",
) -> Path:
    """Write an RGB uint8 image as a slide file of ``layout`` (atomically); return the path."""
    spec = SLIDE_LAYOUTS.get(layout)
    path = Path(path)
    with atomic_path(path) as tmp:
        pixels = np.ascontiguousarray(image, dtype=np.uint8)
        spec.write(tmp, pixels, um_per_px=float(um_per_px), pixel_size=pixel_size, compression=compression)
    return path


def make_synthetic_slide(
    path: str | Path,
    *,
    width_um: float,
    height_um: float,
    um_per_px: float,
    seed: int,
    layout: str = "pyramidal-tiff",
    render_um_per_px: float | None = None,
    pen_mark: bool = False,
    pixel_size: bool = True,
    compression: str = "jpeg",
) -> SyntheticSlide:
    """Draw a tissue section and write it as a slide; return the file with its truth.

    Parameters
    ----------
    path
        Output file (the layout's suffix is not added).
    width_um, height_um
        Section size in microns (a few mm^2 keeps tests to hundreds of tiles).
    um_per_px
        Level-0 pixel size of the slide (0.25 is a 40x scan, 0.5 a 20x scan).
    seed
        Seed of the tissue (same seed, same tissue, at any resolution).
    layout
        One of ``SLIDE_LAYOUTS``.
    render_um_per_px
        Render at this resolution and resize (see :func:`render_slide`).
    pen_mark
        Draw a green marker line across the top-left corner (tissue detection must leave it out).
    pixel_size
        Write the pixel size into the file's metadata.
    compression
        ``jpeg`` (quality 90, as scanners do) or ``zlib`` (lossless).
    """
    tissue = make_tissue(width_um, height_um, seed=seed)
    image = render_slide(tissue, um_per_px, render_um_per_px=render_um_per_px)
    pen = None
    if pen_mark:
        pen = PenStroke((0.04 * width_um, 0.02 * height_um), (0.30 * width_um, 0.12 * height_um), 40.0)
        image = pen.draw(image, um_per_px)
    out = write_slide(path, image, um_per_px=um_per_px, layout=layout, pixel_size=pixel_size, compression=compression)
    return SyntheticSlide(out, layout, float(um_per_px), tissue, pen)
