"""``humanst synth``: write a manifest's synthetic samples in their platforms' raw layouts, with a summary table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TextColumn
from rich.table import Table

from humanst.cli._app import ManifestArg, app
from humanst.console import cli_errors, console, err_console, progress

__all__ = ["run_synth"]


def run_synth(manifest_path: Path, out: Path | None, *, samples: Sequence[str] | None, workers: int) -> int:
    """Write the synthetic samples of a manifest, print what was written; return the exit code.

    ``out`` defaults to the manifest's ``data_root`` (relative to the manifest), else ``./raw``.
    """
    from humanst.manifest import load_manifest
    from humanst.synth import write_synthetic

    with cli_errors():
        manifest = load_manifest(manifest_path)
        for sid in samples or ():
            manifest.sample(sid)
    if out is None:
        out = manifest_path.parent / manifest.data_root if manifest.data_root else Path("raw")
    todo = len(samples) if samples else len(manifest.samples)
    with progress(TextColumn("{task.fields[last]}")) as bar:
        task = bar.add_task("writing raw layouts", total=todo, last="")
        outcomes = write_synthetic(
            manifest,
            out,
            sample_ids=samples,
            workers=workers,
            on_done=lambda o: bar.update(task, advance=1, last=o.sample_id),
        )
    table = Table(title=f"synthetic raw data in '{out}'", title_justify="left")
    for column in ("sample", "platform", "obs", "genes", "um/px", "MB", "s", "reader path"):
        numeric = column in {"obs", "genes", "um/px", "MB", "s"}
        table.add_column(
            column, justify="right" if numeric else "left", no_wrap=column != "reader path", overflow="fold"
        )
    for outcome in outcomes:
        w = outcome.written
        if w is None:
            table.add_row(outcome.sample_id, outcome.platform, "[red]failed[/]", "", "", "", "", "")
            continue
        table.add_row(
            w.sample_id, w.platform, str(w.n_obs), str(w.n_genes), f"{w.um_per_px:g}", f"{w.size_bytes / 1e6:.1f}",
            "unchanged" if outcome.unchanged else f"{outcome.seconds:.1f}", str(w.data_path.relative_to(out)),
        )  # fmt: skip
    console.print(table)
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        err_console.print(f"[bold red]failed[/] {outcome.error}", highlight=False)
    total = sum(o.written.size_bytes for o in outcomes if o.written is not None)
    kept = sum(o.unchanged for o in outcomes)
    console.print(
        f"{len(outcomes) - len(failed)}/{len(outcomes)} samples ready ({total / 1e6:.1f} MB"
        f"{f'; {kept} unchanged from an earlier run, not rewritten' if kept else ''}); "
        "ground truth of each is in <sample>/truth/.",
        highlight=False,
    )
    return 1 if failed else 0


@app.command()
def synth(
    manifest: ManifestArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Data root for the raw layouts; default: the manifest's data_root, else ./raw."
        ),
    ] = None,
    samples: Annotated[
        list[str] | None, typer.Option("--samples", "-s", help="Only these sample ids (repeatable).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Parallel processes.", min=1)] = 2,
) -> None:
    """Write the synthetic samples of a manifest in their platforms' raw layouts (Space Ranger, Xenium, ST, HEST)."""
    raise typer.Exit(run_synth(manifest, out, samples=samples, workers=workers))
