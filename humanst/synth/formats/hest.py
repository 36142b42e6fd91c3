"""HEST-1k sample: ``st/<id>.h5ad``, pyramidal ``wsis/<id>.tif`` and ``metadata/<id>.json`` (Visium-derived)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from humanst.synth.formats._registry import register_format
from humanst.synth.formats.images import downscale, write_pyramidal_tiff
from humanst.synth.formats.spaceranger import VISIUM_PITCH_UM, VISIUM_SPOT_UM, visium_spots
from humanst.synth.render import PixelFrame, render_he
from humanst.synth.sample import SynthSample, WrittenSample, write_truth

__all__ = ["write_hest"]

TARGET_UMIS = 6000.0
DOWNSCALED_PX = 1000


@register_format(
    "hest", footprint_um=VISIUM_SPOT_UM, description="HEST-1k sample (Visium): h5ad + pyramidal WSI + JSON"
)
def write_hest(sample: SynthSample, root: Path) -> WrittenSample:
    """Write the three HEST files of one sample under ``root``."""
    import anndata as ad  # imported here: anndata pulls in dask, which `import humanst.synth` must not

    tissue, um_per_px = sample.tissue, sample.spec.um_per_px
    spots = visium_spots(sample, target_umis=TARGET_UMIS)
    keep, counts, barcodes = spots.keep, spots.counts, spots.kept_barcodes
    grid = spots.grid
    frame = PixelFrame.covering(tissue, um_per_px)
    col_px, row_px = frame.to_px(grid["x_um"][keep], grid["y_um"][keep])
    image = render_he(tissue, frame)
    scalef = min(1.0, DOWNSCALED_PX / max(image.shape[:2]))
    obs = pd.DataFrame(
        {
            "in_tissue": 1,
            "array_row": grid["array_row"][keep],
            "array_col": grid["array_col"][keep],
            "pxl_col_in_fullres": col_px,
            "pxl_row_in_fullres": row_px,
        },
        index=pd.Index(barcodes),
    )
    adata = ad.AnnData(X=counts.astype(np.float32), obs=obs, var=pd.DataFrame(index=pd.Index(sample.genes.genes)))
    adata.var["gene_ids"] = list(sample.genes.gene_ids)
    adata.obsm["spatial"] = np.column_stack([col_px, row_px])
    adata.uns["spatial"] = {
        "ST": {
            "images": {"downscaled_fullres": downscale(image, scalef)},
            "scalefactors": {
                "tissue_downscaled_fullres_scalef": scalef,
                "spot_diameter_fullres": VISIUM_SPOT_UM / um_per_px,
            },
        }
    }
    st_path = root / "st" / f"{sample.sample_id}.h5ad"
    st_path.parent.mkdir(parents=True, exist_ok=True)
    adata.write_h5ad(st_path)
    wsi_path = write_pyramidal_tiff(root / "wsis" / f"{sample.sample_id}.tif", image, um_per_px=um_per_px)
    meta = {
        "id": sample.sample_id,
        "dataset_title": "humanst synthetic demo",
        "image_filename": wsi_path.name,
        "organ": "Breast",
        "tissue": "synthetic",
        "disease_state": "Cancer",
        "disease_comment": "synthetic",
        "oncotree_code": "IDC",
        "species": "Homo sapiens",
        "patient": sample.sample_id,
        "st_technology": "Visium",
        "preservation_method": "FFPE",
        "treatment_comment": "",
        "subseries": "",
        "data_publication_date": "2026-11-29",
        "license": "CC BY 4.0",
        "study_link": "",
        "download_page_link1": "",
        "nb_genes": counts.shape[1],
        "spots_under_tissue": counts.shape[0],
        "inter_spot_dist": VISIUM_PITCH_UM,
        "spot_diameter": VISIUM_SPOT_UM,
        "pixel_size_um_embedded": um_per_px,
        "pixel_size_um_estimated": um_per_px,
        "magnification": "20x",
        "fullres_px_width": image.shape[1],
        "fullres_px_height": image.shape[0],
        "hest_version_added": "synthetic",
    }
    meta_path = root / "metadata" / f"{sample.sample_id}.json"
    meta_path.parent.mkdir(parents=True, exist_ok=True)
    meta_path.write_text(json.dumps(meta, indent=2))
    files = [st_path, wsi_path, meta_path]
    files += write_truth(
        sample,
        root,
        barcodes,
        spots.truth,
        counts,
        geometry={"um_per_px": um_per_px, "px_to_um": frame.matrix().tolist(), "pitch_um": VISIUM_PITCH_UM},
    )
    return WrittenSample(sample.sample_id, "hest", root, root, files, counts.shape[0], counts.shape[1], um_per_px)
