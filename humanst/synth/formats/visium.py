"""Visium (Space Ranger 2.x ``outs/``): matrix h5, headered tissue positions, scale factors, images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from humanst.synth.formats._registry import register_format
from humanst.synth.formats.images import write_pyramidal_tiff
from humanst.synth.formats.spaceranger import (
    SPOT_DIAMETER_DEFINITION_UM,
    VISIUM_PITCH_UM,
    VISIUM_SPOT_UM,
    visium_spots,
    write_scalefactors,
    write_spatial_images,
)
from humanst.synth.formats.tenx_h5 import write_10x_h5
from humanst.synth.render import PixelFrame, render_he
from humanst.synth.sample import SynthSample, WrittenSample, write_truth

__all__ = ["write_visium"]

TARGET_UMIS = 6000.0  # per 55 um spot at average capture and cellularity


@register_format("visium", footprint_um=VISIUM_SPOT_UM, description="Space Ranger 2 outs/ (55 um spots, 100 um pitch)")
def write_visium(sample: SynthSample, root: Path) -> WrittenSample:
    """Write ``root/outs/``: ``filtered_feature_bc_matrix.h5``, ``spatial/`` and ``<id>_image.tif``."""
    outs = root / "outs"
    spatial = outs / "spatial"
    spatial.mkdir(parents=True, exist_ok=True)
    um_per_px = sample.spec.um_per_px
    tissue = sample.tissue
    spots = visium_spots(sample, target_umis=TARGET_UMIS)
    frame = PixelFrame.covering(tissue, um_per_px)
    col_px, row_px = frame.to_px(spots.grid["x_um"], spots.grid["y_um"])
    positions = pd.DataFrame(
        {
            "barcode": spots.barcodes,
            "in_tissue": spots.in_tissue.astype(int),
            "array_row": spots.grid["array_row"],
            "array_col": spots.grid["array_col"],
            "pxl_row_in_fullres": np.round(row_px).astype(int),
            "pxl_col_in_fullres": np.round(col_px).astype(int),
        }
    )
    positions.to_csv(spatial / "tissue_positions.csv", index=False)
    counts = spots.counts
    h5 = write_10x_h5(
        outs / "filtered_feature_bc_matrix.h5",
        counts,
        spots.kept_barcodes,
        sample.genes.gene_ids,
        sample.genes.genes,
        attrs={"chemistry_description": "Visium Spatial Gene Expression", "software_version": "spaceranger-2.1.0"},
    )
    image = render_he(tissue, frame)
    tif = write_pyramidal_tiff(root / "outs" / f"{sample.sample_id}_image.tif", image, um_per_px=um_per_px)
    scalefs = write_spatial_images(spatial, image)
    sf = write_scalefactors(
        spatial / "scalefactors_json.json",
        spot_diameter_fullres=SPOT_DIAMETER_DEFINITION_UM / um_per_px,
        scalefs=scalefs,
    )
    truth_files = write_truth(
        sample,
        root,
        spots.kept_barcodes,
        spots.truth,
        counts,
        geometry={
            "um_per_px": um_per_px,
            "px_to_um": frame.matrix().tolist(),
            "image": tif.name,
            "pitch_um": VISIUM_PITCH_UM,
        },
    )
    files = [
        h5,
        spatial / "tissue_positions.csv",
        sf,
        spatial / "tissue_hires_image.png",
        spatial / "tissue_lowres_image.png",
        tif,
        *truth_files,
    ]
    return WrittenSample(sample.sample_id, "visium", root, outs, files, counts.shape[0], counts.shape[1], um_per_px)
