"""``stamp-bench report``: result folders (+ atlas, + STAMP runs) -> ``DIR/index.html`` with PNG figures beside it.

The folder is written under a temporary name and renamed into place when complete, so a report is never half
written. What could not be shown (a result without predictions, a run that matches nothing, a sample missing
from the atlas) is listed on the page and returned in :attr:`ReportSummary.notes`.
"""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from benchmarks import __version__
from benchmarks.errors import BenchmarkError
from benchmarks.report import sections as tables
from benchmarks.report.gains import TargetGain, aligned_rows, target_gains
from benchmarks.report.inputs import LoadedResult, ReportInputs, TaskGroup, load_inputs
from benchmarks.report.page import Block, Figure, Pre, Section, Text, render_page
from benchmarks.stats import pearson_columns
from humanst.atomic import atomic_path
from humanst.errors import HumanstError

if TYPE_CHECKING:
    from matplotlib.figure import Figure as MplFigure

    from humanst.store.atlas import Atlas

__all__ = ["ReportSummary", "write_report"]

INDEX = "index.html"
N_BEST = 2  # best- and worst-gaining targets mapped beside the named ones
Step = Callable[[str], None]


@dataclass
class ReportSummary:
    """What was written: the page, its figures, the short A-vs-B summary lines and the notes."""

    index: Path
    figures: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class _Context:
    folder: Path
    atlas: Atlas | None
    named: list[str]
    n_boot: int
    step: Step
    summary: ReportSummary
    headline: list[Block] = field(default_factory=list)  # the page's summary: first A-vs-B pair, mapped targets


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]", "_", name).strip("._") or "x"


def _save(ctx: _Context, fig: MplFigure, name: str) -> str:
    file = _safe(name) + ".png"
    fig.savefig(ctx.folder / file, format="png", dpi=fig.dpi)
    ctx.summary.figures.append(file)
    return file


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


def _pick(gains: Sequence[TargetGain], named: Sequence[str]) -> list[tuple[TargetGain, str]]:
    """Pick the named targets, then the N_BEST best- and worst-gaining ones (no repeats)."""
    by_name = {g.target: g for g in gains}
    picked = [(by_name[n], "named") for n in named if n in by_name]
    finite = [g for g in gains if np.isfinite(g.gain.diff)]
    picked += [(g, "best gain") for g in finite[:N_BEST]]
    picked += [(g, "worst gain") for g in reversed(finite[-N_BEST:])]
    seen: set[str] = set()
    out = []
    for gain, why in picked:
        if gain.target not in seen:
            seen.add(gain.target)
            out.append((gain, why))
    return out


def _summary_lines(
    group: TaskGroup, a: LoadedResult, b: LoadedResult, picked: Sequence[tuple[TargetGain, str]]
) -> list[str]:
    patients = sorted(set(a.predictions.patient_ids.tolist())) if a.predictions is not None else []
    lines = [f"{group.task} ({group.protocol}): A = {a.label}, B = {b.label}; held-out patients {patients}"]
    for gain, why in picked:
        control = f"; matched random set B - A {gain.control.text()}" if gain.control is not None else ""
        lines.append(
            f"  {gain.target} ({why}): A r = {gain.a.text()}, B r = {gain.b.text()}, "
            f"B - A = {gain.gain.text()} over {gain.gain.n} patient(s){control}"
        )
    return lines


def _on_geometry(positions: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Values of the tested spots placed at their rows of the sample geometry (NaN for the others)."""
    out = np.full(n, np.nan)
    out[positions] = values
    return out


def _maps(ctx: _Context, group: TaskGroup, block: str, picked: Sequence[tuple[TargetGain, str]], prefix: str) -> list:
    from benchmarks.report.gain_plot import short_names
    from benchmarks.report.maps import MapRow, draw_sample_maps, read_sample_geometry

    a = group.reference
    if ctx.atlas is None or a is None or a.predictions is None or not picked:
        return []
    models = [m for m in group.models if m.predictions is not None]
    orders = {id(m): aligned_rows(a.predictions, m.predictions) for m in models}  # type: ignore[arg-type]
    blocks_out: list = []
    for sample in sorted(set(a.predictions.sample_ids.tolist())):
        ctx.step(f"maps: {sample}")
        try:
            geometry = read_sample_geometry(ctx.atlas, sample)
            rows = np.flatnonzero(a.predictions.sample_ids == sample)
            positions = geometry.positions(a.predictions.spot_ids[rows].tolist())
        except (KeyError, HumanstError, OSError, ValueError) as exc:  # a sample missing or unreadable: note it, go on
            ctx.summary.notes.append(f"maps of {sample}: {exc}")
            continue
        n = geometry.spot_ids.size
        map_rows = []
        names = short_names([g.target for g, _ in picked])
        for (gain, why), name in zip(picked, names, strict=True):
            measured, _ = a.predictions.block(block).column(gain.target)
            panels = [("measured", _on_geometry(positions, measured[rows], n))]
            for model in models:
                order = orders[id(model)][rows]
                truth, pred = model.predictions.block(block).column(gain.target)  # type: ignore[union-attr]
                r = float(pearson_columns(truth[order], pred[order])[0])
                label = f"{model.label}\nr = {r:.2f} on this sample"
                panels.append((label, _on_geometry(positions, pred[order], n)))
            map_rows.append(MapRow(f"{name}\n{why}, B - A {gain.gain.diff:+.2f}", panels))
        fig = draw_sample_maps(geometry, map_rows, title=f"{sample}: measured vs predicted ({block})")
        file = _save(ctx, fig, f"{prefix}maps_{sample}")
        caption = (
            f"{sample} ({len(rows)} held-out spots): left the H&E; then per row one target's measured activity and "
            "each encoder's out-of-fold prediction on the spot footprints, one colour scale per row (ridge predictions "
            "are shrunk towards the mean, so they look flatter than the measured map; r on this sample in each title)."
        )
        blocks_out.append(Figure(file, f"spatial maps of {sample}", caption))
    return blocks_out


def _task_sections(ctx: _Context, group: TaskGroup, index: int) -> list[Section]:
    from benchmarks.compare import compare_results
    from benchmarks.report.gain_plot import draw_gains

    prefix = f"t{index}_"
    a = group.reference
    out = [Section(f"Task {group.task} ({group.protocol})", anchor=f"task-{index}")]
    main = out[0]
    if a is not None and a.predictions is not None:
        patients = sorted(set(a.predictions.patient_ids.tolist()))
        samples = sorted(set(a.predictions.sample_ids.tolist()))
        main.blocks.append(
            Text(
                f"Held-out patients {', '.join(patients)}; samples {', '.join(samples)}; {a.predictions.n_spots} spots."
            )
        )
    main.blocks.append(tables.results_table(group, f"results-{index}"))
    if a is None or not group.compared:
        what = "only baselines" if a is None else f"one model result ({a.label})"
        ctx.summary.notes.append(
            f"task {group.task}: {what}; gains and maps need two model results (e.g. base and aligned folders)"
        )
        return out
    for j, b in enumerate(group.compared):
        ctx.step(f"compare {b.label} with {a.label}")
        sub = Section(f"{b.label} (B) vs {a.label} (A)", level=3)
        sub.blocks.append(
            tables.comparison_table(compare_results(a.result, b.result, n_boot=ctx.n_boot), f"compare-{index}-{j}")
        )
        out.append(sub)
        if a.predictions is None or b.predictions is None:
            continue
        for k, block in enumerate(n for n, x in a.predictions.blocks.items() if x.kind == "pathways"):
            if block not in b.predictions.blocks:
                continue
            gains = target_gains(a.predictions, b.predictions, block, n_boot=ctx.n_boot)
            picked = _pick(gains, ctx.named)
            if j == 0 and k == 0:
                lines = _summary_lines(group, a, b, picked)
                ctx.summary.lines += lines
                ctx.headline += [
                    Text(f"{lines[0]}. Mapped targets ({block}): the named ones, the {N_BEST} best and worst gains."),
                    tables.highlight_table(picked, f"summary-{index}"),
                ]
            fig = draw_gains(gains, a_label=a.label, b_label=b.label, highlight=ctx.named, title=block)
            file = _save(ctx, fig, f"{prefix}gains_{j}_{block}")
            caption = (
                "Per target: B - A Pearson r (filled, mean over held-out patients, 95% paired-bootstrap CI) and the "
                "same for its size- and expression-matched random gene set (open, grey). A gain the random set "
                "shares is not specific to the pathway. Named targets in red."
            )
            if not (j == 0 and k == 0):  # the first pair's mapped targets head the page (Summary)
                sub.blocks += [
                    Text(f"Mapped targets ({block}): the named ones, the {N_BEST} best and the {N_BEST} worst gains."),
                    tables.highlight_table(picked, f"highlight-{index}-{j}-{k}"),
                ]
            sub.blocks += [
                Figure(file, f"per-target gains {block}", caption),
                Text(f"Every target of {block}, largest gain first:"),
                tables.gains_table(gains, f"gains-{index}-{j}-{k}"),
            ]
            if j == 0:
                maps = _maps(ctx, group, block, picked, f"{prefix}{k}_")
                if maps:
                    out.append(Section(f"Spatial maps ({block})", maps, level=3))
    return out


def _run_sections(ctx: _Context, inputs: ReportInputs) -> list[Section]:
    from benchmarks.report.curves import draw_curves, read_metrics

    if not inputs.runs:
        return []
    out = [Section("STAMP training", anchor="training")]
    for adapter, run in inputs.runs.items():
        ctx.step(f"training curves: {adapter}")
        sub = Section(f"run {run.path.name} (adapter {adapter})", level=3)
        if run.metrics is not None:
            steps, columns = read_metrics(run.metrics)
            file = _save(ctx, draw_curves(steps, columns, title=f"adapter {adapter}"), f"curves_{adapter}")
            caption = f"metrics.csv of the run: {', '.join(columns)} against the step, grouped by kind."
            sub.blocks.append(Figure(file, f"training curves of adapter {adapter}", caption))
        else:
            ctx.summary.notes.append(f"run '{run.path}': no metrics.csv, no training curves")
        sub.blocks.append(tables.run_card_table(run, f"run-{adapter}"))
        if run.config_text:
            sub.blocks.append(Pre(run.config_text, summary="resolved config.yaml"))
        out.append(sub)
    return out


def _build_section(ctx: _Context) -> list[Section]:
    from humanst.store.inspect import build_summary

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
        ctx = _Context(
            folder,
            Atlas.open(atlas) if atlas is not None else None,
            list(pathways),
            n_boot,
            step or (lambda _: None),
            summary,
        )
        sections: list[Section] = []
        for index, group in enumerate(inputs.groups):
            sections += _task_sections(ctx, group, index)
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
