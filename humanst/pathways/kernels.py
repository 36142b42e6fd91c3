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


@numba.njit(cache=True)
def _row_duplicates(indptr, indices, data, row, col_map, is_dup, buf, touched):
    """Sum the counts of duplicated genes of a row into ``buf``; return how many genes were touched."""
    n_touched = 0
    for j in range(indptr[row], indptr[row + 1]):
        col = indices[j]
        if is_dup[col]:
            gene = col_map[col]
            if buf[gene] == 0.0:
                touched[n_touched] = gene
                n_touched += 1
            buf[gene] += data[j]
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
            for j in range(indptr[row], indptr[row + 1]):
                col = indices[j]
                if any_dup and is_dup[col]:
                    continue
                value = _log_value(data[j], scale, table)
                slot = 2 * col_map[col]
                sums[block, slot] += value
                sums[block, slot + 1] += value * value
            if any_dup:
                for t in range(_row_duplicates(indptr, indices, data, row, col_map, is_dup, buf, touched)):
                    gene = touched[t]
                    value = np.log1p(buf[gene] * scale)
                    buf[gene] = 0.0
                    sums[block, 2 * gene] += value
                    sums[block, 2 * gene + 1] += value * value
    total = sums.sum(axis=0)
    return total[0::2].copy(), total[1::2].copy()


@numba.njit(cache=True, inline="always")
def _accumulate(p, value, fparams, iparams, w_cols, w_vals, acc, bin_acc):
    # fparams[p] = (inv_sd, first weight * inv_sd); iparams[p] = (bin, first set, overflow start, overflow end).
    # Branch-free for a gene in at most one set: its first weight always lands (genes in no set land in a
    # spare slot with weight 0); further weights come from the mostly empty overflow rows.
    scaled = value * fparams[p, 0]
    bin_acc[iparams[p, 0]] += scaled
    acc[iparams[p, 1]] += value * fparams[p, 1]
    for w in range(iparams[p, 2], iparams[p, 3]):
        acc[w_cols[w]] += w_vals[w] * scaled


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
    col_f,
    col_i,
    gene_f,
    gene_i,
    w_cols,
    w_vals,
    per_bin,
    offset,
    out,
):
    n_genes = gene_f.shape[0]
    n_rows = row_end - row_start
    n_sets = out.shape[1]
    n_bins = per_bin.shape[0]
    for block in numba.prange(n_blocks):
        table = np.empty(TABLE_SIZE)
        buf = np.zeros(n_genes if any_dup else 1)
        touched = np.empty(n_genes if any_dup else 1, dtype=np.int64)
        acc = np.empty(n_sets + 1)  # + a spare slot for genes in no set
        bin_acc = np.empty(n_bins)
        for row in range(row_start + block * n_rows // n_blocks, row_start + (block + 1) * n_rows // n_blocks):
            acc[:] = 0.0
            bin_acc[:] = 0.0
            scale = scales[row - row_start]
            if scale > 0.0:
                _fill_table(scale, table)
                for j in range(indptr[row], indptr[row + 1]):
                    col = indices[j]
                    if any_dup and is_dup[col]:
                        continue
                    _accumulate(col, _log_value(data[j], scale, table), col_f, col_i, w_cols, w_vals, acc, bin_acc)
                if any_dup:
                    for t in range(_row_duplicates(indptr, indices, data, row, col_map, is_dup, buf, touched)):
                        gene = touched[t]
                        value = np.log1p(buf[gene] * scale)
                        buf[gene] = 0.0
                        _accumulate(gene, value, gene_f, gene_i, w_cols, w_vals, acc, bin_acc)
            i = row - row_start
            for k in range(n_sets):
                result = acc[k] - offset[k]
                for b in range(n_bins):
                    result -= bin_acc[b] * per_bin[b, k]
                out[i, k] = result


def _blocks(row_start: int, row_end: int) -> int:
    return max(1, min(numba.get_num_threads() * 4, row_end - row_start))


def gene_statistics(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row_start: int, row_end: int, gene_map: GeneMap
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-gene sum and sum of squares of log1p(CP10k) over rows ``[row_start, row_end)``, and each row's scale."""
    scales = np.empty(row_end - row_start)
    sums, sums_sq = _statistics(
        indptr, indices, data, row_start, row_end, gene_map.column_to_gene, gene_map.is_duplicated,
        bool(gene_map.is_duplicated.any()), gene_map.n_genes, _blocks(row_start, row_end), scales,
    )  # fmt: skip
    return sums, sums_sq, scales


class ScoreWeights:
    """Per-gene parameters of the score kernel, packed so one gene's parameters share a cache line."""

    def __init__(
        self, weights_by_gene: sparse.spmatrix, gene_scale: np.ndarray, gene_bin: np.ndarray, per_bin: np.ndarray,
        gene_map: GeneMap,
    ) -> None:  # fmt: skip
        weights = sparse.csr_matrix(weights_by_gene)
        weights.sort_indices()
        n_genes, n_sets = weights.shape
        counts = np.diff(weights.indptr)
        has = counts > 0
        first = weights.indptr[:-1][has]
        self.gene_f = np.zeros((n_genes, 2))
        self.gene_i = np.zeros((n_genes, 4), dtype=np.int64)
        self.gene_f[:, 0] = gene_scale
        self.gene_f[has, 1] = weights.data[first] * gene_scale[has]
        self.gene_i[:, 1] = n_sets
        self.gene_i[has, 1] = weights.indices[first]
        keep = np.ones(weights.nnz, dtype=bool)
        keep[first] = False
        ends = np.cumsum(np.maximum(counts - 1, 0))
        self.gene_i[:, 2] = ends - np.maximum(counts - 1, 0)
        self.gene_i[:, 3] = ends
        self.w_cols = weights.indices[keep].astype(np.int64)
        self.w_vals = weights.data[keep]
        self.per_bin = np.ascontiguousarray(per_bin) if per_bin.shape[0] else np.zeros((1, n_sets))
        self.gene_i[:, 0] = gene_bin if per_bin.shape[0] else 0
        self.col_f = np.ascontiguousarray(self.gene_f[gene_map.column_to_gene])
        self.col_i = np.ascontiguousarray(self.gene_i[gene_map.column_to_gene])


def set_scores(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, row_start: int, row_end: int, gene_map: GeneMap,
    scales: np.ndarray, weights: ScoreWeights, offset: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Scores of rows ``[row_start, row_end)``: ``sum_g s_g L_g W_g - sum_b (sum_{g in b} s_g L_g) P_b - offset``."""
    out = np.empty((row_end - row_start, offset.size), dtype=np.float32)
    _scores(
        indptr, indices, data, row_start, row_end, gene_map.column_to_gene, gene_map.is_duplicated,
        bool(gene_map.is_duplicated.any()), _blocks(row_start, row_end), scales, weights.col_f, weights.col_i,
        weights.gene_f, weights.gene_i, weights.w_cols, weights.w_vals, weights.per_bin, offset, out,
    )  # fmt: skip
    return out
