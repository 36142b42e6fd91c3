"""``humanst score``: score an AnnData file with gene-set collections and write the scores back atomically."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.table import Table

from humanst._cli_support import console, err_console
from humanst.errors import HumanstError

__all__ = ["run_score"]


def run_score(
    data: Path,
    collections: list[str],
    *,
    method: str,
    background: str | None,
    min_coverage: float,
    layer: str | None,
    groupby: str | None,
    out: Path | None,
) -> int:
    """Score ``data`` (an .h5ad of raw counts) with each collection; return the exit code."""
    import anndata as ad

    from humanst.pathways import obsm_key, score

    if data.is_dir():
        if out is not None:
            err_console.print(f"[bold red]error[/] '{data}' is an atlas: its stores are scored in place, drop --out")
            return 1
        return _score_atlas(data, collections, method=method, background=background, min_coverage=min_coverage)
    if data.suffix != ".h5ad" or not data.is_file():
        err_console.print(f"[bold red]error[/] '{data}': expected an existing .h5ad file", highlight=False)
        return 1
    try:
        adata = ad.read_h5ad(data)
    except (OSError, KeyError, ValueError) as exc:
        err_console.print(f"[bold red]error[/] '{data}': cannot read it as AnnData ({exc})", highlight=False)
        return 1
    table = Table(title=f"pathway scores of '{data.name}' ({adata.n_obs} spots x {adata.n_vars} genes)")
    for column in ("collection", "sets", "scored", "masked", "median coverage", "unmatched sets", "s", "obsm key"):
        table.add_column(column, justify="left" if column in {"collection", "obsm key"} else "right")
    for name in collections:
        started = time.perf_counter()
        try:
            result = score(
                adata, name, method, min_coverage=min_coverage, layer=layer,
                background=background, groupby=groupby, progress=console.is_terminal,
            )  # fmt: skip
        except (HumanstError, KeyError) as exc:
            err_console.print(f"[bold red]error[/] '{data}' ({name}): {exc}", highlight=False)
            return 1
        key = result.to_obsm(adata, obsm_key(result.collection))
        table.add_row(
            result.collection, str(len(result.names)), str(int(result.mask.sum())), str(int((~result.mask).sum())),
            f"{float(np.median(result.coverage)):.2f}", str(len(result.unmatched)),
            f"{time.perf_counter() - started:.2f}", key,
        )  # fmt: skip
    target = out or data
    partial = target.with_name(f".{target.name}.partial")
    adata.write_h5ad(partial)
    partial.replace(target)
    console.print(table)
    console.print(f"wrote '{target}' (scores in obsm, names/coverage/mask in uns['humanst']['pathways'])")
    return 0


def _score_atlas(
    atlas: Path, collections: list[str], *, method: str, background: str | None, min_coverage: float
) -> int:
    """Score the table of every store in ``ATLAS/samples`` and write it back into the store (tables only)."""
    import warnings

    from humanst.pathways import obsm_key, score
    from humanst.store.read import read_sample_store

    stores = sorted((atlas / "samples").glob("*.zarr"))
    if not stores:
        err_console.print(f"[bold red]error[/] '{atlas}': no SpatialData stores in samples/; is this an atlas?")
        return 1
    table = Table(title=f"pathway scores written into the stores of '{atlas}'", title_justify="left")
    for column in ("sample", "collection", "spots", "scored sets", "masked", "s"):
        table.add_column(column, justify="left" if column in {"sample", "collection"} else "right")
    for store in stores:
        sdata = read_sample_store(store)
        adata = sdata.tables["table"]
        for name in collections:
            started = time.perf_counter()
            try:
                result = score(adata, name, method, min_coverage=min_coverage, background=background)
            except (HumanstError, KeyError) as exc:
                err_console.print(f"[bold red]error[/] store '{store}' ({name}): {exc}", highlight=False)
                return 1
            result.to_obsm(adata, obsm_key(result.collection))
            table.add_row(
                store.stem, result.collection, str(adata.n_obs), str(int(result.mask.sum())),
                str(int((~result.mask).sum())), f"{time.perf_counter() - started:.2f}",
            )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # spatialdata refuses to overwrite an element inside its own backing store: the table is in memory,
            # so delete it on disk and write it again (the documented route, scverse/spatialdata#520).
            sdata.delete_element_from_disk("table")
            sdata.write_element("table")
    console.print(table)
    console.print(
        "Scores are in each store's table (obsm + uns['humanst']['pathways']); the patch dataset keeps the "
        "collections it was built with (list new ones in the manifest's gene_sets and rebuild to add them).",
        highlight=False,
    )
    return 0
