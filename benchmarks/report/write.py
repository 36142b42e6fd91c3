"""``stamp-bench report``: result folders (+ atlas, cohort, STAMP runs) -> ``DIR/index.html`` with PNGs beside it.

The page opens with the verdict (:mod:`benchmarks.report.verdict`), then one section per task: tier 1 with gains
and spatial maps (:mod:`benchmarks.report.task_section`), tiers 2-3 with ROC, Kaplan-Meier or activity figures and
heatmaps on slides (:mod:`benchmarks.report.outcome_section`). Beside ``index.html`` sits ``report.json``, the
list of results the page shows and where (the leaderboard links its entries to it). The folder is written under a
temporary name and renamed into place when complete, so a report is never half written. What could not be shown
(a result without predictions, a run that matches nothing, a sample missing from the atlas) is listed on the page
and returned in :attr:`ReportSummary.notes`.
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
from benchmarks.report.links import INDEX, write_report_manifest
from benchmarks.report.outcome_section import outcome_sections
from benchmarks.report.page import Block, Figure, Pre, Section, Text, render_page
from benchmarks.report.run_verdict import run_verdict_lines, run_verdict_table
from benchmarks.report.task_section import task_sections
from benchmarks.report.verdict import verdict_lines, verdict_table
from benchmarks.report.verdict_rows import build_verdict
from humanst.atomic import atomic_path

__all__ = ["ReportSummary", "write_report"]


def _check_named(named: Sequence[str], inputs: ReportInputs) -> None:
    """Refuse a ``--pathway`` that no pathway block of any result predicts, naming close matches."""
    results = [r.result for g in inputs.groups for r in g.results]
    spots = {t for r in results for b in r.blocks if b.kind == "pathways" for t in b.per_target}
    activity = [s for r in results for s in r.outcomes if s.kind == "regression" and s.block == "label"]
    slides = {t for s in activity for t in s.per_target}
    known = sorted(spots | slides)
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
        "Verdict: for every pair of entries given (base, aligned, a random-aligned control; replicate seeds of one "
        "fit are one entry), one row per task, probe and target: B - A over the same held-out patients with its 95% "
        "interval (below 5 held-out patients: the per-patient values and, at tier 1, a paired interval within these "
        "patients' tissue), the spread over seeds beside it, each control right under the row it controls (matched "
        "random gene sets, negative-control tasks whose label no image can predict); then each STAMP run's own "
        "verdict on its validation spots. "
        "Tiers 2-3: ROC curves (status), Kaplan-Meier curves of predicted risk groups (survival), predicted vs "
        "measured activity per pathway, and heatmaps of each probe's per-tile scores on the slides."
    ),
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


def _cohort_slides(cohort: Path | None, inputs: ReportInputs, notes: list[str]) -> dict[str, Path] | None:
    """Slide id -> file of the ``--cohort`` folder (``None`` without one; a note when it is another cohort)."""
    from benchmarks.cohorts.record import CohortFolder

    has_tiers23 = any(g.tier > 1 for g in inputs.groups)
    if cohort is None:
        if has_tiers23:
            notes.append("no --cohort given: no heatmaps on slides (pass the cohort folder of the tier-2/3 results)")
        return None
    folder = CohortFolder(cohort)
    record = folder.read()
    names = {r.result.cohort.name for g in inputs.groups for r in g.results if r.result.cohort is not None}
    if names and record.name not in names:
        notes.append(f"--cohort '{cohort}' holds {record.name!r}, not the results' {sorted(names)}: no heatmaps")
        return None
    return {s.slide_id: folder.root / s.file for s in record.slides}


def _check_out(out: Path) -> None:
    if out.is_file() or (out.is_dir() and any(out.iterdir()) and not (out / INDEX).is_file()):
        msg = f"'{out}' exists and is not a report folder (no {INDEX}); choose an empty or new --out folder"
        raise BenchmarkError(msg)


def write_report(
    results: Sequence[Path],
    out: Path,
    *,
    atlas: Path | None = None,
    cohort: Path | None = None,
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
    cohort
        The cohort folder of the tier-2/3 results (``stamp-bench fetch-cohort``): slide thumbnails for the heatmaps
        (skipped without it).
    runs
        ``stamp fit`` run folders (or ``--seeds`` folders) of the aligned results: their verdicts, and for those
        matched to a result by adapter hash the training curves and run cards. A run aligned to random targets
        marks its results as the negative control, compared as A before the other adapters.
    pathways
        Targets always mapped and summarised (e.g. a programme of interest), besides the best and worst gains.
    n_boot
        Bootstrap resamples over patients.
    step
        Called with a short description before each step (progress display).

    Raises
    ------
    BenchmarkError
        No readable result, a named pathway that no result predicts, an ``out`` that is not a report folder, or a
        ``cohort`` that is not a cohort folder.
    """
    from humanst.store.atlas import Atlas

    started = time.perf_counter()
    out = Path(out)
    _check_out(out)
    inputs = load_inputs(results, runs)
    _check_named(pathways, inputs)
    summary = ReportSummary(index=out / INDEX, notes=list(inputs.notes))
    slide_files = _cohort_slides(cohort, inputs, summary.notes)
    with atomic_path(out) as folder:
        folder.mkdir(parents=True)
        ctx = ReportContext(
            folder,
            Atlas.open(atlas) if atlas is not None else None,
            list(pathways),
            n_boot,
            step or (lambda _: None),
            summary,
            slide_files=slide_files,
        )
        ctx.step("verdict")
        verdict = build_verdict(inputs.groups, n_boot=n_boot, controls=inputs.control_adapters)
        summary.notes += verdict.notes
        sections: list[Section] = []
        runs_table = run_verdict_table(inputs.every_run, "verdict-runs")
        verdict_blocks: list[Block] = [verdict_table(verdict, "verdict")] if verdict.rows else []
        if runs_table is not None:
            verdict_blocks += [Text("The STAMP runs' own verdicts (validation spots):"), runs_table]
        if verdict_blocks:
            sections.append(Section("Verdict", verdict_blocks, anchor="verdict"))
        for index, group in enumerate(inputs.groups):
            if group.tier == 1:
                sections += task_sections(ctx, group, index)
            else:
                sections += outcome_sections(ctx, group, index, verdict)
        summary.lines += verdict_lines(verdict) + run_verdict_lines(inputs.every_run)
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
            sections.insert(1 if verdict_blocks else 0, Section("Summary (tier 1)", ctx.headline, anchor="summary"))
        page = render_page("stamp-bench report", intro, sections, generator=f"stamp-bench report {__version__}")
        (folder / INDEX).write_text(page, encoding="utf-8")
        write_report_manifest(folder, inputs.groups)
    return summary
