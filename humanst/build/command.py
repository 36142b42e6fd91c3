"""``humanst build``: progress bar, summary table and exit code around :func:`run_build`."""

from __future__ import annotations

import logging
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from humanst._cli_support import console, err_console

__all__ = ["run_build_command"]


def _summary(report: object) -> Table:
    table = Table(title="humanst build", title_justify="left")
    for column in ("sample", "platform", "status", "spots", "dropped", "genes", "um/px", "um/px source", "s"):
        table.add_column(column, justify="right" if column in ("spots", "genes", "um/px", "s") else "left")
    for o in report.outcomes:  # type: ignore[attr-defined]
        style = {"built": "green", "skipped": "cyan", "failed": "bold red"}[o.status]
        dropped = ", ".join(f"{k} {v}" for k, v in o.dropped.items() if v) or "-"
        source = o.um_per_px_source.split(";")[0]  # the full text is in build_report.md
        table.add_row(
            o.sample_id, o.platform, f"[{style}]{o.status}[/]", str(o.spots_kept), dropped, str(o.genes),
            f"{o.um_per_px:.4g}" if o.um_per_px else "-", source or "-", f"{o.seconds:.1f}",
        )  # fmt: skip
    return table


def run_build_command(
    manifest_path: Path, out: Path, *, samples: list[str] | None, workers: int, scheduler: str | None,
    data_root: Path | None, cache_dir: Path | None, min_counts: int, force: bool,
) -> int:  # fmt: skip
    """Build the atlas of a manifest and print what happened; return the exit code (1 if any sample failed)."""
    from humanst.build.schedule import make_tasks, run_build
    from humanst.errors import ManifestError
    from humanst.fetch import default_cache_dir
    from humanst.manifest import load_manifest

    logging.getLogger("humanst").setLevel(logging.WARNING)
    try:
        manifest = load_manifest(manifest_path)
        root = data_root or manifest_path.parent / (manifest.data_root or ".")
        tasks = make_tasks(
            manifest, out, data_root=root, cache_dir=cache_dir or default_cache_dir(),
            samples=samples, min_counts=min_counts, force=force,
        )  # fmt: skip
    except (ManifestError, KeyError) as exc:
        err_console.print(f"[bold red]error[/] {exc}", highlight=False)
        return 1
    where = f"Dask scheduler {scheduler}" if scheduler else f"{workers} local worker(s)"
    console.print(f"Building {len(tasks)} sample(s) of {manifest.name!r} into '{out}' on {where}.", highlight=False)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=not console.is_terminal) as progress:
        bar = progress.add_task("samples", total=len(tasks))
        detail = progress.add_task("", total=None, visible=False)
        current = {"event": ""}

        def done(outcome: object) -> None:
            progress.update(bar, advance=1, description=f"{outcome.sample_id} {outcome.status}")  # type: ignore[attr-defined]
            progress.update(detail, visible=False, completed=0, total=None)
            current["event"] = ""

        def step(event: str, amount: int, total: int | None) -> None:
            if event.startswith("download"):  # bytes of the file being fetched
                progress.update(detail, description=event, completed=amount, total=total, visible=True)
            elif event == "patches":  # patches cut, encoded and written so far
                if current["event"] != event:
                    progress.reset(detail, total=None, description="patches", visible=True)
                progress.update(detail, advance=amount)
            current["event"] = event

        report = run_build(
            manifest, str(manifest_path), tasks, workers=workers, scheduler=scheduler, on_done=done, progress=step
        )
    console.print(_summary(report))
    dataset = (
        f"{report.dataset_rows} patch rows in '{out / 'hf'}' (datasets.load_from_disk)"
        if report.dataset_rows
        else "no patch dataset (no sample finished)"
    )
    console.print(
        f"{dataset}; stores in '{out / 'samples'}'; report in '{out / 'build_report.md'}'. {report.seconds:.1f} s.",
        highlight=False,
    )
    if report.failed:
        err_console.print(f"[bold red]{len(report.failed)} sample(s) failed:[/]", highlight=False)
        for o in report.failed:
            err_console.print(f"  - {o.error}", highlight=False)
        return 1
    return 0
