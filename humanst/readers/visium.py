"""Visium (Space Ranger 1.x/2.x ``outs/``) through ``spatialdata_io.visium`` (FORMATS.md section 1)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from humanst.errors import ReaderError
from humanst.provenance import package_version
from humanst.readers._images import open_image
from humanst.readers._inputs import as_count_csr, find_file, staged
from humanst.readers._registry import register_reader
from humanst.readers.pixel_size import (
    PixelSize,
    fit_lattice_um_per_px,
    nearest_neighbour_pitch_px,
    relative_difference,
    with_override,
)
from humanst.readers.raw import RawSample, ReadSettings

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.manifest import SampleEntry

__all__ = ["Keys", "read_visium"]

SPOT_UM = 55.0
PITCH_UM = 100.0  # centre-to-centre; one array_col step = 50 um, one array_row step = 50 * sqrt(3) um
SPOT_DIAMETER_DEFINITION_UM = 65.0  # Space Ranger >= 1.3 defines spot_diameter_fullres for a 65 um spot
AGREEMENT = 0.05
DATASET_ID = "sample"


class Keys(StrEnum):
    """File names, patterns and columns of a Space Ranger ``outs/`` folder."""

    COUNTS_FILE = "filtered_feature_bc_matrix.h5"
    COUNTS_PATTERN = "*filtered_feature_bc_matrix.h5"
    POSITIONS_FILE = "tissue_positions.csv"
    POSITIONS_LIST_FILE = "tissue_positions_list.csv"
    POSITIONS_PATTERN = "*tissue_positions*.csv"
    SCALEFACTORS_FILE = "scalefactors_json.json"
    SCALEFACTORS_PATTERN = "*scalefactors_json.json"
    SPOT_DIAMETER = "spot_diameter_fullres"
    IN_TISSUE = "in_tissue"
    ARRAY_ROW = "array_row"
    ARRAY_COL = "array_col"
    GENE_IDS = "gene_ids"
    TABLE = "table"


IMAGE_PATTERNS = ("*.tif", "*.tiff", "*.btf", "*.jpg", "*.jpeg")
# Space Ranger's own derived pictures, never the full-resolution H&E.
NOT_FULLRES = ("*cytassist*", "aligned_tissue_image.*", "detected_tissue_image.*", "*fiducials*", "*hires*", "*lowres*")


def _read_table(root: Path, image_name: str) -> AnnData:
    import spatialdata_io

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sdata = spatialdata_io.visium(root, dataset_id=DATASET_ID, fullres_image_file=image_name)
    table = sdata.tables[Keys.TABLE]
    _restore_feature_names(table, next(root.glob("*filtered_feature_bc_matrix.h5"), None))
    return table


def _restore_feature_names(table: AnnData, h5: Path | None) -> None:
    """Put back the h5's own feature names (spatialdata-io makes duplicates unique, ``A2M-1``).

    Unique-made names would hide duplicates from the harmonisation step, which sums them.
    """
    import h5py

    if h5 is None:
        return
    with h5py.File(h5, "r") as f:
        features = f["matrix"]["features"]
        names = np.array([n.decode() for n in features["name"][:]], dtype=object)
        if "feature_type" in features:
            types = np.array([t.decode() for t in features["feature_type"][:]])
            if names.size != table.n_vars:
                names = names[types == "Gene Expression"]
    if names.size == table.n_vars:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # anndata: "Variable names are not unique" is intended here
            table.var_names = names


def visium_pixel_size(table: AnnData, scalefactors: dict[str, float], *, sample_id: str) -> tuple[PixelSize, list[str]]:
    """Pixel size from the 100 um spot lattice, cross-checked with ``65 / spot_diameter_fullres``."""
    xy = np.asarray(table.obsm["spatial"], dtype=np.float64)
    obs = table.obs
    warnings_out: list[str] = []
    if Keys.ARRAY_ROW in obs and Keys.ARRAY_COL in obs and len(xy) >= 3:
        lattice = np.column_stack(
            [
                obs[Keys.ARRAY_COL].to_numpy(float) * PITCH_UM / 2,
                obs[Keys.ARRAY_ROW].to_numpy(float) * PITCH_UM / 2 * np.sqrt(3),
            ]
        )
        fitted = fit_lattice_um_per_px(xy, lattice)
        how = f"visium spot pitch fit ({PITCH_UM:g} um lattice on array_row/array_col)"
    else:
        fitted = PITCH_UM / nearest_neighbour_pitch_px(xy)
        how = f"visium spot pitch fit ({PITCH_UM:g} um nearest-neighbour distance)"
    diameter = scalefactors.get(Keys.SPOT_DIAMETER)
    from_sf = SPOT_DIAMETER_DEFINITION_UM / float(diameter) if diameter else float("nan")
    if not np.isfinite(fitted):
        if not np.isfinite(from_sf):
            msg = "cannot measure the pixel size: too few spots and no spot_diameter_fullres in the scale factors"
            raise ReaderError(msg + "; give um_per_px and um_per_px_source in the manifest.", sample_id=sample_id)
        warnings_out.append("too few spots to fit the spot pitch; pixel size from 65 / spot_diameter_fullres")
        return PixelSize(from_sf, "scalefactors 65 um / spot_diameter_fullres (too few spots for a fit)"), warnings_out
    diff = relative_difference(from_sf, fitted)
    if not np.isfinite(from_sf):
        return PixelSize(fitted, f"{how}; no spot_diameter_fullres to cross-check"), warnings_out
    if diff > AGREEMENT:
        warnings_out.append(
            f"pixel size from the spot pitch ({fitted:.4g} um/px) and from 65 / spot_diameter_fullres "
            f"({from_sf:.4g} um/px) differ by {100 * diff:.1f} %; using the pitch fit. Check the full-resolution "
            "image is the one given to Space Ranger, or set um_per_px in the manifest."
        )
        return PixelSize(fitted, f"{how}; scalefactors cross-check DISAGREES by {100 * diff:.1f} %"), warnings_out
    return PixelSize(fitted, f"{how}; scalefactors cross-check agrees within {100 * diff:.2f} %"), warnings_out


@register_reader("visium", footprint_um=SPOT_UM, description="10x Visium Space Ranger outs/ via spatialdata_io.visium")
def read_visium(entry: SampleEntry, inputs: Sequence[Path], settings: ReadSettings) -> RawSample:
    """Read a Visium sample: in-tissue spots, counts, full-res pixel centres and the measured pixel size.

    Raises
    ------
    ReaderError
        When the matrix, positions, scale factors or full-resolution image is missing or unreadable.
    """
    sid = entry.id
    h5 = find_file(inputs, [Keys.COUNTS_PATTERN], sample_id=sid, what="Space Ranger filtered feature-barcode matrix")
    positions = find_file(inputs, [Keys.POSITIONS_PATTERN], sample_id=sid, what="Space Ranger tissue positions CSV")
    sf_path = find_file(
        inputs,
        [Keys.SCALEFACTORS_PATTERN],
        sample_id=sid,
        what=f"Space Ranger scale factors ({Keys.SCALEFACTORS_FILE})",
    )
    image_path = find_file(
        inputs, IMAGE_PATTERNS, sample_id=sid, what="full-resolution H&E image (tif/btf/jpg)", exclude=NOT_FULLRES
    )
    image = open_image(image_path, sample_id=sid)
    try:
        scalefactors = json.loads(sf_path.read_text())
    except (OSError, ValueError) as exc:
        msg = f"cannot parse the scale factors JSON ({exc}); download the file again"
        raise ReaderError(msg, sample_id=sid, path=sf_path) from exc
    pos_name = Keys.POSITIONS_LIST_FILE if "list" in positions.name else Keys.POSITIONS_FILE
    image_name = f"fullres_image{image_path.suffix.lower()}"
    layout = {
        str(Keys.COUNTS_FILE): h5,
        f"spatial/{pos_name}": positions,
        f"spatial/{Keys.SCALEFACTORS_FILE}": sf_path,
        image_name: image_path,
    }
    with staged(layout) as root:
        try:
            table = _read_table(root, image_name)
        except (KeyError, ValueError, OSError) as exc:
            msg = (
                f"spatialdata_io.visium failed ({type(exc).__name__}: {exc}); check the files are Space Ranger outputs"
            )
            raise ReaderError(msg, sample_id=sid, path=h5) from exc
    notes: list[str] = []
    xy = np.asarray(table.obsm["spatial"], dtype=np.float64)
    missing = ~np.isfinite(xy).all(axis=1)
    if missing.any():
        notes.append(
            f"{int(missing.sum())} barcode(s) of the matrix are absent from {positions.name} (no position); "
            f"dropped them and kept {int((~missing).sum())} spots. Check the positions file belongs to this matrix."
        )
    keep = ~missing
    dropped = {"no_position": int(missing.sum())}
    if Keys.IN_TISSUE in table.obs:
        in_tissue = table.obs[Keys.IN_TISSUE].to_numpy(dtype=float)
        outside = keep & (in_tissue != 1)
        if outside.any():
            notes.append(f"dropped {int(outside.sum())} spot(s) not under tissue (in_tissue = 0)")
        dropped["not_in_tissue"] = int(outside.sum())
        keep &= in_tissue == 1
    table = table[keep].copy()
    if table.n_obs == 0:
        msg = "no in-tissue spot with a position is left; check the positions file and the matrix belong together"
        raise ReaderError(msg, sample_id=sid, path=positions)
    table.X = as_count_csr(table.X)
    table.obs = table.obs.drop(columns=["region", "spot_id"], errors="ignore")
    measured, pitch_notes = visium_pixel_size(table, scalefactors, sample_id=sid)
    size = with_override(measured, settings.um_per_px, settings.um_per_px_source)
    return RawSample(
        sample_id=sid,
        platform="visium",
        counts=table,
        xy_px=np.asarray(table.obsm["spatial"], dtype=np.float64),
        image=image,
        um_per_px=size.um_per_px,
        um_per_px_source=size.source,
        footprint_um=SPOT_UM,
        warnings=notes + pitch_notes,
        dropped=dropped,
        metadata={
            "reader": f"spatialdata_io.visium {package_version('spatialdata-io')}",
            "files": {"counts": str(h5), "positions": str(positions), "scalefactors": str(sf_path)},
            "scalefactors": scalefactors,
            "um_per_px_measured": measured.um_per_px,
        },
    )
