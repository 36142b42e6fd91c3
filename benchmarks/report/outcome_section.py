"""The sections of one tier-2/3 task: its scores, its verdict rows, the figure of its kind, and heatmaps on slides.

The figure follows the task's kind (:data:`KIND_FIGURES`): ROC curves for a status (classification), Kaplan-Meier
curves of risk groups for survival, predicted vs measured per pathway for slide activity (regression). Everything is
drawn from the results and the out-of-fold predictions kept beside them; the numbers printed (AUROC, balanced
accuracy, C-index, r, counts) are the results' own, computed by the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from benchmarks.controls import control_set_name
from benchmarks.leaderboard.collect import fmt_metric
from benchmarks.report.context import ReportContext
from benchmarks.report.inputs import LoadedResult, TaskGroup
from benchmarks.report.page import Block, Figure, Section, Table, Text
from benchmarks.report.verdict import Verdict, verdict_table
from benchmarks.schema import OutcomeScore
from benchmarks.slide.metrics import METRIC_NAMES, THRESHOLD
from humanst.errors import HumanstError

__all__ = ["KIND_FIGURES", "outcome_sections", "outcome_table"]

Blocks = Callable[[ReportContext, TaskGroup, list[LoadedResult], str], list[Block]]


def _score(loaded: LoadedResult, probe: str, block: str = "label") -> OutcomeScore | None:
    return next((s for s in loaded.result.outcomes if s.probe == probe and s.block == block), None)


def _probes(models: Sequence[LoadedResult]) -> list[str]:
    return list(dict.fromkeys(s.probe for m in models for s in m.result.outcomes if s.block == "label"))


def _counts(score: OutcomeScore) -> str:
    return ", ".join(f"{k.removeprefix('n_').replace('_', ' ')} {v}" for k, v in score.counts.items())


def outcome_table(group: TaskGroup, table_id: str) -> Table:
    """Every result's scores on the task: per probe and block its metrics with 95% intervals, and the counts."""
    metrics = list(dict.fromkeys(m for r in group.results for s in r.result.outcomes for m in s.metrics))
    rows = []
    for loaded in group.results:
        role = "A" if loaded is group.reference else ("B" if loaded in group.compared else loaded.result.kind)
        for score in loaded.result.outcomes:
            rows.append(
                [loaded.label, role, score.probe, score.target, *[fmt_metric(score.metrics.get(m)) for m in metrics],
                 _counts(score), score.interval.replace("_", " ")]
            )  # fmt: skip
    headers = ["entry", "role", "probe", "target", *[METRIC_NAMES.get(m, m) for m in metrics], "counts", "interval"]
    return Table(table_id, headers, rows, numeric=frozenset(range(4, 4 + len(metrics))))


def _roc_blocks(ctx: ReportContext, group: TaskGroup, models: list[LoadedResult], prefix: str) -> list[Block]:
    from benchmarks.report.roc import draw_roc, roc_curve_of

    panels = []
    for probe in _probes(models):
        curves = []
        for model in models:
            score, preds = _score(model, probe), model.outcomes
            if score is None or preds is None or (probe, "label") not in preds.predicted:
                continue
            legend = (
                f"AUROC {fmt_metric(score.metrics.get('auroc'))}\n"
                f"bal. acc. {fmt_metric(score.metrics.get('balanced_accuracy'))} at {THRESHOLD:g}"
            )
            y, p = preds.measured["label"][:, 0], preds.predicted[(probe, "label")][:, 0]
            curves.append(roc_curve_of(model.label, y, p, n_boot=ctx.n_boot, seed=0, legend=legend))
        panels.append((probe, curves))
    file = ctx.save(draw_roc(panels, title=group.task), f"{prefix}roc")
    caption = (
        "ROC curves of the out-of-fold probabilities (each patient scored by the fold model that never saw it), one "
        f"panel per probe; shaded: pointwise 95% band over {ctx.n_boot} patient resamples; dashed: chance; dot: the "
        f"operating point at probability {THRESHOLD:g}, where the balanced accuracy is taken. AUROC and balanced "
        "accuracy with their 95% patient-bootstrap intervals are the results' own (table above)."
    )
    return [Figure(file, f"ROC curves of {group.task}", caption)]


def _km_blocks(ctx: ReportContext, group: TaskGroup, models: list[LoadedResult], prefix: str) -> list[Block]:
    from benchmarks.report.survival import at_risk_ticks, draw_kaplan_meier, kaplan_meier

    panels, notes, captions = [], [], []
    time = next(m.outcomes.measured["label"][:, 0] for m in models if m.outcomes is not None)
    ticks = at_risk_ticks(time)
    for model in models:
        preds = model.outcomes
        for probe in _probes(models):
            score = _score(model, probe)
            if preds is None or score is None or (probe, "label") not in preds.predicted:
                continue
            y = preds.measured["label"]
            km = kaplan_meier(model.label, probe, y[:, 0], y[:, 1], preds.predicted[(probe, "label")][:, 0], ticks)
            if km is None:
                notes.append(f"{group.task}: {model.label} [{probe}] predicts too few distinct risks to split")
                continue
            panels.append(km)
            counts = score.counts
            captions.append(
                f"{model.label} [{probe}]: C-index {fmt_metric(score.metrics.get('c_index'))} over "
                f"{preds.n_patients} patients, {counts.get('n_events', 0)} events, "
                f"{counts.get('n_comparable_pairs', 0)} comparable pairs"
            )
    ctx.summary.notes += notes
    if not panels:
        return []
    file = ctx.save(draw_kaplan_meier(panels, title=group.task), f"{prefix}km")
    caption = (
        f"Kaplan-Meier curves of the risk groups ({panels[0].rule}), one panel per entry and probe, numbers at risk "
        "below, log-rank test across the groups in each title. " + "; ".join(captions) + "."
    )
    rows = [
        [km.label, km.probe, g.name, str(g.n), str(g.events), km.median_text(g), " / ".join(map(str, g.at_risk)),
         f"{km.chi2:.2f}", f"{km.p:.3g}"]
        for km in panels
        for g in km.groups
    ]  # fmt: skip
    ticks_text = " / ".join(f"{t:g}" for t in ticks)
    headers = ["entry", "probe", "risk group", "patients", "events", "median survival", f"at risk ({ticks_text})"]
    headers += ["log-rank chi2", "log-rank p"]
    table = Table(f"{prefix}km", headers, rows, numeric=frozenset({3, 4, 5, 7, 8}), caption=panels[0].rule)
    return [Figure(file, f"Kaplan-Meier curves of {group.task}", caption), table]


def _activity_blocks(ctx: ReportContext, group: TaskGroup, models: list[LoadedResult], prefix: str) -> list[Block]:
    from benchmarks.report.activity import ActivitySeries, draw_activity

    out: list[Block] = []
    for k, probe in enumerate(_probes(models)):
        targets = next(m.outcomes.targets["label"] for m in models if m.outcomes is not None)
        panels = []
        for j, target in enumerate(targets):
            series = []
            for model in models:
                score, control, preds = _score(model, probe), _score(model, probe, "control"), model.outcomes
                if score is None or preds is None or (probe, "label") not in preds.predicted:
                    continue
                series.append(
                    ActivitySeries(
                        model.label, preds.measured["label"][:, j], preds.predicted[(probe, "label")][:, j],
                        score.per_target.get(target),
                        control.per_target.get(control_set_name(target)) if control is not None else None,
                    )
                )  # fmt: skip
            panels.append((target, series))
        file = ctx.save(draw_activity(panels, title=f"{group.task} [{probe}]"), f"{prefix}activity_{k}")
        caption = (
            f"Probe {probe}: per pathway, each held-out patient's measured slide activity (x) against the out-of-fold "
            "prediction (y), one colour per entry; in each panel the Pearson r across patients, the r of the "
            "pathway's size- and expression-matched random gene set, and their gap (the specific signal)."
        )
        out.append(Figure(file, f"predicted vs measured activity, {probe}", caption))
    return out


KIND_FIGURES: dict[str, Blocks] = {
    "classification": _roc_blocks,
    "survival": _km_blocks,
    "regression": _activity_blocks,
}


def _measured_text(kind: str, y: np.ndarray) -> str:
    if kind == "classification":
        return f"label {int(y[0])}"
    if kind == "survival":
        return f"time {y[0]:g}, {'event' if y[1] else 'censored'}"
    return f"measured {y[0]:.3g}"


def _heatmap_blocks(ctx: ReportContext, group: TaskGroup, models: list[LoadedResult], prefix: str) -> list[Block]:
    from benchmarks.report.heatmaps import (
        MAX_PATIENTS,
        HeatmapPanel,
        HeatmapRow,
        draw_heatmaps,
        pick_patients,
        read_thumbnail,
        tile_raster,
    )

    with_tiles = [(m, m.outcomes, m.outcomes.tiles) for m in models if m.outcomes is not None and m.outcomes.tiles]
    if ctx.slide_files is None or not with_tiles:
        return []
    kind = with_tiles[0][1].kind
    targets = with_tiles[0][1].targets["label"]
    column = next((targets.index(n) for n in ctx.named if n in targets), 0) if kind == "regression" else 0
    out: list[Block] = []
    for k, probe in enumerate(_probes([m for m, _, _ in with_tiles])):
        entries = [e for e in with_tiles if probe in e[1].tile_scores]
        if not entries:
            continue
        ranked = [(m.label, o.patients, o.predicted[(probe, "label")][:, column]) for m, o, _ in entries]
        rows = []
        for patient, why in pick_patients(ranked):
            _, first, first_places = entries[0]
            i = first.patients.tolist().index(patient)
            places = first_places[i]
            slide = max(places.slides, key=lambda s: (len(places.of_slide(s)), -places.slides.index(s)))
            if slide not in ctx.slide_files:
                ctx.summary.notes.append(f"heatmap of {patient}: slide {slide!r} is not in the --cohort folder")
                continue
            try:
                thumb = ctx.thumbnails.get(slide) or read_thumbnail(ctx.slide_files[slide])
            except (HumanstError, OSError) as exc:
                ctx.summary.notes.append(f"heatmap of {patient}: {exc}")
                continue
            ctx.thumbnails[slide] = thumb
            panels = []
            for model, preds, their_places in entries:
                j = preds.patients.tolist().index(patient)
                mine = their_places[j]
                tiles = mine.of_slide(slide)
                scores = preds.tile_scores[probe][j]
                values = scores[tiles, column if scores.shape[1] > 1 else 0]
                side = int(mine.tile_px[mine.slides.index(slide)])
                raster = tile_raster(thumb, mine.xy_px[tiles], side, values)
                predicted = float(preds.predicted[(probe, "label")][j, column])
                panels.append(HeatmapPanel(model.label, predicted, raster))
            measured = _measured_text(kind, first.measured["label"][i])
            rows.append(HeatmapRow(f"{patient}: {why}\n{measured}", thumb, panels))
        if not rows:
            continue
        what = entries[0][1].tile_what.get(probe, "per-tile score")
        ctx.step(f"heatmaps: {group.task} {probe}")
        target = f" ({targets[column]})" if kind == "regression" else ""
        file = ctx.save(draw_heatmaps(rows, score=probe, title=f"{group.task} [{probe}]{target}"), f"{prefix}heat_{k}")
        caption = (
            f"Probe {probe}: {what}, for held-out patients (fold model that never saw them){target}. Rows: for each "
            f"entry in turn its highest- and lowest-predicted patient, no repeats, at most {MAX_PATIENTS}; each "
            "patient's slide with the most tiles. Left the slide, then each entry's scores over its tiles on the "
            "greyed slide, one colour scale per row (bar at the right)."
        )
        out.append(Figure(file, f"heatmaps of {group.task}, {probe}", caption))
    return out


def _task_text(group: TaskGroup, a: LoadedResult | None) -> str:
    first = (a or group.results[0]).result
    parts = [f"{len(first.task.patients)} patients", f"{first.task.n_samples} slides"]
    if first.cohort is not None:
        parts.append(f"cohort {first.cohort.name}")
        excluded = ", ".join(f"{k} {v}" for k, v in first.cohort.excluded.items())
        if excluded:
            parts.append(f"left out: {excluded}")
    if first.task.negative_control_of:
        parts.append(f"negative control of {', '.join(first.task.negative_control_of)} (chance expected)")
    return "; ".join(parts) + "."


def outcome_sections(ctx: ReportContext, group: TaskGroup, index: int, verdict: Verdict) -> list[Section]:
    """Sections of one tier-2/3 task: results table, its verdict rows, the kind's figure, heatmaps on slides."""
    prefix = f"t{index}_"
    a = group.reference
    kind = next((s.kind for r in group.results for s in r.result.outcomes), "")
    main = Section(f"Task {group.task} (tier {group.tier}, {kind})", anchor=f"task-{index}")
    main.blocks += [Text(_task_text(group, a)), outcome_table(group, f"results-{index}")]
    mine = Verdict([r for r in verdict.rows if r.task == group.task])
    if mine.rows:
        main.blocks.append(verdict_table(mine, f"verdict-{index}"))
    models = [m for m in group.models if m.outcomes is not None]
    if not models:
        ctx.summary.notes.append(f"task {group.task}: no model result with readable predictions; no figures")
        return [main]
    ctx.step(f"{kind} figures: {group.task}")
    main.blocks += KIND_FIGURES[kind](ctx, group, models, prefix)
    heat = _heatmap_blocks(ctx, group, models, prefix)
    out = [main]
    if heat:
        out.append(Section(f"Heatmaps on slides ({group.task})", list(heat), level=3))
    if a is None or not group.compared:
        ctx.summary.notes.append(f"task {group.task}: one model result; B vs A needs two (e.g. base and aligned)")
    return out
