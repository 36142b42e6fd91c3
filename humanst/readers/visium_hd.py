"""Visium HD (Space Ranger 3.x ``outs/``) via ``spatialdata_io.visium_hd``, bins pooled on a micron grid (FORMATS 2)."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from humanst.errors import ReaderError
from humanst.provenance import package_version
from humanst.readers._images import open_image
from humanst.readers._inputs import as_count_csr, find_file, find_files, staged
from humanst.readers._registry import register_reader
from humanst.readers.pixel_size import PixelSize, with_override
from humanst.readers.raw import RawSample, ReadSettings

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.manifest import SampleEntry

__all__ = ["Keys", "read_visium_hd"]

DATASET_ID = "sample"
PREFERRED_BIN_UM = 8


class Keys(StrEnum):
    """File names, patterns and keys of a Visium HD ``outs/`` folder."""

    FEATURE_SLICE_FILE = "feature_slice.h5"
    FEATURE_SLICE_PATTERN = "*feature_slice.h5"
    BINNED = "binned_outputs"
    COUNTS_FILE = "filtered_feature_bc_matrix.h5"
    POSITIONS_FILE = "tissue_positions.parquet"
    SCALEFACTORS_FILE = "scalefactors_json.json"
    MICRONS_PER_PIXEL = "microns_per_pixel"
    BIN_SIZE_UM = "bin_size_um"
    FEATURE_TYPES = "feature_types"
    FEATURE_TYPE = "feature_type"


BIN_FOLDER = re.compile(r"^square_(\d{3})um$")
IMAGE_PATTERNS = ("*.tif", "*.tiff", "*.btf", "*.jpg", "*.jpeg")
NOT_FULLRES = ("*cytassist*", "aligned_tissue_image.*", "detected_tissue_image.*", "*fiducials*", "*hires*", "*lowres*")


def _bin_folders(inputs: Sequence[Path], sample_id: str) -> dict[int, Path]:
    """Map bin size (um) -> bin folder holding a filtered matrix."""
    folders: dict[int, Path] = {}
    for h5 in find_files(inputs, [Keys.COUNTS_FILE]):
        match = BIN_FOLDER.match(h5.parent.name)
        if match:
            folders.setdefault(int(match.group(1)), h5.parent)
    if not folders:
        searched = ", ".join(str(p) for p in inputs)
        msg = (
            f"missing Visium HD bins: no {Keys.BINNED}/square_NNNum/{Keys.COUNTS_FILE} in {searched}. "
            "List the Space Ranger outs/ folder (or the binned_outputs folder) in the manifest entry."
        )
        raise ReaderError(msg, sample_id=sample_id, path=Path(inputs[0]) if inputs else None)
    return folders


def _bin_file(folder: Path, name: str, sample_id: str) -> Path:
    path = folder / "spatial" / name
    if not path.is_file():
        msg = f"missing {name} of bin folder {folder.name} (searched {path}); the bin folder is incomplete"
        raise ReaderError(msg, sample_id=sample_id, path=path)
    return path


def _read_table(root: Path, bin_um: int) -> AnnData:
    import spatialdata_io

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sdata = spatialdata_io.visium_hd(
            root, dataset_id=DATASET_ID, load_segmentations_only=False, bin_size=bin_um, filtered_counts_file=True
        )
    return sdata.tables[f"square_{bin_um:03d}um"]


@register_reader("visium_hd", footprint_um=None, description="10x Visium HD bins via spatialdata_io, pooled on um grid")
def read_visium_hd(entry: SampleEntry, inputs: Sequence[Path], settings: ReadSettings) -> RawSample:
    """Read the smallest (8 um) bins of a Visium HD sample and pool them into ``pseudo_spot_um`` pseudo-spots.

    Pseudo-spot centres are the grid-cell centres (see :mod:`humanst.harmonise.pseudo_spots`), in full-res pixels.

    Raises
    ------
    ReaderError
        When the feature slice, a bin file or the full-resolution image is missing or unreadable.
    """
    from humanst.harmonise.pseudo_spots import pool_anndata

    sid = entry.id
    folders = _bin_folders(inputs, sid)
    bin_um = PREFERRED_BIN_UM if PREFERRED_BIN_UM in folders else min(folders)
    folder = folders[bin_um]
    positions = _bin_file(folder, Keys.POSITIONS_FILE, sid)
    sf_path = _bin_file(folder, Keys.SCALEFACTORS_FILE, sid)
    feature_slice = find_file(
        inputs, [Keys.FEATURE_SLICE_PATTERN], sample_id=sid, what=f"Visium HD {Keys.FEATURE_SLICE_FILE}"
    )
    image_path = find_file(
        inputs, IMAGE_PATTERNS, sample_id=sid, what="full-resolution H&E image (tif/btf)", exclude=NOT_FULLRES
    )
    image = open_image(image_path, sample_id=sid)
    try:
        scalefactors = json.loads(sf_path.read_text())
        microns_per_pixel = float(scalefactors[Keys.MICRONS_PER_PIXEL])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"cannot read {Keys.MICRONS_PER_PIXEL} from the bin scale factors ({type(exc).__name__}: {exc})"
        raise ReaderError(msg, sample_id=sid, path=sf_path) from exc
    bin_dir = f"{Keys.BINNED}/square_{bin_um:03d}um"
    layout = {
        str(Keys.FEATURE_SLICE_FILE): feature_slice,
        f"{bin_dir}/{Keys.COUNTS_FILE}": folder / Keys.COUNTS_FILE,
        f"{bin_dir}/spatial/{Keys.POSITIONS_FILE}": positions,
        f"{bin_dir}/spatial/{Keys.SCALEFACTORS_FILE}": sf_path,
    }
    with staged(layout) as root:
        try:
            table = _read_table(root, bin_um)
        except (KeyError, ValueError, OSError, AssertionError, RuntimeError) as exc:
            msg = (
                f"spatialdata_io.visium_hd failed on the {bin_um} um bins ({type(exc).__name__}: {exc}); a barcode of "
                "the matrix missing from tissue_positions.parquet or inconsistent scale factors cause this"
            )
            raise ReaderError(msg, sample_id=sid, path=folder) from exc
    table.X = as_count_csr(table.X)
    if Keys.FEATURE_TYPES in table.var:
        table.var[str(Keys.FEATURE_TYPE)] = table.var[Keys.FEATURE_TYPES].astype(str).to_numpy()
    measured = PixelSize(microns_per_pixel, f"Visium HD scalefactors {Keys.MICRONS_PER_PIXEL} (square_{bin_um:03d}um)")
    size = with_override(measured, settings.um_per_px, settings.um_per_px_source)
    xy_px = np.asarray(table.obsm["spatial"], dtype=np.float64)
    pooled, spots = pool_anndata(table, xy_px * size.um_per_px, settings.pseudo_spot_um, member_name="n_bins")
    return RawSample(
        sample_id=sid,
        platform="visium_hd",
        counts=pooled,
        xy_px=spots.centres_um / size.um_per_px,
        image=image,
        um_per_px=size.um_per_px,
        um_per_px_source=size.source,
        footprint_um=settings.pseudo_spot_um,
        warnings=[],
        metadata={
            "reader": f"spatialdata_io.visium_hd {package_version('spatialdata-io')}",
            "files": {"bins": str(folder), "feature_slice": str(feature_slice), "image": str(image_path)},
            "bin_um": bin_um,
            "n_bins": int(table.n_obs),
            "pooling": f"sum of {bin_um} um bins per {settings.pseudo_spot_um:g} um square; centre = its centre",
            "scalefactors": scalefactors,
            "um_per_px_measured": measured.um_per_px,
        },
    )
