"""Microns per pixel of a slide, with where the number came from (as the atlas records it for ST images).

Order: the vendor's own keys (``aperio.MPP``, ``openslide.mpp-x/y``), the TIFF resolution tags (centimetre or inch
units only), the OME ``PhysicalSizeX/Y``, ``tiffslide.mpp-x/y``, and last the objective power (10 / power um/px,
with a warning: scanners at "40x" range from 0.22 to 0.27 um/px). A slide with none of these is refused with a
message that names the file and the ``--mpp`` fix.

A user's value (``--mpp``) fills in only what the metadata lacks: a slide with no pixel size, or only the objective
power's estimate. It replaces a measured pixel size only when forced (``--mpp-override``); whatever it replaced is
kept in :attr:`PixelSize.replaced` so that it can be printed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import SlideError

__all__ = ["PixelSize", "resolve_pixel_size"]

_VALID_UM = (0.02, 200.0)  # anything outside is a placeholder (e.g. TIFF's default resolution of 1)
_UNIT_UM = {"centimeter": 1e4, "cm": 1e4, "inch": 25400.0, "in": 25400.0}
_OME_UNIT_UM = {"µm": 1.0, "um": 1.0, "micron": 1.0, "nm": 1e-3, "mm": 1e3, "cm": 1e4, "m": 1e6}
_POWER_KEYS = ("openslide.objective-power", "tiffslide.objective-power", "aperio.AppMag")
_UM_AT_1X = 10.0  # the convention that 20x is 0.5 um/px and 40x is 0.25 um/px


@dataclass(frozen=True)
class PixelSize:
    """Level-0 pixel size in microns along x and y, its ``source`` and a ``warning`` when it was only inferred."""

    x_um: float
    y_um: float
    source: str
    warning: str | None = None
    replaced: str | None = None  # the metadata's own value that a user's --mpp replaced, in words

    def to_json(self) -> dict[str, object]:
        """Plain-JSON form for provenance."""
        return {
            "x_um": self.x_um, "y_um": self.y_um, "source": self.source, "warning": self.warning,
            "replaced": self.replaced,
        }  # fmt: skip

    def describe(self) -> str:
        """``0.499 um/px (aperio.MPP)``, or ``0.46 x 0.47 um/px (...)`` when x and y differ."""
        size = f"{self.x_um:g}" if self.x_um == self.y_um else f"{self.x_um:g} x {self.y_um:g}"
        return f"{size} um/px ({self.source})"


def _number(value: object) -> float | None:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if _VALID_UM[0] <= number <= _VALID_UM[1] else None


def _from_keys(props: Mapping[str, str], key_x: str, key_y: str) -> tuple[float, float] | None:
    x = _number(props.get(key_x)) if key_x in props else None
    y = _number(props.get(key_y)) if key_y in props else None
    if x is None and y is None:
        return None
    return (x or y, y or x)  # type: ignore[return-value]


def _from_resolution_tags(props: Mapping[str, str]) -> tuple[float, float] | None:
    unit = str(props.get("tiff.ResolutionUnit", "")).lower()
    if unit not in _UNIT_UM:
        return None
    try:
        per_unit_x = float(props["tiff.XResolution"])
        per_unit_y = float(props.get("tiff.YResolution", per_unit_x))
    except (KeyError, ValueError):
        return None
    if per_unit_x <= 0 or per_unit_y <= 0:
        return None
    x, y = _number(_UNIT_UM[unit] / per_unit_x), _number(_UNIT_UM[unit] / per_unit_y)
    return (x, y) if x is not None and y is not None else None


def _ome_xml(path: Path) -> str | None:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            return tif.ome_metadata
    except (tifffile.TiffFileError, OSError, ValueError):
        return None


def _from_ome(xml: str | None) -> tuple[float, float] | None:
    if not xml:
        return None
    try:
        root = ET.fromstring(xml)  # the OME-XML of a local file the user chose to open
    except ET.ParseError:
        return None
    pixels = next((el for el in root.iter() if el.tag.endswith("}Pixels") or el.tag == "Pixels"), None)
    if pixels is None:
        return None
    sizes = []
    for axis in ("X", "Y"):
        value = _number(pixels.get(f"PhysicalSize{axis}"))
        scale = _OME_UNIT_UM.get(pixels.get(f"PhysicalSize{axis}Unit", "µm"))
        sizes.append(None if value is None or scale is None else _number(value * scale))
    if sizes[0] is None:
        return None
    return (sizes[0], sizes[1] or sizes[0])


def _user_value(value: float, path: Path) -> float:
    if _number(value) is None:
        msg = f"--mpp {value} is not a pixel size in microns; expected e.g. 0.25 (40x) or 0.5 (20x)"
        raise SlideError(msg, path=path)
    return float(value)


def resolve_pixel_size(
    props: Mapping[str, str],
    *,
    path: Path,
    fallback_um: float | None = None,
    override_um: float | None = None,
    read_ome: bool = True,
) -> PixelSize:
    """Return the level-0 pixel size of a slide from its properties (and OME-XML), or raise :class:`SlideError`.

    Parameters
    ----------
    props
        The backend's properties (OpenSlide or tiffslide keys, ``tiff.*`` tags).
    path
        The slide file (named in messages; its OME-XML is read when the properties have no pixel size).
    fallback_um
        A pixel size given by the user (``--mpp``) for a slide whose metadata has none, or only the objective
        power; a measured pixel size is kept.
    override_um
        A pixel size that replaces the metadata's in every case (``--mpp --mpp-override``).
    read_ome
        Look into the file's OME-XML when the properties have no pixel size.

    Raises
    ------
    SlideError
        When neither the metadata nor the user gives a pixel size, or the user's value is not one.
    """
    user = override_um if override_um is not None else fallback_um
    if user is None:
        return _from_metadata(props, path=path, read_ome=read_ome)
    um = _user_value(user, path)
    try:
        own: PixelSize | None = _from_metadata(props, path=path, read_ome=read_ome)
    except SlideError:
        own = None
    if own is not None and own.warning is None and override_um is None:
        return own  # measured: --mpp only fills in
    replaced = None if own is None or (own.x_um, own.y_um) == (um, um) else own.describe()
    if override_um is not None:
        source = "override (--mpp-override)"
    else:
        source = "--mpp (the metadata has only the objective power)" if own is not None else "--mpp (none in metadata)"
    return PixelSize(um, um, source, replaced=replaced)


def _from_metadata(props: Mapping[str, str], *, path: Path, read_ome: bool) -> PixelSize:
    """Return the pixel size the slide's own metadata gives (see the module docstring for the order)."""
    for key_x, key_y in (("aperio.MPP", "aperio.MPP"), ("openslide.mpp-x", "openslide.mpp-y")):
        if found := _from_keys(props, key_x, key_y):
            return PixelSize(*found, source=key_x if key_x == key_y else "openslide.mpp-x/y")
    if found := _from_resolution_tags(props):
        return PixelSize(*found, source=f"TIFF resolution tags ({props['tiff.ResolutionUnit']})")
    if read_ome and (found := _from_ome(_ome_xml(path))):
        return PixelSize(*found, source="OME PhysicalSizeX/Y")
    if found := _from_keys(props, "tiffslide.mpp-x", "tiffslide.mpp-y"):
        return PixelSize(*found, source="tiffslide.mpp-x/y")
    for key in _POWER_KEYS:
        power = _number(props.get(key)) if key in props else None
        if power is not None and power >= 1:
            um = _UM_AT_1X / power
            warning = (
                f"file '{path}': no pixel size in the metadata; assuming {um:g} um/px from the objective power "
                f"{power:g}x ({key}); scanners differ by up to ~10%, pass --mpp to set it"
            )
            return PixelSize(um, um, f"objective power {power:g}x ({key}), 10/power", warning)
    msg = (
        "no pixel size (microns per pixel) in the slide's metadata and no objective power; tiles in microns "
        "cannot be cut. Pass --mpp UM_PER_PX (e.g. 0.25 for a 40x scan, 0.5 for 20x)"
    )
    raise SlideError(msg, path=path)
