"""``data.targets: genes``: the top-N variable genes of the training rows, the ablation's alternative to pathways.

Values are log1p(CP10k) of the spot's raw counts (normalised by the spot's total count over all its genes), the
transform tier 1 scores its top-variable genes in. The genes are chosen on the training rows only (the
validation patients are out of the dataset before targets are built): among the genes detected in every
training sample (so a gene absent from one sample's panel is not "variable"), the ``data.n_genes`` of largest
variance over the training rows. They are then standardised like pathway scores (per sample by default).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from stamp._logging import logger
from stamp.errors import DataError
from stamp.targets._registry import TargetRows, TargetSpec, TargetTable, register_target

__all__ = ["gene_targets", "sparse_counts", "top_variable_genes"]


def sparse_counts(rows: TargetRows, n_genes: int) -> tuple[sp.csr_matrix, np.ndarray]:
    """Return the rows' raw counts (rows x vocabulary, CSR) and total counts from the dataset's sparse columns."""
    kept = rows.table.select(["gene_idx", "counts", "total_counts"]).take(rows.rows)
    idx = kept.column("gene_idx").combine_chunks()
    cnt = kept.column("counts").combine_chunks()
    indptr = np.asarray(idx.offsets.to_numpy(), dtype=np.int64)
    indptr = indptr - indptr[0]
    indices = np.asarray(idx.values.to_numpy(zero_copy_only=False), dtype=np.int64)[: indptr[-1]]
    data = np.asarray(cnt.values.to_numpy(zero_copy_only=False), dtype=np.float64)[: indptr[-1]]
    matrix = sp.csr_matrix((data, indices, indptr), shape=(rows.rows.size, n_genes))
    matrix.sum_duplicates()
    totals = kept.column("total_counts").to_numpy().astype(np.float64)
    return matrix, totals


def top_variable_genes(log_expr: sp.csr_matrix, candidates: np.ndarray, k: int) -> np.ndarray:
    """Return the ``k`` candidate columns of largest variance over the rows (ties by column order), sorted."""
    mean = np.asarray(log_expr.mean(axis=0)).ravel()
    mean_sq = np.asarray(log_expr.multiply(log_expr).mean(axis=0)).ravel()
    var = np.where(candidates, mean_sq - mean**2, -np.inf)
    order = np.argsort(-var, kind="stable")[: min(k, int(candidates.sum()))]
    return np.sort(order)


@register_target("genes")
def gene_targets(rows: TargetRows, spec: TargetSpec) -> TargetTable:
    """log1p(CP10k) of the ``spec.n_genes`` most variable genes detected in every training sample."""
    vocabulary = rows.atlas.genes()
    counts, totals = sparse_counts(rows, len(vocabulary))
    samples, sample_of_row = np.unique(rows.sample_id, return_inverse=True)
    member = sp.csr_matrix(
        (np.ones(rows.rows.size), (sample_of_row, np.arange(rows.rows.size))), shape=(samples.size, rows.rows.size)
    )
    detected = np.asarray(((member @ (counts > 0).astype(np.float64)) > 0).sum(axis=0)).ravel() == samples.size
    if not detected.any():
        msg = f"atlas '{rows.atlas.root}': no gene is detected in every training sample; data.targets=genes needs one"
        raise DataError(msg)
    scale = 1e4 / np.where(totals > 0, totals, 1.0)
    log_expr = sp.csr_matrix(sp.diags(scale) @ counts)
    log_expr.data = np.log1p(log_expr.data)
    chosen = top_variable_genes(log_expr, detected, spec.n_genes)
    if chosen.size < spec.n_genes:
        logger.warning(
            "data.targets=genes: only %d genes are detected in every training sample (data.n_genes %d)",
            chosen.size, spec.n_genes,
        )  # fmt: skip
    values = log_expr[:, chosen].toarray().astype(np.float32)
    names = [f"genes:{vocabulary[i]}" for i in chosen]
    details = {
        "n_targets": len(names),
        "n_genes": spec.n_genes,
        "n_candidates": int(detected.sum()),
        "chosen_on_patients": sorted(set(rows.patient_id.tolist())),
        "genes": [vocabulary[i] for i in chosen],
    }
    return TargetTable(names, values, np.ones(values.shape, dtype=bool), details)
