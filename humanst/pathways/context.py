"""Chunked access to one sample's counts: CP10k + log1p per chunk, per-gene mean and SD, set membership."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse

from humanst.errors import HumanstError
from humanst.pathways.matching import GeneIndex, MatchedSets

__all__ = ["Background", "CountsSource", "ScoringContext", "log_normalise"]

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


@dataclass
class CountsSource:
    """Rows of a counts matrix (in memory, dense or sparse, or an AnnData backed dataset) read in chunks."""

    matrix: Any
    rows: np.ndarray  # row indices of this sample in ``matrix``, sorted
    index: GeneIndex
    chunk_size: int = 10_000
    _merge: sparse.csr_matrix | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.index.has_duplicates:
            cols = self.index.column_to_gene
            self._merge = sparse.csr_matrix(
                (np.ones(cols.size), (np.arange(cols.size), cols)), shape=(cols.size, len(self.index.names))
            )

    def _read(self, rows: np.ndarray) -> sparse.csr_matrix:
        contiguous = rows.size > 0 and rows[-1] - rows[0] + 1 == rows.size
        block = self.matrix[int(rows[0]) : int(rows[-1]) + 1] if contiguous else self.matrix[rows]
        block = sparse.csr_matrix(block, dtype=np.float64)
        return block if self._merge is None else sparse.csr_matrix(block @ self._merge)

    def chunks(self) -> Iterator[tuple[np.ndarray, sparse.csr_matrix]]:
        """Yield ``(positions within this sample, raw counts chunk)`` with duplicated genes summed."""
        for start in range(0, self.rows.size, self.chunk_size):
            positions = np.arange(start, min(start + self.chunk_size, self.rows.size))
            yield positions, self._read(self.rows[positions])


def _check_counts(chunk: sparse.csr_matrix, where: str) -> None:
    data = chunk.data
    if data.size and (data.min() < 0 or not np.allclose(data[:10_000], np.round(data[:10_000]))):
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
    mean: np.ndarray = field(init=False)
    sd: np.ndarray = field(init=False)
    controls: dict[str, np.ndarray] = field(default_factory=dict, init=False)

    @property
    def n_rows(self) -> int:
        """Spots of this sample."""
        return int(self.source.rows.size)

    @property
    def genes(self) -> list[str]:
        """Unique gene names (duplicates merged), the column space of every chunk."""
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

    def compute_statistics(self, where: str) -> None:
        """First pass: per-gene mean and SD of log1p(CP10k) over this sample's spots (float64)."""
        n_genes = len(self.genes)
        total, total_sq = np.zeros(n_genes), np.zeros(n_genes)
        for i, (_, counts) in enumerate(self.source.chunks()):
            if i == 0:
                _check_counts(counts, where)
            logn = log_normalise(counts)
            total += np.asarray(logn.sum(axis=0)).ravel()
            total_sq += np.asarray(logn.multiply(logn).sum(axis=0)).ravel()
            if self.on_chunk is not None:
                self.on_chunk(counts.shape[0])
        n = max(self.n_rows, 1)
        self.mean = total / n
        self.sd = np.sqrt(np.clip(total_sq / n - self.mean**2, 0.0, None))

    def log_chunks(self) -> Iterator[tuple[np.ndarray, sparse.csr_matrix]]:
        """Second pass: ``(positions, log1p(CP10k) chunk)``; reports progress per chunk."""
        for positions, counts in self.source.chunks():
            yield positions, log_normalise(counts)
            if self.on_chunk is not None:
                self.on_chunk(positions.size)

    def dense_z(self, logn: sparse.csr_matrix) -> np.ndarray:
        """Dense per-gene z (or centred-free log values without standardising) of a chunk."""
        return (logn.toarray() - self.center) * self.inv_sd
