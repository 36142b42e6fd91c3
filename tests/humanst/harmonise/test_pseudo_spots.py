from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from humanst.harmonise.pseudo_spots import pool_anndata, pool_to_grid, pseudo_spot_ids


@pytest.fixture(scope="module")
def bins():
    rng = np.random.default_rng(7)
    xy = rng.uniform(0, 300, size=(500, 2))
    counts = sparse.random(500, 30, density=0.2, format="csr", random_state=3, dtype=np.float64)
    counts.data = np.ceil(counts.data * 10)
    return xy, sparse.csr_matrix(counts, dtype=np.int32)


def test_pooling_sums_counts_per_grid_square(bins):
    xy, counts = bins
    spots = pool_to_grid(counts, xy, 55.0)
    assert spots.counts.dtype == np.int32
    assert spots.counts.sum() == counts.sum()
    np.testing.assert_array_equal(np.asarray(spots.counts.sum(axis=0)), np.asarray(counts.sum(axis=0)))
    for row in range(len(spots.ids)):
        members = np.flatnonzero(spots.member_of == row)
        assert len(members) == spots.n_members[row]
        np.testing.assert_array_equal(spots.counts[row].toarray(), counts[members].sum(axis=0))
        lo = spots.grid_col_row[row] * 55.0
        assert ((xy[members] >= lo) & (xy[members] < lo + 55.0)).all()


def test_centres_are_square_centres_on_a_lattice_of_the_side(bins):
    xy, counts = bins
    spots = pool_to_grid(counts, xy, 40.0)
    np.testing.assert_allclose(spots.centres_um, (spots.grid_col_row + 0.5) * 40.0)
    assert len(np.unique(spots.grid_col_row, axis=0)) == len(spots.ids)
    assert spots.ids[0].startswith("ps_c")
    assert len(set(spots.ids)) == len(spots.ids)


def test_negative_coordinates_get_their_own_squares():
    xy = np.array([[-1.0, -1.0], [1.0, 1.0], [54.9, 0.0], [55.0, 0.0]])
    spots = pool_to_grid(np.eye(4, dtype=np.int64), xy, 55.0)
    assert pseudo_spot_ids(spots.grid_col_row) == ["ps_c-1_r-1", "ps_c0_r0", "ps_c1_r0"]
    assert spots.n_members.tolist() == [1, 2, 1]


@pytest.mark.parametrize(
    ("side", "xy", "match"),
    [
        (0.0, np.zeros((2, 2)), "positive"),
        (10.0, np.zeros((3, 2)), "expected"),
        (10.0, np.array([[0.0, np.nan], [1.0, 1.0]]), "not finite"),
    ],
)
def test_bad_input_is_rejected(side, xy, match):
    with pytest.raises(ValueError, match=match):
        pool_to_grid(np.ones((2, 3)), xy, side)


def test_pool_anndata_keeps_var_and_reports_members(bins):
    xy, counts = bins
    table = ad.AnnData(
        counts, var=pd.DataFrame({"feature_type": ["Gene Expression"] * 30}, index=[f"G{i}" for i in range(30)])
    )
    pooled, spots = pool_anndata(table, xy, 100.0, member_name="n_bins")
    assert pooled.n_vars == 30
    assert (pooled.var["feature_type"] == "Gene Expression").all()
    assert pooled.obs["n_bins"].sum() == 500
    np.testing.assert_allclose(pooled.obs[["x_um", "y_um"]].to_numpy(), spots.centres_um)
    assert list(pooled.obs_names) == spots.ids
