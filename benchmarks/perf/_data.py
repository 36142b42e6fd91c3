"""Synthetic count matrices for speed and memory benchmarks (real gene symbols, Visium-like sparsity)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
from scipy import sparse

from humanst.pathways import load_collection

__all__ = ["benchmark_genes", "count_chunks", "counts_matrix", "write_backed_h5ad"]


def benchmark_genes(n_genes: int) -> list[str]:
    """Hallmark and Reactome symbols first (so sets are covered), then filler names up to ``n_genes``."""
    symbols = set(load_collection("hallmark").genes()) | set(load_collection("reactome").genes())
    real = sorted({g.upper() for g in symbols})  # one spelling per gene, as in a harmonised matrix
    genes = real[:n_genes]
    genes += [f"FILLER{i:05d}" for i in range(n_genes - len(genes))]
    return genes


def count_chunks(n_spots: int, n_genes: int, *, seed: int = 0, chunk: int = 2000) -> Iterator[sparse.csr_matrix]:
    """Yield CSR int32 chunks of Poisson counts: log-normal gene rates x log-normal spot sizes (~5k UMIs)."""
    rng = np.random.default_rng(seed)
    rates = rng.lognormal(-1.2, 1.6, n_genes)
    rates /= rates.sum()
    for start in range(0, n_spots, chunk):
        rows = min(chunk, n_spots - start)
        size = 5000.0 * rng.lognormal(0.0, 0.5, rows)
        yield sparse.csr_matrix(rng.poisson(size[:, None] * rates[None, :]).astype(np.int32))


def counts_matrix(n_spots: int, n_genes: int, *, seed: int = 0) -> sparse.csr_matrix:
    """The whole matrix in memory."""
    return sparse.vstack(list(count_chunks(n_spots, n_genes, seed=seed)), format="csr")


def write_backed_h5ad(path: Path, n_spots: int, n_genes: int, *, seed: int = 0) -> Path:
    """Write an .h5ad whose CSR ``X`` is appended chunk by chunk (never whole in memory)."""
    import anndata as ad
    import pandas as pd

    genes = benchmark_genes(n_genes)
    shell = ad.AnnData(obs=pd.DataFrame(index=[f"s{i}" for i in range(n_spots)]), var=pd.DataFrame(index=genes))
    tmp = path.with_name(path.name + ".partial")
    shell.write_h5ad(tmp)
    with h5py.File(tmp, "a") as h5:
        group = h5.create_group("X")
        group.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0", "shape": (n_spots, n_genes)})
        data = group.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 20,))
        indices = group.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 20,))
        indptr = [0]
        for block in count_chunks(n_spots, n_genes, seed=seed):
            n = data.shape[0]
            data.resize((n + block.nnz,))
            indices.resize((n + block.nnz,))
            data[n:] = block.data
            indices[n:] = block.indices
            indptr.extend((block.indptr[1:] + n).tolist())
        group.create_dataset("indptr", data=np.asarray(indptr, dtype=np.int64))
    tmp.replace(path)
    return path
