"""Visium (Space Ranger 2.x ``outs/``): matrix h5, headered tissue positions, scale factors, images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from humanst.synth.expression import Footprint, simulate_counts
from humanst.synth.formats._registry import register_format
from humanst.synth.formats.images import write_pyramidal_tiff
from humanst.synth.formats.spaceranger import (
    SPOT_DIAMETER_DEFINITION_UM,
    VISIUM_SPOT_UM,
    hex_spot_grid,
    random_barcodes,
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
    grid = hex_spot_grid(tissue)
    in_tissue = tissue.sample(tissue.tissue, grid["x_um"], grid["y_um"]) > 0.5
    barcodes = random_barcodes(len(in_tissue), sample.rng(1))
    frame = PixelFrame.covering(tissue, um_per_px)
    col_px, row_px = frame.to_px(grid["x_um"], grid["y_um"])
    positions = pd.DataFrame(
        {
            "barcode": barcodes,
            "in_tissue": in_tissue.astype(int),
            "array_row": grid["array_row"],
            "array_col": grid["array_col"],
            "pxl_row_in_fullres": np.round(row_px).astype(int),
            "pxl_col_in_fullres": np.round(col_px).astype(int),
        }
    )
    positions.to_csv(spatial / "tissue_positions.csv", index=False)

    keep = np.flatnonzero(in_tissue)
    counts, truth = simulate_counts(
        tissue,
        sample.genes,
        grid["x_um"][keep],
        grid["y_um"][keep],
        Footprint("disc", VISIUM_SPOT_UM / 2),
        target_umis=TARGET_UMIS * sample.spec.depth,
        seed=sample.spec.seed,
    )
    kept_barcodes = [barcodes[i] for i in keep]
    h5 = write_10x_h5(
        outs / "filtered_feature_bc_matrix.h5",
        counts,
        kept_barcodes,
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
        kept_barcodes,
        truth,
        counts,
        geometry={"um_per_px": um_per_px, "px_to_um": frame.matrix().tolist(), "image": tif.name, "pitch_um": 100.0},
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
