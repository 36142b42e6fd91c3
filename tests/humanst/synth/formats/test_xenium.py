from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import spatialdata_io
from hypothesis import given
from hypothesis import strategies as st
from spatialdata.transformations import get_transformation

from humanst.synth import counts_checksum, read_truth
from humanst.synth.formats.xenium import MORPHOLOGY_UM_PER_PX, cell_id_strings


@pytest.fixture(scope="module")
def xenium(tiny_layouts):
    sample, written = tiny_layouts["xenium"]
    sdata = spatialdata_io.xenium(written.data_path, cells_as_circles=True, cells_labels=False, nucleus_labels=False)
    return sample, written, sdata


def test_cell_id_encoding_matches_10x():
    assert cell_id_strings(np.array([0, 1, 0xFFFFFFFF], dtype=np.uint32)) == ["aaaaaaaa-1", "aaaaaaab-1", "pppppppp-1"]


def test_opens_with_spatialdata_io_and_round_trips_cells(xenium):
    sample, written, sdata = xenium
    table = sdata.tables["table"]
    truth, _ = read_truth(written.root)
    assert table.n_obs == len(truth) == written.n_obs > 50
    assert table.n_vars == sample.spec.panel_size, "control probes and codewords are dropped by gex_only"
    assert not table.var_names.str.startswith(("NegControl", "BLANK")).any()
    assert set(table.var_names) <= set(sample.genes.genes)
    truth = truth.loc[table.obs["cell_id"].astype(str)]
    np.testing.assert_array_equal(counts_checksum(table.X.astype(np.int64)), truth["counts_checksum"])
    np.testing.assert_allclose(table.obsm["spatial"], truth[["x_um", "y_um"]].to_numpy(), atol=1e-4)


def test_transcripts_agree_with_the_cell_matrix(xenium):
    _, written, sdata = xenium
    table = sdata.tables["table"]
    transcripts = pd.read_parquet(written.data_path / "transcripts.parquet")
    assert {"x_location", "y_location", "z_location", "feature_name", "cell_id"} <= set(transcripts.columns)
    per_cell = transcripts.groupby("cell_id").size()
    totals = pd.Series(np.asarray(table.X.sum(axis=1)).ravel(), index=table.obs["cell_id"].astype(str).to_numpy())
    pd.testing.assert_series_equal(
        per_cell.reindex(totals.index).fillna(0).astype(int), totals.astype(int), check_names=False
    )
    assert "transcripts" in sdata.points


def test_he_alignment_maps_he_pixels_onto_morphology_pixels(xenium):
    sample, written, sdata = xenium
    _, design = read_truth(written.root)
    he_px_to_um = np.asarray(design["geometry"]["he_px_to_um"])
    affine = get_transformation(sdata.images["he_image"], "global").to_affine_matrix(("x", "y"), ("x", "y"))
    probe = np.array([[10.0, 20.0, 1.0], [300.0, 50.0, 1.0]])
    expected_um = probe @ he_px_to_um.T
    np.testing.assert_allclose((probe @ affine.T)[:, :2] * MORPHOLOGY_UM_PER_PX, expected_um[:, :2], atol=1e-6)
    assert not np.allclose(affine[:2, :2], np.diag(np.diag(affine[:2, :2]))), "the H&E is rotated, as in practice"
    focus = sdata.images["morphology_focus"]["scale0"].image
    assert focus.shape[-1] == pytest.approx(sample.spec.width_um / MORPHOLOGY_UM_PER_PX, abs=1)


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=50, unique=True))
def test_cell_ids_decode_back_to_their_prefix(prefixes):
    ids = cell_id_strings(np.array(prefixes, dtype=np.uint32))
    decoded = [int("".join("%x" % (ord(ch) - ord("a")) for ch in cid.split("-")[0]), 16) for cid in ids]
    assert decoded == prefixes
    assert all(len(cid) == 10 and cid.endswith("-1") for cid in ids)
