from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import spatialdata_io
import tifffile
from PIL import Image

from humanst.synth import counts_checksum, read_truth


@pytest.fixture(scope="module")
def visium(tiny_layouts):
    sample, written = tiny_layouts["visium"]
    sdata = spatialdata_io.visium(
        written.data_path, dataset_id=sample.sample_id, fullres_image_file=f"{sample.sample_id}_image.tif"
    )
    return sample, written, sdata


def test_opens_with_spatialdata_io_and_round_trips_counts(visium):
    sample, written, sdata = visium
    table = sdata.tables["table"]
    truth, _ = read_truth(written.root)
    assert list(table.var_names) == list(sample.genes.genes)
    assert list(table.var["gene_ids"]) == list(sample.genes.gene_ids)
    assert table.n_obs == len(truth) == written.n_obs > 20
    truth = truth.loc[table.obs_names]
    np.testing.assert_array_equal(np.asarray(table.X.sum(axis=1)).ravel(), truth["total_counts"])
    np.testing.assert_array_equal(counts_checksum(table.X.astype(np.int64)), truth["counts_checksum"])


def test_round_trips_coordinates_and_geometry(visium):
    sample, written, sdata = visium
    table = sdata.tables["table"]
    truth, design = read_truth(written.root)
    truth = truth.loc[table.obs_names]
    px_to_um = np.asarray(design["geometry"]["px_to_um"])
    xy = np.column_stack([table.obsm["spatial"], np.ones(table.n_obs)]) @ px_to_um.T
    np.testing.assert_allclose(xy[:, :2], truth[["x_um", "y_um"]].to_numpy(), atol=sample.spec.um_per_px)
    # hexagonal array: (row + col) even, 100 um pitch between row neighbours
    assert ((table.obs["array_row"] + table.obs["array_col"]) % 2 == 0).all()
    scalefactors = json.loads((written.data_path / "spatial" / "scalefactors_json.json").read_text())
    assert scalefactors["spot_diameter_fullres"] == pytest.approx(65.0 / sample.spec.um_per_px)
    radius = sdata.shapes[sample.sample_id]["radius"].iloc[0]
    assert radius == pytest.approx(scalefactors["spot_diameter_fullres"] / 2)


def test_images_match_scalefactors(visium):
    sample, written, sdata = visium
    full = sdata.images[f"{sample.sample_id}_full_image"]["scale0"].image
    height, width = full.shape[1:]
    assert (height, width) == (
        round(sample.spec.height_um / sample.spec.um_per_px),
        round(sample.spec.width_um / sample.spec.um_per_px),
    )
    scalefactors = json.loads((written.data_path / "spatial" / "scalefactors_json.json").read_text())
    for name, key in (("hires", "tissue_hires_scalef"), ("lowres", "tissue_lowres_scalef")):
        png = Image.open(written.data_path / "spatial" / f"tissue_{name}_image.png")
        assert png.mode == "RGB"
        assert abs(png.size[0] - width * scalefactors[key]) <= 1
    # the full-resolution TIFF is a pyramid with the pixel size in its resolution tags
    with tifffile.TiffFile(written.data_path / f"{sample.sample_id}_image.tif") as tif:
        page = tif.pages[0]
        assert len(page.subifds or []) >= 1
        px_per_cm = page.tags["XResolution"].value[0] / page.tags["XResolution"].value[1]
        assert 1e4 / px_per_cm == pytest.approx(sample.spec.um_per_px)


def test_positions_file_is_headered_and_lists_all_spots(visium):
    _, written, sdata = visium
    positions = pd.read_csv(written.data_path / "spatial" / "tissue_positions.csv")
    assert list(positions.columns) == [
        "barcode",
        "in_tissue",
        "array_row",
        "array_col",
        "pxl_row_in_fullres",
        "pxl_col_in_fullres",
    ]
    assert (positions["in_tissue"] == 0).any(), "off-tissue spots are listed too, as Space Ranger does"
    assert set(sdata.tables["table"].obs_names) == set(positions.loc[positions["in_tissue"] == 1, "barcode"])
