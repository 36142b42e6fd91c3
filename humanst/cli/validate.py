"""``humanst validate``: every store, part and the patch dataset of an atlas checked; all problems listed."""

from __future__ import annotations

from pathlib import Path

import typer

from humanst.cli._app import AtlasArg, app
from humanst.console import console, err_console

__all__ = ["run_validate"]


def run_validate(atlas: Path) -> int:
    """Print the validation of an atlas; return 0 when valid, 1 otherwise."""
    from humanst.store.validate import validate_atlas

    problems, n = validate_atlas(atlas)
    if problems:
        err_console.print(f"[bold red]invalid[/] atlas '{atlas}': {len(problems)} problem(s)", highlight=False)
        for problem in problems:
            err_console.print(f"  - {problem}", highlight=False)
        return 1
    console.print(
        f"[bold green]valid[/] atlas '{atlas}': {n} sample store(s), their patch parts and the dataset", highlight=False
    )
    return 0


@app.command()
def validate(atlas: AtlasArg) -> None:
    """Check every sample store, part and the patch dataset of an atlas; list all problems."""
    raise typer.Exit(run_validate(atlas))
