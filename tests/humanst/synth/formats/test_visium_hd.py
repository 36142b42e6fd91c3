from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import spatialdata_io

from humanst.synth import counts_checksum, read_truth


@pytest.fixture(scope="module")
def visium_hd(tiny_layouts):
    sample, written = tiny_layouts["visium_hd"]
    sdata = spatialdata_io.visium_hd(written.data_path, dataset_id=sample.sample_id, load_segmentations_only=False)
    return sample, written, sdata


def test_opens_with_spatialdata_io_and_round_trips_8um_bins(visium_hd):
    sample, written, sdata = visium_hd
    table = sdata.tables["square_008um"]
    truth, design = read_truth(written.root)
    assert list(table.var_names) == list(sample.genes.genes)
    assert table.n_obs == len(truth) == written.n_obs > 100
    truth = truth.loc[table.obs_names]
    np.testing.assert_array_equal(counts_checksum(table.X.astype(np.int64)), truth["counts_checksum"])
    um_per_px = design["geometry"]["um_per_px"]
    np.testing.assert_allclose(table.obsm["spatial"] * um_per_px, truth[["x_um", "y_um"]].to_numpy(), atol=1e-6)
    assert f"{sample.sample_id}_full_image" in sdata.images


def test_16um_bins_are_sums_of_8um_bins(visium_hd):
    _, _, sdata = visium_hd
    fine, coarse = sdata.tables["square_008um"], sdata.tables["square_016um"]
    assert fine.X.sum() == coarse.X.sum()
    np.testing.assert_array_equal(np.asarray(fine.X.sum(axis=0)).ravel(), np.asarray(coarse.X.sum(axis=0)).ravel())


def test_scalefactors_obey_the_bin_identity(visium_hd):
    sample, written, _ = visium_hd
    for bin_um in (8, 16):
        folder = written.data_path / "binned_outputs" / f"square_{bin_um:03d}um"
        sf = json.loads((folder / "spatial" / "scalefactors_json.json").read_text())
        assert sf["bin_size_um"] == bin_um
        assert sf["bin_size_um"] / sf["spot_diameter_fullres"] == pytest.approx(sf["microns_per_pixel"])
        assert sf["microns_per_pixel"] == sample.spec.um_per_px
        positions = pd.read_parquet(folder / "spatial" / "tissue_positions.parquet")
        assert list(positions.columns) == [
            "barcode",
            "in_tissue",
            "array_row",
            "array_col",
            "pxl_row_in_fullres",
            "pxl_col_in_fullres",
        ]
        assert positions["barcode"].str.fullmatch(rf"s_{bin_um:03d}um_\d{{5}}_\d{{5}}-1").all()
