"""``humanst score``: score an AnnData file with gene-set collections and write the scores back atomically."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from rich.table import Table

from humanst._cli_support import NOT_BUILT_EXIT_CODE, console, err_console
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
        err_console.print(
            f"'{data}' is a folder: scoring atlas stores arrives with the atlas builder; "
            "for now pass an .h5ad file of raw counts.",
            highlight=False,
        )
        return NOT_BUILT_EXIT_CODE
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
