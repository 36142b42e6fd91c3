"""``humanst validate``: every store, part and the patch dataset of an atlas checked; all problems listed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.cli._app import AtlasArg, app
from humanst.console import console, err_console

__all__ = ["run_validate"]


def missing_from_manifest(atlas: Path, manifest_path: Path) -> list[str]:
    """Problems for every sample of the manifest the atlas has not built (no finished record, or no store)."""
    from humanst.manifest import load_manifest
    from humanst.store import Atlas

    opened = Atlas(atlas)
    built = set(opened.built_samples())
    problems = []
    for entry in load_manifest(manifest_path).samples:
        record = opened.record(entry.id)
        if entry.id in built and opened.store_path(entry.id).is_dir():
            continue
        why = f"its last build failed: {record.error}" if record is not None and record.error else "never built"
        problems.append(
            f"sample '{entry.id}' of manifest '{manifest_path}' is missing from the atlas ({why}); "
            f"run `humanst build {manifest_path} --out {atlas}`"
        )
    return problems


def run_validate(atlas: Path, manifest: Path | None = None, *, deep: bool = False) -> int:
    """Print the validation of an atlas (and which manifest samples it lacks); return 0 when valid, 1 otherwise."""
    from humanst.console import cli_errors
    from humanst.store.validate import validate_atlas

    notes: list[str] = []
    problems, n = validate_atlas(atlas, deep=deep, notes=notes)
    for note in notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False)
    if manifest is not None:
        with cli_errors():
            problems += missing_from_manifest(atlas, manifest)
    if problems:
        err_console.print(f"[bold red]invalid[/] atlas '{atlas}': {len(problems)} problem(s)", highlight=False)
        for problem in problems:
            err_console.print(f"  - {problem}", highlight=False)
        return 1
    chunks = "every chunk decoded" if deep else "every chunk present (--deep decodes them)"
    console.print(
        f"[bold green]valid[/] atlas '{atlas}': {n} sample store(s) ({chunks}), their patch parts and the dataset",
        highlight=False,
    )
    return 0


@app.command()
def validate(
    atlas: AtlasArg,
    manifest: Annotated[
        Path | None, typer.Option("--manifest", "-m", help="Also list the samples of this manifest the atlas lacks.")
    ] = None,
    deep: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--deep", help="Decode every chunk of every store (slow), not only check that it exists.")
    ] = False,
) -> None:
    """Check every sample store, part and the patch dataset of an atlas; list all problems.

    Every chunk an array's shape implies must exist (a listing; --deep decodes each). With --manifest, every
    sample of the manifest that the atlas has not built is listed too.
    """
    raise typer.Exit(run_validate(atlas, manifest, deep=deep))
