"""``humanst score``: score an .h5ad (written back atomically) or every store of an atlas (each swapped in)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import numpy as np
import typer
from rich.table import Table

from humanst.builder.settings import DEFAULTS
from humanst.cli._app import app
from humanst.console import cli_errors, console, err_console, progress
from humanst.errors import HumanstError

if TYPE_CHECKING:
    from anndata import AnnData

    from humanst.pathways import PathwayScores
    from humanst.pathways.context import Background

__all__ = ["run_score"]


def run_score(
    data: Path, collections: list[str], *, method: str, background: Background | None, min_coverage: float,
    layer: str | None, groupby: str | None, out: Path | None,
) -> int:  # fmt: skip
    """Score ``data`` (an .h5ad of raw counts, or an atlas folder) with each collection; return the exit code."""
    import anndata as ad

    from humanst.atomic import atomic_path
    from humanst.pathways import score

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
        except HumanstError as exc:
            err_console.print(f"[bold red]error[/] '{data}' ({name}): {exc}", highlight=False)
            return 1
        if not result.mask.any():
            err_console.print(f"[bold red]error[/] '{data}' ({name}): {_no_coverage_hint(adata, result, min_coverage)}",
                              highlight=False)  # fmt: skip
            return 1
        key = result.to_obsm(adata)
        table.add_row(
            result.collection, str(len(result.names)), str(int(result.mask.sum())), str(int((~result.mask).sum())),
            f"{float(np.median(result.coverage)):.2f}", str(len(result.unmatched)),
            f"{time.perf_counter() - started:.2f}", key,
        )  # fmt: skip
    target = out or data
    with atomic_path(target, "partial") as partial:
        adata.write_h5ad(partial)
    console.print(table)
    console.print(f"wrote '{target}' (scores in obsm, names/coverage/mask in uns['humanst']['pathways'])")
    return 0


def _no_coverage_hint(adata: AnnData, result: PathwayScores, min_coverage: float) -> str:
    """Why no set was scored, and what to do: the genes do not match the sets' members (naming), or few do."""
    example = ", ".join(map(str, adata.var_names[:3]))
    best = float(np.max(result.coverage)) if len(result.coverage) else 0.0
    return (
        f"no gene set reaches min_coverage {min_coverage:g} (best coverage {best:.2f}), so every score would be NaN; "
        f"nothing was written. The table's genes (e.g. {example}) match few members of the sets, which use HGNC "
        "symbols: name genes by symbol (var_names), or by Ensembl id (var_names or var['gene_ids'], mapped through "
        "the shipped table); for a targeted panel lower --min-coverage"
    )


def _score_atlas(
    atlas: Path, collections: list[str], *, method: str, background: Background | None, min_coverage: float
) -> int:
    """Score the table of every built store of ``atlas``; each store is swapped in atomically."""
    from humanst.errors import AtlasError
    from humanst.store import Atlas
    from humanst.store.rescore import rescore_store

    with cli_errors():
        opened = Atlas.open(atlas)
        samples = [s for s in opened.built_samples() if opened.store_path(s).is_dir()]
        if not samples:
            msg = f"atlas '{atlas}': no built sample stores; run `humanst build` first"
            raise AtlasError(msg)
    table = Table(title=f"pathway scores written into the stores of '{atlas}'", title_justify="left")
    for column in ("sample", "collection", "spots", "scored sets", "masked", "s"):
        table.add_column(column, justify="left" if column in {"sample", "collection"} else "right")
    from contextlib import ExitStack

    from humanst.builder.lock import atlas_lock

    failed = 0
    scored = dict.fromkeys(collections, 0)
    with ExitStack() as stack:
        with cli_errors(HumanstError, OSError):  # another build or score holds the atlas: one line
            stack.enter_context(atlas_lock(opened, command=f"humanst score {atlas}"))
        bar = stack.enter_context(progress())
        task = bar.add_task("stores rescored", total=len(samples))
        for sample_id in samples:
            started = time.perf_counter()
            try:
                n_obs, results = rescore_store(
                    opened, sample_id, collections, method=method, background=background, min_coverage=min_coverage
                )
            except HumanstError as exc:
                err_console.print(f"[bold red]error[/] sample '{sample_id}': {exc}", highlight=False)
                failed += 1
                bar.advance(task)
                continue
            seconds = f"{(time.perf_counter() - started) / max(len(results), 1):.2f}"
            for name, result in zip(collections, results, strict=True):
                scored[name] += int(result.mask.sum())
                table.add_row(
                    sample_id, result.collection, str(n_obs), str(int(result.mask.sum())),
                    str(int((~result.mask).sum())), seconds,
                )  # fmt: skip
            bar.advance(task)
    console.print(table)
    console.print(
        "Scores are in each store's table (obsm + uns['humanst']['pathways']); the patch dataset keeps the "
        "collections it was built with (list new ones in the manifest's gene_sets and rebuild to add them).",
        highlight=False,
    )
    unscored = [c for c, n in scored.items() if n == 0]
    for collection in unscored:
        err_console.print(
            f"[bold red]error[/] '{atlas}' ({collection}): no gene set reaches min_coverage {min_coverage:g} in any "
            "store (every score is NaN); check the collection's gene naming, or lower --min-coverage",
            highlight=False,
        )
    return 1 if failed or unscored else 0


@app.command()
def score(
    data: Annotated[
        Path, typer.Argument(help="An .h5ad of raw counts (spots x genes), or an atlas folder (each store swapped in).")
    ],
    gene_sets: Annotated[
        str, typer.Option("--gene-sets", help="Comma-separated shipped collections (hallmark, reactome) or GMT paths.")
    ] = ",".join(DEFAULTS.gene_sets),
    method: Annotated[str, typer.Option(help="Scoring method: mean_z (default), ulm (decoupler), ssgsea (gseapy).")] = (
        "mean_z"
    ),
    background: Annotated[
        str | None, typer.Option(help="mean_z only: matched (default), all, or none (naive).")
    ] = None,
    min_coverage: Annotated[
        float, typer.Option(help="Mask sets whose measured members / all members fall below this.", min=0, max=1)
    ] = DEFAULTS.min_coverage,
    layer: Annotated[str | None, typer.Option(help="Layer holding raw counts instead of X.")] = None,
    groupby: Annotated[str | None, typer.Option(help="obs column of samples, each z-scored on its own.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of updating DATA in place.")
    ] = None,
) -> None:
    """Score pathways per spot (background-corrected mean z) and store them in obsm['pathways_<collection>']."""
    collections = [c.strip() for c in gene_sets.split(",") if c.strip()]
    checked_later = cast("Background | None", background)  # score() checks the name and lists the valid ones
    code = run_score(
        data, collections, method=method, background=checked_later, min_coverage=min_coverage, layer=layer,
        groupby=groupby, out=out,
    )  # fmt: skip
    raise typer.Exit(code)
