"""``stamp-bench report``: result folders (+ atlas, + STAMP runs) -> ``DIR/index.html`` with PNG figures beside it.

The folder is written under a temporary name and renamed into place when complete, so a report is never half
written. What could not be shown (a result without predictions, a run that matches nothing, a sample missing
from the atlas) is listed on the page and returned in :attr:`ReportSummary.notes`.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import __version__
from benchmarks.errors import BenchmarkError
from benchmarks.report import sections as tables
from benchmarks.report.context import ReportContext, ReportSummary, Step
from benchmarks.report.inputs import ReportInputs, load_inputs
from benchmarks.report.page import Figure, Pre, Section, Text, render_page
from benchmarks.report.task_section import task_sections
from humanst.atomic import atomic_path

__all__ = ["ReportSummary", "write_report"]

INDEX = "index.html"


def _check_named(named: Sequence[str], inputs: ReportInputs) -> None:
    """Refuse a ``--pathway`` that no pathway block of any result predicts, naming close matches."""
    known = sorted(
        {
            t
            for g in inputs.groups
            for r in g.results
            for b in r.result.blocks
            if b.kind == "pathways"
            for t in b.per_target
        }
    )
    for name in named:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"; did you mean {close}?" if close else f"; known: {known[:5]}..."
            msg = f"--pathway {name!r} is not a pathway target of the results given{hint}"
            raise BenchmarkError(msg)


def _run_sections(ctx: ReportContext, inputs: ReportInputs) -> list[Section]:
    from benchmarks.report.curves import draw_curves, read_metrics

    if not inputs.runs:
        return []
    out = [Section("STAMP training", anchor="training")]
    for adapter, run in inputs.runs.items():
        ctx.step(f"training curves: {adapter}")
        sub = Section(f"run {run.path.name} (adapter {adapter})", level=3)
        if run.metrics is not None:
            steps, columns = read_metrics(run.metrics)
            file = ctx.save(draw_curves(steps, columns, title=f"adapter {adapter}"), f"curves_{adapter}")
            caption = f"metrics.csv of the run: {', '.join(columns)} against the step, grouped by kind."
            sub.blocks.append(Figure(file, f"training curves of adapter {adapter}", caption))
        else:
            ctx.summary.notes.append(f"run '{run.path}': no metrics.csv, no training curves")
        sub.blocks.append(tables.run_card_table(run, f"run-{adapter}"))
        if run.config_text:
            sub.blocks.append(Pre(run.config_text, summary="resolved config.yaml"))
        out.append(sub)
    return out


def _build_section(ctx: ReportContext) -> list[Section]:
    from humanst.store.summary import build_summary

    if ctx.atlas is None:
        return []
    ctx.step("atlas build summary")
    summary = build_summary(ctx.atlas.root)
    return [
        Section(
            f"Atlas build ({ctx.atlas.root.name})",
            [Text(summary.totals_line()), tables.build_table(summary, "build")],
            anchor="atlas",
        )
    ]


EXPLAIN = [
    Text(
        "Results: Pearson r between measured and predicted targets, per held-out patient, averaged over targets and "
        "then over patients, with a 95% bootstrap interval over patients; 'gap' is pathway minus matched random set."
    ),
    Text(
        "Gains: for every pathway, the paired difference B - A over the same held-out patients; the open grey marker "
        "is the matched random gene set's difference. Spatial maps: the H&E of each held-out sample, then measured "
        "activity and each encoder's out-of-fold prediction on the spot footprints. Training curves: every column "
        "of the run's metrics.csv (loss parts, temperature, learning rate, validation and drift metrics when logged)."
    ),
]


def _check_out(out: Path) -> None:
    if out.is_file() or (out.is_dir() and any(out.iterdir()) and not (out / INDEX).is_file()):
        msg = f"'{out}' exists and is not a report folder (no {INDEX}); choose an empty or new --out folder"
        raise BenchmarkError(msg)


def write_report(
    results: Sequence[Path],
    out: Path,
    *,
    atlas: Path | None = None,
    runs: Sequence[Path] = (),
    pathways: Sequence[str] = (),
    n_boot: int = 2000,
    step: Step | None = None,
) -> ReportSummary:
    """Write the HTML report of ``results`` into ``out`` (replaced whole when it is an older report).

    Parameters
    ----------
    results
        Result files or folders (``stamp-bench run --out``), any mix of base, aligned and baselines.
    out
        The report folder: ``index.html`` and the PNG figures.
    atlas
        The atlas the results were computed on: spatial maps and the build summary (skipped without it).
    runs
        ``stamp fit`` run folders of the aligned results (training curves and run cards), matched by adapter hash.
    pathways
        Targets always mapped and summarised (e.g. a programme of interest), besides the best and worst gains.
    n_boot
        Bootstrap resamples over patients.
    step
        Called with a short description before each step (progress display).

    Raises
    ------
    BenchmarkError
        No readable result, a named pathway that no result predicts, or an ``out`` that is not a report folder.
    """
    from humanst.store.atlas import Atlas

    started = time.perf_counter()
    out = Path(out)
    _check_out(out)
    inputs = load_inputs(results, runs)
    _check_named(pathways, inputs)
    summary = ReportSummary(index=out / INDEX, notes=list(inputs.notes))
    with atomic_path(out) as folder:
        folder.mkdir(parents=True)
        ctx = ReportContext(
            folder,
            Atlas.open(atlas) if atlas is not None else None,
            list(pathways),
            n_boot,
            step or (lambda _: None),
            summary,
        )
        sections: list[Section] = []
        for index, group in enumerate(inputs.groups):
            sections += task_sections(ctx, group, index)
        sections += _run_sections(ctx, inputs)
        everything = [r for g in inputs.groups for r in g.results]
        sections.append(
            Section("Result files", [tables.result_card_table(everything, "result-cards")], anchor="provenance")
        )
        sections += _build_section(ctx)
        if atlas is None:
            summary.notes.append("no --atlas given: no spatial maps and no atlas build summary")
        if summary.notes:
            sections.append(Section("Notes", [Text(n, css="note") for n in summary.notes], anchor="notes"))
        summary.seconds = time.perf_counter() - started
        intro = [
            Text(
                f"{len(everything)} result file(s), {len(inputs.groups)} task(s); written by stamp-bench {__version__} "
                f"in {summary.seconds:.1f} s.",
                css="muted",
            ),
            *EXPLAIN,
        ]
        if ctx.headline:
            sections.insert(0, Section("Summary", ctx.headline, anchor="summary"))
        page = render_page("stamp-bench report", intro, sections, generator=f"stamp-bench report {__version__}")
        (folder / INDEX).write_text(page, encoding="utf-8")
    return summary
