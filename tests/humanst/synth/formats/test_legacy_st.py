from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy import sparse

from humanst.synth import counts_checksum, read_truth


def read_legacy_st(root, sample_id):
    """The loading recipe of legacy ST (and of HEST's ST reader): inner join of counts and selected spots."""
    counts = pd.read_csv(root / "count-matrices" / f"{sample_id}.tsv.gz", sep="\t", index_col=0)
    spots = pd.read_csv(root / "spot-selections" / f"{sample_id}_selection.tsv", sep="\t")
    spots.index = spots["x"].astype(int).astype(str) + "x" + spots["y"].astype(int).astype(str)
    spots = spots[spots["selected"] == 1]
    common = counts.index.intersection(spots.index)
    adata = ad.AnnData(X=sparse.csr_matrix(counts.loc[common].to_numpy(dtype=np.int32)), obs=spots.loc[common])
    adata.var_names = counts.columns
    adata.obsm["spatial"] = spots.loc[common, ["pixel_x", "pixel_y"]].to_numpy()
    return adata


@pytest.fixture(scope="module")
def legacy(tiny_layouts):
    sample, written = tiny_layouts["legacy_st"]
    return sample, written, read_legacy_st(written.data_path, sample.sample_id)


def test_opens_with_anndata_and_round_trips_counts(legacy):
    sample, written, adata = legacy
    truth, _ = read_truth(written.root)
    assert list(adata.var_names) == list(sample.genes.genes)
    assert adata.n_obs == written.n_obs == int(truth["selected"].sum()) >= 9
    assert len(truth) > adata.n_obs, "some count rows have no selected spot, as in the public release"
    truth = truth.loc[adata.obs_names]
    np.testing.assert_array_equal(counts_checksum(adata.X), truth["counts_checksum"])


def test_array_pitch_gives_the_pixel_size(legacy):
    sample, written, adata = legacy
    truth, design = read_truth(written.root)
    slope = np.polyfit(adata.obs["new_x"], adata.obs["pixel_x"], 1)[0]
    assert 200.0 / slope == pytest.approx(sample.spec.um_per_px, rel=1e-3)
    xy = np.column_stack([adata.obsm["spatial"], np.ones(adata.n_obs)]) @ np.asarray(design["geometry"]["px_to_um"]).T
    np.testing.assert_allclose(xy[:, :2], truth.loc[adata.obs_names, ["x_um", "y_um"]].to_numpy(), atol=0.05)
    width, height = Image.open(written.data_path / "images" / "HE" / f"{sample.sample_id}.jpg").size
    assert adata.obsm["spatial"][:, 0].max() < width
    assert adata.obsm["spatial"][:, 1].max() < height
