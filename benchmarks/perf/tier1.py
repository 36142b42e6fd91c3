"""Tier-1 wall time on cached embeddings: ``python -m benchmarks.perf.tier1 [--atlas A] [--dims 384 1536]``.

Prepares the demo task once (targets, random-set controls), writes random embeddings of each size into a
temporary cache in the stamp-embed format, and times :func:`benchmarks.spot.runner.evaluate_cache` (read the
cache, PCA + ridge with inner CV over all folds, bootstrap CIs), printing a table.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.cache import write_cache_info, write_embeddings
from benchmarks.spot.runner import PreparedTask, evaluate_cache, prepare_task
from benchmarks.tasks import load_task


def write_random_cache(folder: Path, prepared: PreparedTask, dim: int, seed: int = 0) -> Path:
    data = prepared.data
    rng = np.random.default_rng(seed)
    for sample in sorted(set(data.sample_ids.tolist())):
        rows = np.flatnonzero(data.sample_ids == sample)
        x = rng.normal(size=(rows.size, dim)).astype(np.float32)
        meta = {"encoder": f"random-{dim}", "adapter_hash": "", "weights": "random", "content_hash": str(seed)}
        write_embeddings(folder, sample, data.spot_ids[rows].tolist(), x, meta)
    write_cache_info(folder, encoder=f"random-{dim}", adapter_hash="", weights="random", embed_dim=dim)
    return folder


def time_tier1(prepared: PreparedTask, cache: Path, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        evaluate_cache(prepared, cache, kind="model")
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atlas", type=Path, default=Path("demo_out/atlas"))
    parser.add_argument("--task", default="demo-spot")
    parser.add_argument("--dims", type=int, nargs="+", default=[192, 384, 1024, 1536])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    prepared = prepare_task(args.atlas, load_task(args.task))
    prep_s = time.perf_counter() - started
    data = prepared.data
    n_targets = sum(len(b.columns(prepared.folds[0].train)) for b in prepared.blocks)
    table = Table(
        title=f"tier 1 on cached embeddings: task {args.task}, {data.n_spots} spots, {len(prepared.folds)} folds, "
        f"{n_targets} targets (task preparation, once per task: {prep_s:.1f} s)"
    )
    for header in ("embed dim", "PCA dims", "wall time (s, best of repeats)", "spot-folds / s"):
        table.add_column(header, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for dim in args.dims:
            cache = write_random_cache(Path(tmp) / f"random-{dim}", prepared, dim)
            seconds = time_tier1(prepared, cache, args.repeats)
            pca = min(prepared.task.probe.pca_components, dim)
            table.add_row(str(dim), str(pca), f"{seconds:.2f}", f"{data.n_spots * len(prepared.folds) / seconds:,.0f}")
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
