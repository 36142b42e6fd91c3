from __future__ import annotations

import json

import anndata as ad
import numpy as np
import pytest
import tifffile
import zarr
from spatialdata_io.experimental import from_legacy_anndata

from humanst.synth import counts_checksum, read_truth

METADATA_KEYS = {
    "id",
    "dataset_title",
    "image_filename",
    "organ",
    "tissue",
    "disease_state",
    "oncotree_code",
    "species",
    "patient",
    "st_technology",
    "preservation_method",
    "license",
    "nb_genes",
    "spots_under_tissue",
    "inter_spot_dist",
    "spot_diameter",
    "pixel_size_um_embedded",
    "pixel_size_um_estimated",
    "magnification",
    "fullres_px_width",
    "fullres_px_height",
}


@pytest.fixture(scope="module")
def hest(tiny_layouts):
    sample, written = tiny_layouts["hest"]
    root = written.data_path
    adata = ad.read_h5ad(root / "st" / f"{sample.sample_id}.h5ad")
    meta = json.loads((root / "metadata" / f"{sample.sample_id}.json").read_text())
    return sample, written, adata, meta


def test_h5ad_round_trips_counts_and_coordinates(hest):
    sample, written, adata, meta = hest
    truth, _ = read_truth(written.root)
    assert list(adata.var_names) == list(sample.genes.genes)
    truth = truth.loc[adata.obs_names]
    np.testing.assert_array_equal(counts_checksum(adata.X.astype(np.int64)), truth["counts_checksum"])
    um = adata.obsm["spatial"] * meta["pixel_size_um_estimated"]
    np.testing.assert_allclose(um, truth[["x_um", "y_um"]].to_numpy(), atol=1e-6)
    scalefactors = adata.uns["spatial"]["ST"]["scalefactors"]
    assert scalefactors["spot_diameter_fullres"] == pytest.approx(
        meta["spot_diameter"] / meta["pixel_size_um_estimated"]
    )


def test_metadata_and_pyramidal_wsi_agree(hest):
    sample, written, adata, meta = hest
    assert set(meta) >= METADATA_KEYS
    assert meta["spots_under_tissue"] == adata.n_obs
    assert meta["nb_genes"] == adata.n_vars
    with tifffile.imread(written.data_path / "wsis" / f"{sample.sample_id}.tif", aszarr=True) as store:
        group = zarr.open_group(store, mode="r")
        level0 = group["0"]
        assert level0.shape == (meta["fullres_px_height"], meta["fullres_px_width"], 3)
        assert "1" in group, "the WSI is pyramidal"
    assert adata.obsm["spatial"][:, 0].max() < meta["fullres_px_width"]


def test_spatialdata_io_legacy_bridge_opens_it(hest):
    _, _, adata, _ = hest
    sdata = from_legacy_anndata(adata)
    assert "ST_downscaled_fullres" in sdata.images
    assert len(sdata.shapes["locations"]) == adata.n_obs
