"""Chunked access to one sample's counts, per-gene statistics, and everything a scoring method needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse

from humanst.errors import HumanstError
from humanst.pathways.matching import GeneIndex, MatchedSets

__all__ = ["Background", "Chunk", "CountsSource", "ScoringContext", "log_normalise"]

Background = Literal["matched", "all", "none"]
TARGET_SUM = 1e4


def log_normalise(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """CP10k + log1p of a counts chunk (rows = spots); spots with zero counts stay all-zero."""
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    scale = np.divide(TARGET_SUM, totals, out=np.zeros_like(totals), where=totals > 0)
    out = sparse.csr_matrix(sparse.diags(scale) @ counts)
    np.log1p(out.data, out=out.data)
    return out


@dataclass(frozen=True)
class Chunk:
    """Rows ``[row_start, row_end)`` of CSR arrays over the unique genes (often zero-copy views of X)."""

    positions: np.ndarray  # positions of these rows within the sample
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    row_start: int
    row_end: int
    source: CountsSource

    def csr(self) -> sparse.csr_matrix:
        """Return the chunk as a scipy CSR matrix of raw counts (float64) over the unique genes."""
        lo, hi = self.indptr[self.row_start], self.indptr[self.row_end]
        indptr = self.indptr[self.row_start : self.row_end + 1] - lo
        shape = (self.row_end - self.row_start, self.source.n_genes)
        return sparse.csr_matrix((self.data[lo:hi].astype(np.float64), self.indices[lo:hi], indptr), shape=shape)


@dataclass
class CountsSource:
    """Rows of a counts matrix (in memory, dense or sparse, or an AnnData backed dataset) read in chunks."""

    matrix: Any
    rows: np.ndarray  # row indices of this sample in ``matrix``, sorted
    index: GeneIndex
    chunk_size: int = 10_000
    merge: sparse.csr_matrix | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.index.has_duplicates:
            cols = self.index.column_to_gene
            self.merge = sparse.csr_matrix(
                (np.ones(cols.size), (np.arange(cols.size), cols)), shape=(cols.size, len(self.index.names))
            )

    @property
    def n_genes(self) -> int:
        """Genes after merging duplicates: the space of statistics and weights."""
        return len(self.index.names)

    def chunks(self) -> Iterator[Chunk]:
        """Yield chunks of at most ``chunk_size`` rows, without copying an in-memory CSR matrix.

        Columns of duplicated genes are summed here (a copy of the chunk), so kernels see unique genes.
        """
        in_memory_csr = sparse.issparse(self.matrix) and self.matrix.format == "csr" and self.merge is None
        for start in range(0, self.rows.size, self.chunk_size):
            positions = np.arange(start, min(start + self.chunk_size, self.rows.size))
            rows = self.rows[positions]
            contiguous = rows[-1] - rows[0] + 1 == rows.size
            if in_memory_csr and contiguous:
                m = self.matrix
                yield Chunk(positions, m.indptr, m.indices, m.data, int(rows[0]), int(rows[-1]) + 1, self)
                continue
            block = self.matrix[int(rows[0]) : int(rows[-1]) + 1] if contiguous else self.matrix[rows]
            block = sparse.csr_matrix(block)
            if self.merge is not None:
                block = sparse.csr_matrix(block @ self.merge.astype(block.dtype))
                block.sum_duplicates()
            yield Chunk(positions, block.indptr, block.indices, block.data, 0, block.shape[0], self)


def _check_counts(data: np.ndarray, where: str) -> None:
    sample = data[:10_000]
    if data.size and (data.min() < 0 or not np.allclose(sample, np.round(sample))):
        msg = (
            f"{where}: expected raw counts (non-negative integers), found values such as {data[:3].tolist()}; "
            "the data look normalised. Pass the layer that holds raw counts (layer='counts')."
        )
        raise HumanstError(msg)


@dataclass
class ScoringContext:
    """Everything a scoring method needs for one sample: chunks, gene statistics, matched sets, parameters."""

    source: CountsSource
    matched: MatchedSets
    active: np.ndarray  # bool (sets,): sets scored (coverage >= min_coverage and >= 1 measured member)
    background: Background
    standardize: bool
    seed: int
    n_bins: int = 25
    ctrl_size: int | None = None  # None: all non-members of the members' bins (exact); int: seeded draw
    explicit_controls: dict[str, np.ndarray] = field(default_factory=dict)
    on_chunk: Callable[[int], None] | None = None
    output: np.ndarray | None = None  # (all spots, all sets) float32, shared by the groups; filled by emit()
    mean: np.ndarray = field(init=False)
    sd: np.ndarray = field(init=False)
    row_scale: np.ndarray = field(init=False)  # 1e4 / total counts of every spot (0 for an empty spot)
    mean_row_nnz: float = field(default=0.0, init=False)  # non-zeros per spot, to pick the cheaper kernel layout
    controls: dict[str, np.ndarray] = field(default_factory=dict, init=False)

    @property
    def n_rows(self) -> int:
        """Spots of this sample."""
        return int(self.source.rows.size)

    @property
    def genes(self) -> list[str]:
        """Unique gene names (duplicates merged): the space of statistics and weights."""
        return self.source.index.names

    @property
    def inv_sd(self) -> np.ndarray:
        """1 / SD per gene, 0 for constant genes (their z is 0, not NaN); all ones without standardising."""
        if not self.standardize:
            return np.ones_like(self.sd)
        return np.divide(1.0, self.sd, out=np.zeros_like(self.sd), where=self.sd > 1e-12)

    @property
    def center(self) -> np.ndarray:
        """What is subtracted from log-normalised values: the gene means when standardising, else 0."""
        return self.mean if self.standardize else np.zeros_like(self.mean)

    def active_members(self) -> dict[str, list[str]]:
        """Measured member genes of every active set, by set name, in set order."""
        genes = np.asarray(self.genes, dtype=object)
        return {self.matched.names[i]: genes[self.matched.members[i]].tolist() for i in np.flatnonzero(self.active)}

    def compute_statistics(self, where: str) -> None:
        """First pass: per-gene mean and SD of log1p(CP10k) over this sample's spots, and each spot's scale."""
        from humanst.pathways.kernels import gene_statistics

        n_genes = self.source.n_genes
        total, total_sq = np.zeros(n_genes), np.zeros(n_genes)
        self.row_scale = np.zeros(self.n_rows)
        nonzeros = 0
        for i, chunk in enumerate(self.source.chunks()):
            if i == 0:
                lo, hi = chunk.indptr[chunk.row_start], chunk.indptr[chunk.row_end]
                _check_counts(chunk.data[lo : min(hi, lo + 100_000)], where)
            sums, sums_sq, scales = gene_statistics(
                chunk.indptr, chunk.indices, chunk.data, chunk.row_start, chunk.row_end, n_genes
            )
            total += sums
            total_sq += sums_sq
            self.row_scale[chunk.positions] = scales
            nonzeros += int(chunk.indptr[chunk.row_end] - chunk.indptr[chunk.row_start])
            if self.on_chunk is not None:
                self.on_chunk(chunk.positions.size)
        n = max(self.n_rows, 1)
        self.mean_row_nnz = nonzeros / n
        self.mean = total / n
        self.sd = np.sqrt(np.clip(total_sq / n - self.mean**2, 0.0, None))

    def chunks(self) -> Iterator[Chunk]:
        """Second pass over the raw chunks; reports progress per chunk."""
        for chunk in self.source.chunks():
            yield chunk
            if self.on_chunk is not None:
                self.on_chunk(chunk.positions.size)

    def log_chunks(self) -> Iterator[tuple[np.ndarray, sparse.csr_matrix]]:
        """Second pass as ``(positions, log1p(CP10k) chunk as scipy CSR)``, for methods that need matrices."""
        for chunk in self.chunks():
            yield chunk.positions, log_normalise(chunk.csr())

    def emit(self, positions: np.ndarray, values: np.ndarray) -> None:
        """Write the scores of the active sets for these positions of the sample into the shared output."""
        if self.output is None:
            msg = "ScoringContext.emit needs an output array"
            raise RuntimeError(msg)
        rows = self.source.rows[positions]
        if rows.size == 0:
            return
        cols = slice(None) if self.active.all() else np.flatnonzero(self.active)
        if rows[-1] - rows[0] + 1 == rows.size:
            self.output[int(rows[0]) : int(rows[-1]) + 1, cols] = values
        else:
            self.output[np.ix_(rows, np.arange(self.active.size)[cols])] = values

    def dense_z(self, logn: sparse.csr_matrix) -> np.ndarray:
        """Dense per-gene z (or raw log values without standardising) of a chunk."""
        return (logn.toarray() - self.center) * self.inv_sd
