"""``humanst export``: the redistributable samples of an atlas as a Hugging Face dataset repository layout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.cli._app import AtlasArg, app
from humanst.console import cli_errors, console


@app.command()
def export(
    atlas: AtlasArg,
    out: Annotated[
        Path,
        typer.Option("--out", "--to", "-o", help="Export folder (a Hugging Face dataset repository layout)."),
    ] = Path("export"),
) -> None:
    """Export the redistributable samples of an atlas as parquet shards + dataset card; others are left out."""
    from humanst.store.export import export_atlas

    with cli_errors():
        allowed, withheld, rows = export_atlas(atlas, out)
    console.print(f"Exported {rows} rows of {len(allowed)} redistributable sample(s) to '{out}'.", highlight=False)
    if withheld:
        console.print(f"Withheld (not redistributable): {', '.join(withheld)}", highlight=False)
