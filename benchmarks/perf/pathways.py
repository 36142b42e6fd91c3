"""Side-by-side speed of pathway scoring: humanst ``mean_z`` vs decoupler ``ulm`` vs gseapy ``ssgsea``.

    python -m benchmarks.perf.pathways --spots 20000 --genes 18000 --sets 50

All of them score the same counts matrix with the same gene sets (the first ``--sets`` Hallmark sets, then
Reactome). Ours starts from raw counts (normalisation included); decoupler gets the log1p(CP10k) matrix
as a user would pass it; ssGSEA runs on ``--ssgsea-spots`` spots and is compared per spot.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from benchmarks.perf._data import benchmark_genes, counts_matrix
from humanst.pathways import GeneSets, load_collection, score
from humanst.pathways.context import log_normalise

if TYPE_CHECKING:
    import anndata as ad

__all__ = ["build_inputs", "main", "run_decoupler_ulm", "run_gseapy_ssgsea", "run_ours", "run_scipy_mean_z"]


def build_inputs(n_spots: int, n_genes: int, n_sets: int, *, seed: int = 0) -> tuple[ad.AnnData, GeneSets]:
    """AnnData of raw counts and ``n_sets`` gene sets restricted to nothing (matching is part of the work)."""
    import anndata as ad

    genes = benchmark_genes(n_genes)
    adata = ad.AnnData(X=counts_matrix(n_spots, n_genes, seed=seed), var=pd.DataFrame(index=genes))
    hallmark, reactome = load_collection("hallmark"), load_collection("reactome")
    names = (hallmark.names + reactome.names)[:n_sets]
    merged = {**hallmark.sets, **reactome.sets}
    return adata, GeneSets("bench", {n: merged[n] for n in names})


def run_ours(adata: ad.AnnData, sets: GeneSets) -> np.ndarray:
    """humanst mean_z (matched background) from raw counts."""
    return score(adata, sets).scores


def run_scipy_mean_z(adata: ad.AnnData, sets: GeneSets) -> np.ndarray:
    """The naive score the issue quotes: log1p(CP10k), per-gene z, mean z of members, as scipy sparse products."""
    from scipy import sparse

    genes = {g.upper(): i for i, g in enumerate(adata.var_names)}
    rows, cols = [], []
    for k, members in enumerate(sets.sets.values()):
        idx = sorted({genes[g.upper()] for g in members if g.upper() in genes})
        rows += idx
        cols += [k] * len(idx)
    weights = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(adata.n_vars, len(sets)))
    weights = sparse.csr_matrix(weights.multiply(1.0 / np.maximum(np.asarray(weights.sum(axis=0)), 1)))
    logged = log_normalise(adata.X)
    mean = np.asarray(logged.mean(axis=0)).ravel()
    sd = np.sqrt(np.maximum(np.asarray(logged.multiply(logged).mean(axis=0)).ravel() - mean**2, 0))
    inv_sd = np.divide(1.0, sd, out=np.zeros_like(sd), where=sd > 1e-12)
    return (logged @ sparse.diags(inv_sd) @ weights).toarray() - (mean * inv_sd) @ weights


def run_decoupler_ulm(adata: ad.AnnData, sets: GeneSets) -> np.ndarray:
    """decoupler.mt.ulm on the log1p(CP10k) matrix."""
    import anndata as ad
    import decoupler as dc

    logged = ad.AnnData(X=log_normalise(adata.X), var=adata.var.copy())
    net = pd.DataFrame(
        [(name, gene) for name, genes in sets.sets.items() for gene in genes], columns=["source", "target"]
    ).assign(weight=1.0)
    dc.mt.ulm(logged, net, tmin=1, verbose=False)
    return logged.obsm["score_ulm"].to_numpy()


def run_gseapy_ssgsea(adata: ad.AnnData, sets: GeneSets) -> np.ndarray:
    """gseapy.ssgsea (NES) on the log1p(CP10k) matrix, genes x spots."""
    import gseapy

    logged = log_normalise(adata.X).toarray().T
    frame = pd.DataFrame(logged, index=adata.var_names, columns=[f"s{i}" for i in range(adata.n_obs)])
    result = gseapy.ssgsea(
        data=frame, gene_sets={k: list(v) for k, v in sets.sets.items()}, outdir=None, min_size=1,
        max_size=100_000, permutation_num=0, no_plot=True, threads=os.cpu_count() or 1, verbose=False,
    )  # fmt: skip
    return result.res2d.pivot(index="Name", columns="Term", values="NES").to_numpy(dtype=float)


def timed(func: Callable[..., np.ndarray], *args: object, repeats: int = 1) -> float:
    """Best wall time of ``repeats`` runs (after one warm-up run for JIT-compiled libraries)."""
    func(*args)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        func(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the comparison and print a table of seconds, seconds per spot and ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spots", type=int, default=20_000)
    parser.add_argument("--genes", type=int, default=18_000)
    parser.add_argument("--sets", type=int, default=50)
    parser.add_argument("--ssgsea-spots", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    adata, sets = build_inputs(args.spots, args.genes, args.sets)
    small = adata[: args.ssgsea_spots].copy()
    rows = [
        ("humanst mean_z (matched)", args.spots, timed(run_ours, adata, sets, repeats=args.repeats)),
        ("scipy sparse mean-z, naive", args.spots, timed(run_scipy_mean_z, adata, sets, repeats=args.repeats)),
        ("decoupler ulm", args.spots, timed(run_decoupler_ulm, adata, sets, repeats=args.repeats)),
        ("gseapy ssgsea", small.n_obs, timed(run_gseapy_ssgsea, small, sets, repeats=1)),
    ]
    table = pd.DataFrame(rows, columns=["method", "spots", "seconds"])
    table["ms_per_spot"] = 1e3 * table["seconds"] / table["spots"]
    table["x_slower_than_ours"] = table["ms_per_spot"] / table["ms_per_spot"].iloc[0]
    print(f"{args.spots} spots x {args.genes} genes x {len(sets)} sets, {os.cpu_count()} cores, nnz={adata.X.nnz}")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    return table


if __name__ == "__main__":
    main()
