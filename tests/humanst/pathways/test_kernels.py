"""The fused kernels against a plain dense numpy reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from humanst.pathways.context import CountsSource
from humanst.pathways.kernels import ScoreWeights, gene_statistics, set_scores
from humanst.pathways.matching import GeneIndex


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    dense = rng.poisson(rng.lognormal(-1, 1.5, 60)[None, :] * rng.lognormal(0, 0.5, 40)[:, None] * 5).astype(np.int32)
    dense[3] = 0  # an empty spot
    dense[5, 7] = 500  # a count beyond the log table
    return sparse.csr_matrix(dense)


def _reference_log(counts: np.ndarray) -> np.ndarray:
    counts = counts.astype(float)
    totals = counts.sum(axis=1, keepdims=True)
    return np.log1p(np.divide(counts * 1e4, totals, out=np.zeros_like(counts), where=totals > 0))


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.float64])
def test_statistics_match_numpy(counts, dtype):
    counts = counts.astype(dtype)
    sums, sums_sq, scales = gene_statistics(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], 60)
    reference = _reference_log(counts.toarray())
    np.testing.assert_allclose(sums, reference.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(sums_sq, (reference**2).sum(axis=0), rtol=1e-10)
    assert scales[3] == 0.0


def test_statistics_of_non_integer_values_use_the_exact_logarithm():
    counts = sparse.csr_matrix(np.array([[0.5, 2.0, 7.25], [1.0, 0.0, 3.0]]))
    sums, _, _ = gene_statistics(counts.indptr, counts.indices, counts.data, 0, 2, 3)
    np.testing.assert_allclose(sums, _reference_log(counts.toarray()).sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("row_nnz", [1.0, 1e6], ids=["by-gene", "by-set"])
def test_scores_match_numpy_in_both_layouts(counts, row_nnz):
    rng = np.random.default_rng(1)
    n_genes, n_sets, n_bins = counts.shape[1], 7, 4
    weights = sparse.random(n_genes, n_sets, density=0.2, random_state=2, format="csr")
    scale = rng.uniform(0.5, 2.0, n_genes)
    gene_bin = rng.integers(0, n_bins, n_genes)
    per_bin = rng.normal(size=(n_bins, n_sets))
    offset = rng.normal(size=n_sets)
    packed = ScoreWeights(weights, scale, gene_bin, per_bin, mean_row_nnz=row_nnz)
    assert packed.by_set == (row_nnz > 1e3)
    _, _, scales = gene_statistics(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], n_genes)
    got = set_scores(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], scales, packed, offset,
                     max_cells=50)  # fmt: skip
    z = _reference_log(counts.toarray()) * scale
    bins = np.stack([z[:, gene_bin == b].sum(axis=1) for b in range(n_bins)], axis=1)
    expected = z @ weights.toarray() - bins @ per_bin - offset
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_scores_of_a_row_range(counts):
    weights = sparse.random(counts.shape[1], 3, density=0.3, random_state=3, format="csr")
    packed = ScoreWeights(weights, np.ones(counts.shape[1]), None, np.zeros((0, 3)), mean_row_nnz=10.0)
    _, _, scales = gene_statistics(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], counts.shape[1])
    full = set_scores(counts.indptr, counts.indices, counts.data, 0, 40, scales, packed, np.zeros(3))
    part = set_scores(counts.indptr, counts.indices, counts.data, 10, 25, scales[10:25], packed, np.zeros(3))
    np.testing.assert_allclose(part, full[10:25])


def test_duplicated_genes_are_summed_per_chunk(counts):
    names = [f"G{i}" for i in range(60)]
    names[10], names[20], names[30] = "G0", "g1", "G1"  # three columns fold onto genes G0 and G1
    index = GeneIndex.from_var(pd.Index(names))
    source = CountsSource(counts, np.arange(40), index, chunk_size=15)
    merged = sparse.vstack([chunk.csr() for chunk in source.chunks()]).toarray()
    dense = counts.toarray()
    assert merged.shape == (40, 57)
    np.testing.assert_array_equal(merged[:, 0], dense[:, 0] + dense[:, 10])
    np.testing.assert_array_equal(merged[:, 1], dense[:, 1] + dense[:, 20] + dense[:, 30])
