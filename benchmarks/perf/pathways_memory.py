"""Peak memory of scoring a large on-disk matrix (backed AnnData) with a big collection.

    python -m benchmarks.perf.pathways_memory make --spots 200000 --genes 18000 --out /tmp/big.h5ad
    /usr/bin/time -v python -m benchmarks.perf.pathways_memory score /tmp/big.h5ad --gene-sets reactome

``make`` writes the counts chunk by chunk (never whole in memory); ``score`` opens the file backed, scores
it in chunks and prints seconds and peak RSS (``/usr/bin/time -v`` reports the same as "Maximum resident
set size").
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from benchmarks.perf._data import write_backed_h5ad


def main(argv: list[str] | None = None) -> None:
    """Make the data or score it, printing time and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make", help="write a synthetic counts .h5ad")
    make.add_argument("--spots", type=int, default=200_000)
    make.add_argument("--genes", type=int, default=18_000)
    make.add_argument("--out", type=Path, required=True)
    run = sub.add_parser("score", help="score a .h5ad opened backed")
    run.add_argument("path", type=Path)
    run.add_argument("--gene-sets", default="reactome")
    run.add_argument("--chunk-size", type=int, default=10_000)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.command == "make":
        write_backed_h5ad(args.out, args.spots, args.genes)
        print(f"wrote {args.out} ({args.out.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - start:.1f} s")
        return
    import anndata as ad

    from humanst.pathways import score

    adata = ad.read_h5ad(args.path, backed="r")
    result = score(adata, args.gene_sets, chunk_size=args.chunk_size)
    seconds = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(
        f"{adata.n_obs} spots x {adata.n_vars} genes, {int(result.mask.sum())}/{len(result.names)} sets scored "
        f"({result.scores.nbytes / 1e9:.2f} GB of scores) in {seconds:.1f} s; peak RSS {peak_gb:.2f} GB"
    )


if __name__ == "__main__":
    main()
