"""Spot QC: raw counts checked, low-count and off-image spots dropped and counted by reason."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from humanst.errors import SampleError
from humanst.harmonise.qc import check_counts, spot_filter


def test_counts_become_csr_int32_without_explicit_zeros():
    x = sparse.csr_matrix(np.array([[0.0, 2.0], [3.0, 0.0]]))
    x.data = np.append(x.data, 0.0)[: x.nnz]  # keep shape; eliminate_zeros must leave no explicit zero
    out = check_counts(x, sample_id="s")
    assert out.dtype == np.int32
    assert out.format == "csr"
    np.testing.assert_array_equal(out.toarray(), [[0, 2], [3, 0]])


@pytest.mark.parametrize(
    ("values", "message"),
    [([1.0, np.nan], "NaN"), ([1.0, -2.0], "negative"), ([1.0, 2.5], "non-integer")],
)
def test_bad_counts_name_the_sample_and_the_cause(values, message):
    with pytest.raises(SampleError, match=rf"sample 'qc': counts matrix has 1 {message}"):
        check_counts(sparse.csr_matrix(np.array([values])), sample_id="qc")


def test_spot_filter_counts_each_reason_once():
    x = sparse.csr_matrix(np.array([[200], [50], [500], [500], [10]]))
    xy = np.array([[5.0, 5.0], [5.0, 5.0], [-1.0, 5.0], [5.0, np.nan], [20.0, 5.0]])
    keep, report = spot_filter(x, xy, (10, 10), min_counts=100)
    np.testing.assert_array_equal(keep, [True, False, False, False, False])
    assert report.dropped == {"outside_image": 3, "low_counts": 1}  # the low-count spot off the image counts once
    assert report.n_kept == 1
