"""Fused numba kernels over CSR counts: per-gene log1p(CP10k) statistics, and set scores, one pass each.

Both kernels compute ``log1p(count * 1e4 / total)`` on the fly (small integer counts come from a per-spot
table of logarithms; columns of duplicated genes are summed first), so nothing of size spots x genes is
ever materialised; rows are split in blocks across threads, each block owning its buffers and
accumulators. numba is a dependency for exactly this: the per-spot pass over a 1.8M-spot atlas must run
at a few nanoseconds per non-zero, which scipy's generic sparse products (a symbolic pass, an output
matrix, a densification) and per-element logarithms do not reach.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy import sparse

from humanst.pathways.matching import GeneMap

__all__ = ["gene_statistics", "set_scores"]

TARGET_SUM = 1e4
TABLE_SIZE = 64  # counts below this take log1p(count * scale) from a per-spot table


@numba.njit(cache=True, inline="always")
def _fill_table(scale, table):
    for k in range(TABLE_SIZE):
        table[k] = np.log1p(k * scale)


@numba.njit(cache=True, inline="always")
def _log_value(count, scale, table):
    k = int(count)
    if k == count and k < TABLE_SIZE:
        return table[k]
    return np.log1p(count * scale)


@numba.njit(cache=True, inline="always")
def _stash(gene, count, buf, touched, n_touched):
    """Add a duplicated gene's count to ``buf`` (summed before the log); return the touched-gene count."""
    if buf[gene] == 0.0:
        touched[n_touched] = gene
        n_touched += 1
    buf[gene] += count
    return n_touched


@numba.njit(parallel=True, cache=True)
def _statistics(indptr, indices, data, row_start, row_end, col_map, is_dup, any_dup, n_genes, n_blocks, scales):
    sums = np.zeros((n_blocks, 2 * n_genes))  # sum and sum of squares side by side: one cache line per gene
    n_rows = row_end - row_start
    for block in numba.prange(n_blocks):
        table = np.empty(TABLE_SIZE)
        buf = np.zeros(n_genes if any_dup else 1)
        touched = np.empty(n_genes if any_dup else 1, dtype=np.int64)
        for row in range(row_start + block * n_rows // n_blocks, row_start + (block + 1) * n_rows // n_blocks):
            total = 0.0
            for j in range(indptr[row], indptr[row + 1]):
                total += data[j]
            scale = TARGET_SUM / total if total > 0.0 else 0.0
            scales[row - row_start] = scale
            if scale == 0.0:
                continue
            _fill_table(scale, table)
            n_touched = 0
            for j in range(indptr[row], indptr[row + 1]):
                col = indices[j]
                if any_dup and is_dup[col]:
                    n_touched = _stash(col_map[col], data[j], buf, touched, n_touched)
                    continue
                value = _log_value(data[j], scale, table)
                slot = 2 * (col_map[col] if any_dup else col)
                sums[block, slot] += value
                sums[block, slot + 1] += value * value
            for t in range(n_touched):
                gene = touched[t]
                value = np.log1p(buf[gene] * scale)
                buf[gene] = 0.0
                sums[block, 2 * gene] += value
                sums[block, 2 * gene + 1] += value * value
    total = sums.sum(axis=0)
    return total[0::2].copy(), total[1::2].copy()


@numba.njit(cache=True, inline="always")
def _apply(gene, value, by_set, bin_of, w_indptr, w_idx, w_vals, dense, row_acc, row_bins):
    row_bins[bin_of[gene]] += value
    if by_set:
        dense[gene] = value
    else:
        for w in range(w_indptr[gene], w_indptr[gene + 1]):
            row_acc[w_idx[w]] += w_vals[w] * value


@numba.njit(parallel=True, cache=True)
def _scores(
    indptr,
    indices,
    data,
    row_start,
    row_end,
    col_map,
    is_dup,
    any_dup,
    n_blocks,
    scales,
    gene_scale,
    bin_of,
    by_set,
    w_indptr,
    w_idx,
    w_vals,
    acc,
    bins,
):
    """Member sums ``acc[i, k] = sum_g w_gk s_g L_ig`` and bin sums ``bins[i, b] = sum_{g in b} s_g L_ig``.

    ``by_set`` False: weights are CSR by gene and every non-zero scatters into the sets of its gene (cheap
    for large collections). True: weights are CSC by set; the row is scattered into a dense buffer and each
    set gathers its members (cheap for small collections).
    """
    n_genes = gene_scale.size
    n_rows = row_end - row_start
    n_sets = acc.shape[1]
    for block in numba.prange(n_blocks):
        table = np.empty(TABLE_SIZE)
        buf = np.zeros(n_genes if any_dup else 1)
        touched = np.empty(n_genes if any_dup else 1, dtype=np.int64)
        dense = np.zeros(n_genes if by_set else 1)
        row_acc = np.empty(n_sets)
        row_bins = np.empty(bins.shape[1])
        for row in range(row_start + block * n_rows // n_blocks, row_start + (block + 1) * n_rows // n_blocks):
            i = row - row_start
            row_acc[:] = 0.0
            row_bins[:] = 0.0
            scale = scales[i]
            if scale == 0.0:
                acc[i, :] = 0.0
                bins[i, :] = 0.0
                continue
            _fill_table(scale, table)
            n_touched = 0
            for j in range(indptr[row], indptr[row + 1]):
                col = indices[j]
                gene = col_map[col] if any_dup else col  # columns are genes unless some are duplicated
                if any_dup and is_dup[col]:
                    n_touched = _stash(gene, data[j], buf, touched, n_touched)
                    continue
                value = _log_value(data[j], scale, table) * gene_scale[gene]
                _apply(gene, value, by_set, bin_of, w_indptr, w_idx, w_vals, dense, row_acc, row_bins)
            for t in range(n_touched):
                gene = touched[t]
                value = np.log1p(buf[gene] * scale) * gene_scale[gene]
                buf[gene] = 0.0
                _apply(gene, value, by_set, bin_of, w_indptr, w_idx, w_vals, dense, row_acc, row_bins)
            if by_set:
                for k in range(n_sets):
                    total = 0.0
                    for w in range(w_indptr[k], w_indptr[k + 1]):
                        total += w_vals[w] * dense[w_idx[w]]
                    row_acc[k] = total
                for j in range(indptr[row], indptr[row + 1]):
                    dense[col_map[indices[j]] if any_dup else indices[j]] = 0.0
            acc[i, :] = row_acc
            bins[i, :] = row_bins


def _blocks(n_rows: int) -> int:
    return max(1, min(numba.get_num_threads() * 4, n_rows))


def gene_statistics(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row_start: int, row_end: int, gene_map: GeneMap
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-gene sum and sum of squares of log1p(CP10k) over rows ``[row_start, row_end)``, and each row's scale."""
    scales = np.empty(row_end - row_start)
    sums, sums_sq = _statistics(
        indptr, indices, data, row_start, row_end, gene_map.column_to_gene, gene_map.is_duplicated,
        bool(gene_map.is_duplicated.any()), gene_map.n_genes, _blocks(row_end - row_start), scales,
    )  # fmt: skip
    return sums, sums_sq, scales


class ScoreWeights:
    """The linear map of a score: member weights (by gene or by set), gene scales, bins and their weights."""

    def __init__(
        self, weights: sparse.spmatrix, gene_scale: np.ndarray, gene_bin: np.ndarray | None, per_bin: np.ndarray,
        *, mean_row_nnz: float,
    ) -> None:  # fmt: skip
        weights = sparse.csr_matrix(weights)
        n_genes, n_sets = weights.shape
        # Scatter by gene costs ~ nnz x (sets per gene); gathering by set costs ~ (weights per set) per row.
        self.by_set = weights.nnz < mean_row_nnz * max(weights.nnz / max(n_genes, 1), 1e-3) * 8
        layout = sparse.csc_matrix(weights) if self.by_set else weights
        self.w_indptr = layout.indptr.astype(np.int64)
        self.w_idx = layout.indices.astype(np.int64)
        self.w_vals = layout.data.astype(np.float64)
        self.gene_scale = np.ascontiguousarray(gene_scale, dtype=np.float64)
        has_bins = gene_bin is not None and per_bin.shape[0] > 0
        self.bin_of = np.asarray(gene_bin if has_bins else np.zeros(n_genes), dtype=np.int64)
        self.per_bin = np.ascontiguousarray(per_bin) if has_bins else np.zeros((1, n_sets))
        self.n_sets = n_sets


def set_scores(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row_start: int, row_end: int, gene_map: GeneMap,
    scales: np.ndarray, weights: ScoreWeights, offset: np.ndarray, *, max_cells: int = 8_000_000,
) -> np.ndarray:  # fmt: skip
    """Scores of rows ``[row_start, row_end)``: member sums - bin sums @ per-bin weights - offset (float32).

    Rows go through the kernel in batches of at most ``max_cells / n_sets`` so the float64 accumulators stay
    small whatever the collection size.
    """
    out = np.empty((row_end - row_start, weights.n_sets), dtype=np.float32)
    batch = max(1, max_cells // max(weights.n_sets, 1))
    any_dup = bool(gene_map.is_duplicated.any())
    for lo in range(row_start, row_end, batch):
        hi = min(lo + batch, row_end)
        acc = np.empty((hi - lo, weights.n_sets))
        bins = np.empty((hi - lo, weights.per_bin.shape[0]))
        _scores(
            indptr, indices, data, lo, hi, gene_map.column_to_gene, gene_map.is_duplicated, any_dup,
            _blocks(hi - lo), scales[lo - row_start : hi - row_start], weights.gene_scale, weights.bin_of,
            weights.by_set, weights.w_indptr, weights.w_idx, weights.w_vals, acc, bins,
        )  # fmt: skip
        acc -= bins @ weights.per_bin
        acc -= offset
        out[lo - row_start : hi - row_start] = acc
    return out
