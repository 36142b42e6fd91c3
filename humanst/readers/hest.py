"""HEST-1k sample: ``st/<id>.h5ad``, pyramidal ``wsis/<id>.tif``, ``metadata/<id>.json`` (FORMATS.md section 6)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from humanst.errors import ReaderError
from humanst.provenance import package_version
from humanst.readers._images import open_image
from humanst.readers._inputs import as_count_csr, find_file
from humanst.readers._registry import register_reader
from humanst.readers.pixel_size import PixelSize, nearest_neighbour_pitch_px, relative_difference, with_override
from humanst.readers.raw import RawSample, ReadSettings

if TYPE_CHECKING:
    from humanst.manifest import SampleEntry

__all__ = ["Keys", "read_hest"]


class Keys(StrEnum):
    """File patterns and keys of a HEST-1k sample."""

    ST_PATTERN = "*.h5ad"
    WSI_FOLDER = "wsis"
    METADATA_FOLDER = "metadata"
    SPATIAL = "spatial"
    GENE_IDS = "gene_ids"
    PIXEL_SIZE_ESTIMATED = "pixel_size_um_estimated"
    PIXEL_SIZE_EMBEDDED = "pixel_size_um_embedded"
    SPOT_DIAMETER = "spot_diameter"
    TECHNOLOGY = "st_technology"
    INTER_SPOT_DIST = "inter_spot_dist"


AGREEMENT = 0.05
WSI_PATTERNS = ("*.tif", "*.tiff", "*.btf", "*.svs")
# Spot diameter (um) by HEST ``st_technology`` when the metadata gives none; None = pooled (pseudo_spot_um).
PLATFORM_FOOTPRINT_UM: dict[str, float | None] = {
    "visium": 55.0,
    "spatial transcriptomics": 100.0,
    "visium hd": None,
    "xenium": None,
}


def _number(value: object) -> float | None:
    if not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) and number > 0 else None


def _read_metadata(path: Path, sample_id: str) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        msg = f"cannot parse the HEST metadata JSON ({exc}); download it again"
        raise ReaderError(msg, sample_id=sample_id, path=path) from exc
    if not isinstance(data, dict):
        msg = f"the HEST metadata must be a JSON object; found {type(data).__name__}"
        raise ReaderError(msg, sample_id=sample_id, path=path)
    return data


def _pixel_size(meta: dict[str, object], meta_path: Path, sample_id: str) -> PixelSize:
    for key, words in (
        (Keys.PIXEL_SIZE_ESTIMATED, "estimated from the spot grid"),
        (Keys.PIXEL_SIZE_EMBEDDED, "embedded in the TIFF"),
    ):
        value = _number(meta.get(key))
        if value is not None:
            return PixelSize(value, f"HEST metadata {key} ({words})")
    msg = (
        f"the HEST metadata gives neither {Keys.PIXEL_SIZE_ESTIMATED} nor {Keys.PIXEL_SIZE_EMBEDDED}; "
        "set um_per_px and um_per_px_source in the manifest entry"
    )
    raise ReaderError(msg, sample_id=sample_id, path=meta_path)


def _pitch_check(meta: dict[str, object], xy_px: np.ndarray, um_per_px: float) -> list[str]:
    """Cross-check the metadata pixel size with ``inter_spot_dist`` over the measured spot pitch in pixels."""
    pitch_um = _number(meta.get(Keys.INTER_SPOT_DIST))
    if pitch_um is None or len(xy_px) < 3:
        return []
    from_pitch = pitch_um / nearest_neighbour_pitch_px(xy_px)
    diff = relative_difference(from_pitch, um_per_px)
    if diff <= AGREEMENT:
        return []
    return [
        f"metadata pixel size {um_per_px:.4g} um/px and the spot pitch ({pitch_um:g} um over the measured pitch, "
        f"{from_pitch:.4g} um/px) differ by {100 * diff:.1f} %; check the WSI, or set um_per_px in the manifest"
    ]


def _footprint(meta: dict[str, object], settings: ReadSettings, notes: list[str]) -> tuple[float, str]:
    diameter = _number(meta.get(Keys.SPOT_DIAMETER))
    if diameter is not None:
        return diameter, f"HEST metadata {Keys.SPOT_DIAMETER}"
    technology = str(meta.get(Keys.TECHNOLOGY, "")).strip().lower()
    if technology in PLATFORM_FOOTPRINT_UM:
        known = PLATFORM_FOOTPRINT_UM[technology]
        if known is not None:
            return known, f"platform default for {technology!r}"
        return settings.pseudo_spot_um, f"pseudo-spot size for pooled {technology!r}"
    notes.append(
        f"HEST metadata gives no {Keys.SPOT_DIAMETER} and an unknown {Keys.TECHNOLOGY} {technology!r}; "
        f"assumed a footprint of {settings.pseudo_spot_um:g} um"
    )
    return settings.pseudo_spot_um, "assumed (pseudo_spot_um)"


@register_reader("hest", footprint_um=None, description="HEST-1k sample (st h5ad + pyramidal WSI + metadata JSON)")
def read_hest(entry: SampleEntry, inputs: Sequence[Path], settings: ReadSettings) -> RawSample:
    """Read a HEST-1k sample: counts and centres (level-0 WSI pixels) from the h5ad, pixel size from the metadata.

    The registry footprint is None because it depends on the sample's technology; ``RawSample.footprint_um``
    holds the value used (metadata ``spot_diameter``, else the technology's spot size).

    Raises
    ------
    ReaderError
        When the h5ad, WSI or metadata is missing or unreadable, or ``obsm['spatial']`` is absent.
    """
    import anndata as ad

    sid = entry.id
    st_path = find_file(inputs, [Keys.ST_PATTERN], sample_id=sid, what="HEST spots h5ad (st/<id>.h5ad)")
    stem = st_path.name.removesuffix(".h5ad")
    wsi_path = find_file(
        inputs, WSI_PATTERNS, sample_id=sid, what="HEST whole-slide image (wsis/<id>.tif)", prefer=stem
    )
    meta_path = find_file(
        inputs, [f"{stem}.json", "*.json"], sample_id=sid, what="HEST metadata (metadata/<id>.json)", prefer=stem
    )
    image = open_image(wsi_path, sample_id=sid)
    meta = _read_metadata(meta_path, sid)
    try:
        table = ad.read_h5ad(st_path)
    except (OSError, ValueError, KeyError) as exc:
        msg = f"cannot read the HEST h5ad ({type(exc).__name__}: {exc}); download it again"
        raise ReaderError(msg, sample_id=sid, path=st_path) from exc
    if Keys.SPATIAL not in table.obsm:
        msg = "the h5ad has no obsm['spatial'] (spot centres in WSI pixels); it is not a HEST spots file"
        raise ReaderError(msg, sample_id=sid, path=st_path)
    notes: list[str] = []
    xy = np.asarray(table.obsm[Keys.SPATIAL], dtype=np.float64)[:, :2]
    finite = np.isfinite(xy).all(axis=1)
    dropped = {"no_position": int((~finite).sum())}
    if not finite.all():
        notes.append(f"{int((~finite).sum())} spot(s) without a finite position; dropped")
        table, xy = table[finite].copy(), xy[finite]
    table.X = as_count_csr(table.X)
    table.uns.pop(Keys.SPATIAL, None)  # the downscaled image copy; the WSI is the image
    measured = _pixel_size(meta, meta_path, sid)
    notes += _pitch_check(meta, xy, measured.um_per_px)
    size = with_override(measured, settings.um_per_px, settings.um_per_px_source)
    footprint, footprint_source = _footprint(meta, settings, notes)
    return RawSample(
        sample_id=sid,
        platform="hest",
        counts=table,
        xy_px=xy,
        image=image,
        um_per_px=size.um_per_px,
        um_per_px_source=size.source,
        footprint_um=footprint,
        warnings=notes,
        dropped=dropped,
        metadata={
            "reader": "humanst.readers.hest",
            "anndata": package_version("anndata"),
            "files": {"st": str(st_path), "wsi": str(wsi_path), "metadata": str(meta_path)},
            "footprint_source": footprint_source,
            "hest_metadata": json.dumps(meta, default=str),  # JSON text: values may be null
            "um_per_px_measured": measured.um_per_px,
        },
    )
