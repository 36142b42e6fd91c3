"""Xenium bundle via ``spatialdata_io.xenium``; cells pooled on a micron grid and put on the H&E (FORMATS 3, 4)."""

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
from humanst.readers._inputs import as_count_csr, find_file, find_optional_file, staged
from humanst.readers._registry import register_reader
from humanst.readers.pixel_size import PixelSize, alignment_um_per_px, apply_affine, with_override
from humanst.readers.raw import RawSample, ReadSettings

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.manifest import SampleEntry

__all__ = ["CONTROL_PREFIXES", "Keys", "read_xenium"]

CONTROL_PREFIXES = ("NegControl", "BLANK", "Unassigned", "Deprecated", "Intergenic", "antisense")
ANISOTROPY_LIMIT = 0.02


class Keys(StrEnum):
    """File names, patterns and keys of a Xenium Onboard Analysis bundle."""

    EXPERIMENT = "experiment.xenium"
    CELLS_ZARR = "cells.zarr.zip"
    MATRIX = "cell_feature_matrix.h5"
    CELLS = "cells.parquet"
    HE_PATTERN = "*he_image*.tif"
    HE_OME_PATTERN = "*he_image.ome.tif"
    ALIGNMENT_PATTERN = "*alignment.csv"
    PIXEL_SIZE = "pixel_size"
    TABLE = "table"
    FEATURE_TYPES = "feature_types"
    FEATURE_TYPE = "feature_type"
    GENE_EXPRESSION = "Gene Expression"


def _read_table(root: Path) -> AnnData:
    import spatialdata_io

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sdata = spatialdata_io.xenium(
            root,
            cells_as_circles=True,
            cells_boundaries=False,
            nucleus_boundaries=False,
            cells_labels=False,
            nucleus_labels=False,
            transcripts=False,
            morphology_mip=False,
            morphology_focus=False,
            aligned_images=False,
            gex_only=False,
        )
    return sdata.tables[Keys.TABLE]


def _morphology_um_per_px(path: Path, sample_id: str) -> float:
    try:
        value = float(json.loads(path.read_text())[Keys.PIXEL_SIZE])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"cannot read '{Keys.PIXEL_SIZE}' (um per morphology pixel) from {Keys.EXPERIMENT} ({exc})"
        raise ReaderError(msg, sample_id=sample_id, path=path) from exc
    if not value > 0:
        msg = f"'{Keys.PIXEL_SIZE}' in {Keys.EXPERIMENT} must be positive; found {value}"
        raise ReaderError(msg, sample_id=sample_id, path=path)
    return value


def _alignment(path: Path | None, sample_id: str, notes: list[str]) -> np.ndarray:
    """Return the 3x3 matrix mapping H&E pixels (x, y) to morphology pixels; identity (with a warning) without a CSV."""
    if path is None:
        notes.append(
            "no H&E alignment CSV (*he_imagealignment.csv) found; assumed the H&E is already registered to the "
            "morphology pixel grid (identity). Add the alignment file exported by Xenium Explorer if it is not."
        )
        return np.eye(3)
    try:
        matrix = np.loadtxt(path, delimiter=",", dtype=np.float64)
    except (OSError, ValueError) as exc:
        msg = f"cannot parse the alignment CSV ({exc}); expected 3 lines of 3 comma-separated numbers"
        raise ReaderError(msg, sample_id=sample_id, path=path) from exc
    if matrix.shape != (3, 3) or abs(np.linalg.det(matrix[:2, :2])) < 1e-12:
        msg = f"the alignment must be an invertible 3x3 matrix; found shape {matrix.shape}"
        raise ReaderError(msg, sample_id=sample_id, path=path)
    return matrix


@register_reader("xenium", footprint_um=None, description="10x Xenium cells via spatialdata_io, pooled on um grid")
def read_xenium(entry: SampleEntry, inputs: Sequence[Path], settings: ReadSettings) -> RawSample:
    """Read Xenium cells, pool them into ``pseudo_spot_um`` pseudo-spots and place them on the aligned H&E.

    Control features (negative-control probes and codewords, BLANK/unassigned codewords) are **kept**, with
    ``var['feature_type']``, for the harmonise step to drop; their number is in ``metadata['n_control_features']``.

    Raises
    ------
    ReaderError
        When a bundle file or the H&E image is missing or unreadable, or the alignment CSV is malformed.
    """
    from humanst.harmonise.pseudo_spots import pool_anndata

    sid = entry.id
    files = {
        key: find_file(inputs, [key], sample_id=sid, what=f"Xenium bundle file {key}")
        for key in (Keys.EXPERIMENT, Keys.CELLS_ZARR, Keys.MATRIX, Keys.CELLS)
    }
    he_path = find_file(
        inputs, [Keys.HE_OME_PATTERN, Keys.HE_PATTERN], sample_id=sid, what="Xenium post-run H&E (*he_image.ome.tif)"
    )
    image = open_image(he_path, sample_id=sid)
    notes: list[str] = []
    stem = he_path.name.lower().removesuffix(".ome.tif").removesuffix(".tif")
    align_path = find_optional_file(
        inputs, [Keys.ALIGNMENT_PATTERN], sample_id=sid, what="H&E alignment CSV", prefer=stem
    )
    he_to_morph = _alignment(align_path, sid, notes)
    morph_um = _morphology_um_per_px(files[Keys.EXPERIMENT], sid)
    with staged({str(k): v for k, v in files.items()}) as root:
        try:
            table = _read_table(root)
        except (KeyError, ValueError, OSError, AssertionError) as exc:
            msg = f"spatialdata_io.xenium failed ({type(exc).__name__}: {exc}); check the bundle is complete"
            raise ReaderError(msg, sample_id=sid, path=files[Keys.MATRIX]) from exc
    table.X = as_count_csr(table.X)
    types = table.var[Keys.FEATURE_TYPES].astype(str).to_numpy() if Keys.FEATURE_TYPES in table.var else None
    if types is None:
        types = np.where(table.var_names.str.startswith(CONTROL_PREFIXES), "Control", str(Keys.GENE_EXPRESSION))
    table.var[str(Keys.FEATURE_TYPE)] = types
    n_control = int((types != Keys.GENE_EXPRESSION).sum())

    linear = he_to_morph[:2, :2]
    singular = np.linalg.svd(linear, compute_uv=False)
    if singular[0] / singular[1] - 1 > ANISOTROPY_LIMIT:
        notes.append(f"the H&E alignment scales x and y differently ({singular[0]:.4g} vs {singular[1]:.4g})")
    measured = PixelSize(
        alignment_um_per_px(he_to_morph, morph_um),
        f"Xenium H&E alignment matrix scale x morphology pixel_size {morph_um:g} um ({Keys.EXPERIMENT})",
    )
    size = with_override(measured, settings.um_per_px, settings.um_per_px_source)
    cells_um = np.asarray(table.obsm["spatial"], dtype=np.float64)
    pooled, spots = pool_anndata(table, cells_um, settings.pseudo_spot_um, member_name="n_cells")
    morph_to_he = np.linalg.inv(he_to_morph)
    xy_px = apply_affine(morph_to_he, spots.centres_um / morph_um)
    return RawSample(
        sample_id=sid,
        platform="xenium",
        counts=pooled,
        xy_px=xy_px,
        image=image,
        um_per_px=size.um_per_px,
        um_per_px_source=size.source,
        footprint_um=settings.pseudo_spot_um,
        warnings=notes,
        metadata={
            "reader": f"spatialdata_io.xenium {package_version('spatialdata-io')}",
            "files": {
                **{str(k): str(v) for k, v in files.items()},
                "he_image": str(he_path),
                "alignment": str(align_path or ""),
            },
            "n_cells": int(table.n_obs),
            "n_control_features": n_control,
            "controls": "kept (var['feature_type'] != 'Gene Expression'); dropped by the harmonise step",
            "morphology_um_per_px": morph_um,
            "he_to_morphology_px": he_to_morph.tolist(),
            "pooling": f"sum of cells per {settings.pseudo_spot_um:g} um square grid cell; centre = cell centre",
            "um_per_px_measured": measured.um_per_px,
        },
    )
