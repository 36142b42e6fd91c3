"""The ``stamp-bench report`` command around :func:`~benchmarks.report.write.write_report`: progress, notes, summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.errors import BenchmarkError
from humanst.console import cli_errors, console, err_console, progress
from humanst.errors import HumanstError

__all__ = ["run_report"]


def run_report(
    results: Sequence[Path],
    out: Path,
    *,
    atlas: Path | None,
    cohort: Path | None = None,
    runs: Sequence[Path],
    pathways: Sequence[str],
    n_boot: int,
) -> None:
    """Write the report, print its notes, its path and the short A-vs-B summary; errors are one line, exit 1."""
    from benchmarks.report.write import write_report

    with cli_errors(BenchmarkError, HumanstError, OSError), progress() as bar:
        task = bar.add_task("report", total=None)

        def step(description: str) -> None:
            bar.update(task, description=description)
            bar.advance(task)

        summary = write_report(
            results, out, atlas=atlas, cohort=cohort, runs=runs, pathways=pathways, n_boot=n_boot, step=step
        )
    for note in summary.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False)
    for line in summary.lines:
        console.print(line, markup=False, highlight=False)
    console.print(
        f"report: {summary.index} ({len(summary.figures)} figures, {summary.seconds:.1f} s)",
        markup=False,
        highlight=False,
    )
