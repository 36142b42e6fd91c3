"""The fused kernels against a plain dense numpy reference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from humanst.pathways.kernels import ScoreWeights, gene_statistics, set_scores
from humanst.pathways.matching import GeneMap


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(0)
    dense = rng.poisson(rng.lognormal(-1, 1.5, 60)[None, :] * rng.lognormal(0, 0.5, 40)[:, None] * 5).astype(np.int32)
    dense[3] = 0  # an empty spot
    dense[5, 7] = 500  # a count beyond the log table
    return sparse.csr_matrix(dense)


def _reference_log(counts: np.ndarray, column_to_gene: np.ndarray, n_genes: int) -> np.ndarray:
    merged = np.zeros((counts.shape[0], n_genes))
    np.add.at(merged.T, column_to_gene, counts.T.astype(float))
    totals = merged.sum(axis=1, keepdims=True)
    return np.log1p(np.divide(merged * 1e4, totals, out=np.zeros_like(merged), where=totals > 0))


@pytest.mark.parametrize("duplicated", [False, True])
def test_statistics_match_numpy(counts, duplicated):
    n_cols = counts.shape[1]
    column_to_gene = np.arange(n_cols)
    if duplicated:
        column_to_gene[[10, 20, 30]] = [0, 1, 1]  # three columns fold onto genes 0 and 1
    genes = np.unique(column_to_gene)
    column_to_gene = np.searchsorted(genes, column_to_gene)
    gene_map = GeneMap(column_to_gene, genes.size)
    sums, sums_sq, scales = gene_statistics(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], gene_map)
    reference = _reference_log(counts.toarray(), column_to_gene, genes.size)
    np.testing.assert_allclose(sums, reference.sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(sums_sq, (reference**2).sum(axis=0), rtol=1e-10)
    assert scales[3] == 0.0


@pytest.mark.parametrize("row_nnz", [1.0, 1e6], ids=["by-gene", "by-set"])
@pytest.mark.parametrize("duplicated", [False, True])
def test_scores_match_numpy_in_both_layouts(counts, row_nnz, duplicated):
    rng = np.random.default_rng(1)
    n_cols = counts.shape[1]
    column_to_gene = np.arange(n_cols)
    if duplicated:
        column_to_gene[[10, 20]] = [0, 1]
    genes = np.unique(column_to_gene)
    column_to_gene = np.searchsorted(genes, column_to_gene)
    n_genes, n_sets, n_bins = genes.size, 7, 4
    gene_map = GeneMap(column_to_gene, n_genes)
    weights = sparse.random(n_genes, n_sets, density=0.2, random_state=2, format="csr")
    scale = rng.uniform(0.5, 2.0, n_genes)
    gene_bin = rng.integers(0, n_bins, n_genes)
    per_bin = rng.normal(size=(n_bins, n_sets))
    offset = rng.normal(size=n_sets)
    packed = ScoreWeights(weights, scale, gene_bin, per_bin, mean_row_nnz=row_nnz)
    assert packed.by_set == (row_nnz > 1e3)
    _, _, scales = gene_statistics(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], gene_map)
    got = set_scores(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], gene_map, scales, packed, offset,
                     max_cells=50)  # fmt: skip
    z = _reference_log(counts.toarray(), column_to_gene, n_genes) * scale
    bins = np.stack([z[:, gene_bin == b].sum(axis=1) for b in range(n_bins)], axis=1)
    expected = z @ weights.toarray() - bins @ per_bin - offset
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_scores_of_a_row_range(counts):
    gene_map = GeneMap(np.arange(counts.shape[1]), counts.shape[1])
    weights = sparse.random(counts.shape[1], 3, density=0.3, random_state=3, format="csr")
    packed = ScoreWeights(weights, np.ones(counts.shape[1]), None, np.zeros((0, 3)), mean_row_nnz=10.0)
    _, _, scales = gene_statistics(counts.indptr, counts.indices, counts.data, 0, counts.shape[0], gene_map)
    full = set_scores(counts.indptr, counts.indices, counts.data, 0, 40, gene_map, scales, packed, np.zeros(3))
    part = set_scores(counts.indptr, counts.indices, counts.data, 10, 25, gene_map, scales[10:25], packed, np.zeros(3))
    np.testing.assert_allclose(part, full[10:25])
