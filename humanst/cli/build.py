"""``humanst build``: progress, summary table and exit code around :func:`humanst.builder.run_build`."""

from __future__ import annotations

import logging
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from humanst.builder.settings import DEFAULTS
from humanst.cli._app import AbsolutePathsOpt, ManifestArg, app
from humanst.console import cli_errors, console, err_console, progress

if TYPE_CHECKING:
    from humanst.builder import BuildReport, SampleTask
    from humanst.manifest import AtlasManifest
    from humanst.store import SampleOutcome

__all__ = ["run_build_command"]


def _summary(report: BuildReport, max_loss: float) -> Table:
    table = Table(title="humanst build", title_justify="left")
    columns = (
        "sample",
        "platform",
        "status",
        "spots",
        "dropped (by reason)",
        "lost",
        "genes",
        "um/px",
        "um/px source",
        "s",
    )
    for column in columns:
        table.add_column(column, justify="right" if column in ("spots", "lost", "genes", "um/px", "s") else "left")
    for o in report.outcomes:
        style = {"built": "green", "skipped": "cyan", "failed": "bold red"}[o.status]
        dropped = ", ".join(f"{k} {v}" for k, v in o.dropped.items() if v) or "-"
        lost = f"{100 * o.lost_fraction:.0f}%" if o.finished else "-"
        if o.finished and o.lost_fraction > max_loss:
            lost = f"[bold yellow]{lost} (!)[/]"
        source = o.um_per_px_source.split(";")[0]  # the full text is in build_report.md
        table.add_row(
            o.sample_id, o.platform, f"[{style}]{o.status}[/]", str(o.spots_kept), dropped, lost, str(o.genes),
            f"{o.um_per_px:.4g}" if o.um_per_px else "-", source or "-", f"{o.seconds:.1f}",
        )  # fmt: skip
    return table


def _flag_losses(report: BuildReport, max_loss: float) -> None:
    """Name every sample that lost more than ``max_loss`` of its tissue spots, with the reader's own warnings."""
    for o in report.outcomes:
        if o.finished and o.lost_fraction > max_loss:
            reasons = ", ".join(f"{k} {v}" for k, v in o.dropped.items() if v)
            err_console.print(
                f"[bold yellow]warning:[/] sample '{o.sample_id}' lost {100 * o.lost_fraction:.0f}% of its spots "
                f"({reasons}), more than --max-loss {100 * max_loss:.0f}%. {' '.join(o.warnings)}",
                highlight=False,
            )


def run_build_command(
    manifest_path: Path, out: Path, *, samples: list[str] | None, workers: int, scheduler: str | None,
    data_root: Path | None, cache_dir: Path | None, min_counts: int = DEFAULTS.min_counts, force: bool = False,
    max_loss: float = 0.2,
    allow_absolute_paths: bool = False,
) -> int:  # fmt: skip
    """Build the atlas of a manifest and print what happened; return the exit code (1 if any sample failed)."""
    from humanst.builder import make_tasks
    from humanst.builder.preflight import build_guard
    from humanst.fetch import default_cache_dir
    from humanst.fetch.local import manifest_data_root
    from humanst.manifest import load_manifest
    from humanst.store import Atlas

    logging.getLogger("humanst").setLevel(logging.WARNING)
    with cli_errors():
        manifest = load_manifest(manifest_path)
        root = manifest_data_root(
            manifest_path, manifest.data_root, given=data_root, allow_absolute=allow_absolute_paths
        )
        tasks = make_tasks(
            manifest, out, data_root=root, cache_dir=cache_dir or default_cache_dir(),
            samples=samples, min_counts=min_counts, force=force, allow_absolute_paths=allow_absolute_paths,
        )  # fmt: skip
    where = f"Dask scheduler {scheduler}" if scheduler else f"{workers} local worker(s)"
    with ExitStack() as guard:
        with cli_errors():  # a locked, read-only or full atlas: one line, before any sample runs
            stale = guard.enter_context(build_guard(Atlas(out), tasks, command=f"humanst build {manifest_path}"))
        console.print(
            f"Building {len(tasks)} sample(s) of {manifest.name!r} into '{out}' on {where}; local inputs from the "
            f"data root '{root}'{' (absolute paths allowed)' if allow_absolute_paths else ''}.",
            highlight=False,
        )
        report = _build_with_progress(manifest, manifest_path, tasks, workers=workers, scheduler=scheduler)
    if stale is not None:
        err_console.print(f"note: replaced the stale lock of {stale.describe()}, a build that died", highlight=False)
    return _print_outcome(report, out, max_loss)


def _build_with_progress(
    manifest: AtlasManifest, manifest_path: Path, tasks: list[SampleTask], *, workers: int, scheduler: str | None
) -> BuildReport:
    """Run the (already guarded) build with a progress display: samples done, and downloads / patches of one."""
    from humanst.builder import run_build

    with progress() as bar:
        samples_task = bar.add_task("samples", total=len(tasks))
        detail = bar.add_task("", total=None, visible=False)
        current = {"event": ""}

        def done(outcome: SampleOutcome) -> None:
            bar.update(samples_task, advance=1, description=f"samples ({outcome.sample_id} {outcome.status})")
            bar.update(detail, visible=False, completed=0, total=None)
            current["event"] = ""

        def step(event: str, amount: int, total: int | None) -> None:
            if event.startswith("download"):  # bytes of the file being fetched
                bar.update(detail, description=event, completed=amount, total=total, visible=True)
            elif event == "patches":  # patches cut, encoded and written so far
                if current["event"] != event:
                    bar.reset(detail, total=None, description="patches", visible=True)
                bar.update(detail, advance=amount)
            current["event"] = event

        with cli_errors():  # the dataset or the report could not be written: one line
            return run_build(
                manifest, str(manifest_path), tasks, workers=workers, scheduler=scheduler, on_done=done,
                progress=step, guarded=True,
            )  # fmt: skip


def _print_outcome(report: BuildReport, out: Path, max_loss: float) -> int:
    """Print the summary table, flagged losses and where the outputs are; return the exit code."""
    from humanst.store import Atlas

    console.print(_summary(report, max_loss))
    _flag_losses(report, max_loss)
    atlas = Atlas(out)
    dataset = (
        f"{report.dataset_rows} patch rows in '{atlas.hf_dir}' (datasets.load_from_disk)"
        if report.dataset_rows
        else "no patch dataset (no sample finished)"
    )
    console.print(
        f"{dataset}; stores in '{atlas.samples_dir}'; report in '{atlas.report_paths[1]}'. {report.seconds:.1f} s.",
        highlight=False,
    )
    if report.failed:
        err_console.print(f"[bold red]{len(report.failed)} sample(s) failed:[/]", highlight=False)
        for o in report.failed:
            err_console.print(f"  - {o.error}", highlight=False)
        return 1
    return 0


@app.command()
def build(
    manifest: ManifestArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Atlas folder.")] = Path("atlas"),
    samples: Annotated[
        list[str] | None, typer.Option("--samples", "-s", help="Only these sample ids (repeatable).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Local worker processes (one sample per task).", min=1)] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask distributed scheduler, e.g. tcp://host:8786.")
    ] = None,
    data_root: Annotated[
        Path | None,
        typer.Option(help="Folder that relative 'path' sources resolve against; default: the manifest's data_root."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Download cache; default: $HUMANST_CACHE or ~/.cache/humanst.")
    ] = None,
    min_counts: Annotated[int, typer.Option(help="Drop spots with fewer total counts.", min=0)] = DEFAULTS.min_counts,
    force: Annotated[  # noqa: FBT002  (a CLI flag: typer maps it to --force)
        bool, typer.Option("--force", help="Rebuild samples even when their inputs did not change.")
    ] = False,
    max_loss: Annotated[
        float,
        typer.Option(help="Flag a sample that loses more than this share of its tissue spots.", min=0.0, max=1.0),
    ] = 0.2,
    allow_absolute_paths: AbsolutePathsOpt = False,  # noqa: FBT002  (a CLI flag)
) -> None:
    """Build the atlas of a manifest: fetch, read, harmonise, score pathways, write SpatialData + HF dataset.

    Samples are written atomically and skipped on rerun when unchanged; a failed one is reported, the rest go on.
    """
    code = run_build_command(
        manifest, out, samples=samples, workers=workers, scheduler=scheduler, data_root=data_root,
        cache_dir=cache, min_counts=min_counts, force=force, max_loss=max_loss,
        allow_absolute_paths=allow_absolute_paths,
    )  # fmt: skip
    raise typer.Exit(code)
