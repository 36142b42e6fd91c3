"""Visium HD (Space Ranger 3.x ``outs/``): 8 and 16 um ``binned_outputs``, feature slice, images."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
from scipy import sparse

from humanst.synth.expression import Footprint, simulate_counts
from humanst.synth.formats._registry import register_format
from humanst.synth.formats.images import write_pyramidal_tiff
from humanst.synth.formats.spaceranger import write_scalefactors, write_spatial_images
from humanst.synth.formats.tenx_h5 import write_10x_h5
from humanst.synth.render import PixelFrame, render_he
from humanst.synth.sample import SynthSample, WrittenSample, write_truth

__all__ = ["write_visium_hd"]

BIN_UM = 8
COARSE_FACTOR = 2  # square_016um = 2 x 2 blocks of 8 um bins
TARGET_UMIS = 160.0  # per 8 um bin at average capture and cellularity


def _bin_barcode(bin_um: int, row: int, col: int) -> str:
    return f"s_{bin_um:03d}um_{row:05d}_{col:05d}-1"


def _write_bin_level(
    outs: Path,
    bin_um: int,
    rows: np.ndarray,
    cols: np.ndarray,
    in_tissue: np.ndarray,
    counts: sparse.csr_matrix,
    frame: PixelFrame,
    scalefs: dict[str, float],
    genes: tuple[tuple[str, ...], tuple[str, ...]],
) -> list[Path]:
    folder = outs / "binned_outputs" / f"square_{bin_um:03d}um"
    (folder / "spatial").mkdir(parents=True, exist_ok=True)
    barcodes = [_bin_barcode(bin_um, r, c) for r, c in zip(rows, cols, strict=True)]
    col_px, row_px = frame.to_px((cols + 0.5) * bin_um, (rows + 0.5) * bin_um)
    positions = pd.DataFrame(
        {
            "barcode": barcodes,
            "in_tissue": in_tissue.astype(np.int32),
            "array_row": rows.astype(np.int32),
            "array_col": cols.astype(np.int32),
            "pxl_row_in_fullres": row_px,
            "pxl_col_in_fullres": col_px,
        }
    )
    parquet = folder / "spatial" / "tissue_positions.parquet"
    positions.to_parquet(parquet, index=False)
    keep = np.flatnonzero(in_tissue)
    h5 = write_10x_h5(
        folder / "filtered_feature_bc_matrix.h5",
        counts,
        [barcodes[i] for i in keep],
        genes[0],
        genes[1],
        attrs={"chemistry_description": "Visium HD v1", "software_version": "spaceranger-3.0.1"},
    )
    sf = write_scalefactors(
        folder / "spatial" / "scalefactors_json.json",
        spot_diameter_fullres=bin_um / frame.um_per_px,
        scalefs=scalefs,
        bin_size_um=float(bin_um),
        microns_per_pixel=frame.um_per_px,
    )
    return [parquet, h5, sf]


@register_format("visium_hd", footprint_um=BIN_UM, description="Space Ranger 3 outs/ with 8 and 16 um square bins")
def write_visium_hd(sample: SynthSample, root: Path) -> WrittenSample:
    """Write ``root/outs/`` with ``<id>_feature_slice.h5``, bins, ``spatial/`` images and ``<id>_tissue_image.tif``."""
    outs = root / "outs"
    outs.mkdir(parents=True, exist_ok=True)
    tissue, um_per_px = sample.tissue, sample.spec.um_per_px
    frame = PixelFrame.covering(tissue, um_per_px)
    n_rows, n_cols = (
        int(tissue.height_um // (BIN_UM * COARSE_FACTOR)) * COARSE_FACTOR,
        int(tissue.width_um // (BIN_UM * COARSE_FACTOR)) * COARSE_FACTOR,
    )
    rows, cols = (a.ravel() for a in np.mgrid[0:n_rows, 0:n_cols])
    x_um, y_um = (cols + 0.5) * BIN_UM, (rows + 0.5) * BIN_UM
    in_tissue = tissue.sample(tissue.tissue, x_um, y_um) > 0.5
    keep = np.flatnonzero(in_tissue)
    counts, truth = simulate_counts(
        tissue,
        sample.genes,
        x_um[keep],
        y_um[keep],
        Footprint("square", BIN_UM / 2),
        target_umis=TARGET_UMIS * sample.spec.depth,
        seed=sample.spec.seed,
    )
    image = render_he(tissue, frame)
    spatial = outs / "spatial"
    scalefs = write_spatial_images(spatial, image, hires_px=6000)
    genes = (sample.genes.gene_ids, sample.genes.genes)
    files = _write_bin_level(outs, BIN_UM, rows, cols, in_tissue, counts, frame, scalefs, genes)

    # 16 um bins: sums of 2 x 2 blocks of 8 um bins, as Space Ranger aggregates them.
    coarse = (rows[keep] // COARSE_FACTOR) * (n_cols // COARSE_FACTOR) + cols[keep] // COARSE_FACTOR
    n_coarse = (n_rows // COARSE_FACTOR) * (n_cols // COARSE_FACTOR)
    pool = sparse.csr_matrix((np.ones(keep.size), (coarse, np.arange(keep.size))), shape=(n_coarse, keep.size))
    coarse_counts = sparse.csr_matrix(pool @ counts, dtype=np.int32)
    c_rows, c_cols = (a.ravel() for a in np.mgrid[0 : n_rows // COARSE_FACTOR, 0 : n_cols // COARSE_FACTOR])
    c_in = np.asarray(pool.sum(axis=1)).ravel() > 0
    files += _write_bin_level(
        outs, BIN_UM * COARSE_FACTOR, c_rows, c_cols, c_in, coarse_counts[np.flatnonzero(c_in)], frame, scalefs, genes
    )

    slice_path = outs / f"{sample.sample_id}_feature_slice.h5"
    with h5py.File(slice_path, "w") as h5:
        h5.attrs["metadata_json"] = json.dumps(
            {"hd_layout_json": json.dumps({"file_format": "1.0"}), "software_version": "spaceranger-3.0.1"}
        )
    tif = write_pyramidal_tiff(outs / f"{sample.sample_id}_tissue_image.tif", image, um_per_px=um_per_px)
    files += [slice_path, tif, spatial / "tissue_hires_image.png", spatial / "tissue_lowres_image.png"]
    barcodes = [_bin_barcode(BIN_UM, rows[i], cols[i]) for i in keep]
    files += write_truth(
        sample,
        root,
        barcodes,
        truth,
        counts,
        geometry={"um_per_px": um_per_px, "px_to_um": frame.matrix().tolist(), "image": tif.name, "bin_um": BIN_UM},
    )
    return WrittenSample(sample.sample_id, "visium_hd", root, outs, files, counts.shape[0], counts.shape[1], um_per_px)
