"""The sections of one task: its results, each B-vs-A comparison with per-target gains, and the spatial maps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.report import sections as tables
from benchmarks.report.context import ReportContext
from benchmarks.report.gains import TargetGain, aligned_rows, target_gains
from benchmarks.report.inputs import LoadedResult, TaskGroup
from benchmarks.report.page import Block, Figure, Section, Text
from benchmarks.stats import pearson_columns
from humanst.errors import HumanstError

__all__ = ["N_BEST", "task_sections"]

N_BEST = 2  # best- and worst-gaining targets mapped beside the named ones


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
    if len(patients) < a.result.intervals.min_patients:
        lines[0] += (
            f" (fewer than {a.result.intervals.min_patients}: no interval over patients, values per patient; "
            "no population claim)"
        )
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


def _maps(
    ctx: ReportContext, group: TaskGroup, block: str, picked: Sequence[tuple[TargetGain, str]], prefix: str
) -> list[Block]:
    from benchmarks.report.gain_plot import short_names
    from benchmarks.report.maps import MapRow, draw_sample_maps, read_sample_geometry

    a = group.reference
    if ctx.atlas is None or a is None or a.predictions is None or not picked:
        return []
    models = [m for m in group.models if m.predictions is not None]
    orders = {id(m): aligned_rows(a.predictions, m.predictions) for m in models}  # type: ignore[arg-type]
    blocks_out: list[Block] = []
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
        file = ctx.save(fig, f"{prefix}maps_{sample}")
        caption = (
            f"{sample} ({len(rows)} held-out spots): left the H&E; then per row one target's measured activity and "
            "each encoder's out-of-fold prediction on the spot footprints, one colour scale per row (ridge predictions "
            "are shrunk towards the mean, so they look flatter than the measured map; r on this sample in each title)."
        )
        blocks_out.append(Figure(file, f"spatial maps of {sample}", caption))
    return blocks_out


def task_sections(ctx: ReportContext, group: TaskGroup, index: int) -> list[Section]:
    """Sections of one task: results table, then per compared entry its comparison, gains and (first) maps."""
    from benchmarks.report.gain_plot import draw_gains
    from benchmarks.spot.compare import compare_results

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
            gains = target_gains(
                a.predictions, b.predictions, block, n_boot=ctx.n_boot, min_patients=a.result.intervals.min_patients
            )
            picked = _pick(gains, ctx.named)
            if j == 0 and k == 0:
                lines = _summary_lines(group, a, b, picked)
                ctx.summary.lines += lines
                ctx.headline += [
                    Text(f"{lines[0]}. Mapped targets ({block}): the named ones, the {N_BEST} best and worst gains."),
                    tables.highlight_table(picked, f"summary-{index}"),
                ]
            fig = draw_gains(gains, a_label=a.label, b_label=b.label, highlight=ctx.named, title=block)
            file = ctx.save(fig, f"{prefix}gains_{j}_{block}")
            caption = (
                "Per target: B - A Pearson r (filled, mean over held-out patients, 95% paired-bootstrap CI over "
                f"patients when at least {a.result.intervals.min_patients} are held out, else no bar) and the "
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
                tables.gains_table(
                    gains, f"gains-{index}-{j}-{k}", fold=f"every target of {block} ({len(gains)}), largest gain first"
                ),
            ]
            if j == 0:
                maps = _maps(ctx, group, block, picked, f"{prefix}{k}_")
                if maps:
                    out.append(Section(f"Spatial maps ({block})", maps, level=3))
    return out
