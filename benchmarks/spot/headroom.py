"""Fraction of headroom recovered for one programme: (model - base) / (ceiling - base), paired on the same tiles.

The positive control's question (docs/positive-control.md): of what a supervised fine-tune of the base on one
programme alone gains (the ceiling), how much does an alignment recover? Every encoder's tier-1 predictions of
that programme are scored per held-out patient on the same tiles of neighbouring spots, drawn once per replicate
for all of them (:mod:`stamp.probe.paired_blocks`, the tiles of the tier-1 intervals), so base, model and ceiling
are resampled together and the ratio's interval holds the tissue-sampling noise of all three: within these
patients' tissue, paired, no population claim. Replicate seeds of a model are averaged replicate by replicate
before the ratio, and each seed's own fraction is listed beside the mean (none is picked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.errors import ResultError
from benchmarks.spot.predictions import SpotPredictions
from benchmarks.spot.result_sets import LoadedResult, load_result_sets
from benchmarks.spot.tissue_compare import spot_predictions
from stamp.probe import BlockLayout, PatientScores, block_layouts, patient_scores
from stamp.probe.paired_blocks import PAIRED_LABEL, BlockDifference, paired_difference

__all__ = ["HeadroomRow", "HeadroomTable", "headroom", "headroom_markdown"]


@dataclass(frozen=True)
class HeadroomRow:
    """One encoder: its r for the programme, its gain over the base, and the fraction of headroom it recovered."""

    label: str
    gain: BlockDifference  # model - base, paired tiles
    fraction: float
    fraction_low: float
    fraction_high: float
    seed_fractions: dict[int, float] = field(default_factory=dict)  # replicate seed -> its own fraction


@dataclass(frozen=True)
class HeadroomTable:
    """The ceiling over the base, and every model's share of it, for one programme on one task's held-out spots."""

    pathway: str
    task: str
    ceiling: BlockDifference  # ceiling - base, paired tiles
    rows: list[HeadroomRow]

    @property
    def resampled(self) -> str:
        """What the intervals resampled, in words."""
        return (
            f"paired spatial block bootstrap: {self.ceiling.n_blocks} tiles of {self.ceiling.n_patients} patient(s)' "
            f"spots, {self.ceiling.n_boot} replicates, the same tiles for base, models and ceiling; {PAIRED_LABEL}"
        )


def _one_task(path: Path, task: str | None) -> tuple[str, list[LoadedResult]]:
    """Return the tier-1 result set of ``task`` in ``path`` (the only tier-1 task when ``task`` is None)."""
    sets = {k: v for k, v in load_result_sets(path).items() if v[0].result.task.tier == 1}
    keys = [k for k in sets if task in (None, k[0])]
    if len(keys) != 1:
        names = sorted(k[0] for k in sets)
        msg = (
            f"choose one task with --task: tier-1 results for {names}"
            if keys
            else f"no tier-1 result for task {task!r}: {names}"
        )
        raise ResultError(msg, path=path)
    return keys[0][0], sets[keys[0]]


def _column(predictions: SpotPredictions, pathway: str, where: Path) -> tuple[np.ndarray, np.ndarray]:
    for block in predictions.blocks.values():
        if block.kind == "pathways" and pathway in block.targets:
            measured, predicted = block.column(pathway)
            return measured[:, None], predicted[:, None]
    msg = f"no pathway block of the predictions holds {pathway!r}"
    raise ResultError(msg, path=where)


def _scores(
    items: Sequence[LoadedResult], pathway: str, layouts: dict[str, BlockLayout], keys: list[tuple[str, str]],
    *, n_boot: int, seed: int,
) -> list[PatientScores]:  # fmt: skip
    out = []
    for item in items:
        predictions = spot_predictions(item)
        if predictions.row_keys() != keys:
            msg = "predicted other spots than the base (another atlas, task or fold plan?)"
            raise ResultError(msg, path=item.folder)
        measured, predicted = _column(predictions, pathway, item.folder)
        patients = np.asarray(predictions.patient_ids).astype(str)
        out.append(patient_scores(measured, predicted, patients, layouts, n_boot=n_boot, seed=seed))
    return out


def _pooled(scores: PatientScores) -> tuple[float, np.ndarray]:
    patients = sorted(scores.point)
    return (
        float(np.mean([scores.point[p] for p in patients])),
        np.mean(np.column_stack([scores.replicates[p] for p in patients]), axis=1),
    )


def _fraction(model: PatientScores, base: PatientScores, ceiling: PatientScores) -> tuple[float, float, float]:
    (m, m_rep), (b, b_rep), (c, c_rep) = _pooled(model), _pooled(base), _pooled(ceiling)
    with np.errstate(divide="ignore", invalid="ignore"):
        reps = (m_rep - b_rep) / (c_rep - b_rep)
    reps = reps[np.isfinite(reps)]
    low, high = (float(v) for v in np.percentile(reps, [2.5, 97.5])) if reps.size else (np.nan, np.nan)
    return (m - b) / (c - b) if c != b else float("nan"), low, high


def headroom(
    base: Path, ceiling: Path, models: Sequence[Path], *, pathway: str, task: str | None = None,
    labels: Sequence[str] | None = None, n_boot: int = 1000, seed: int = 0,
) -> HeadroomTable:  # fmt: skip
    """Score base, ceiling and every model result (folder or file) on the same tiles for ``pathway``."""
    task_name, base_items = _one_task(base, task)
    reference = spot_predictions(base_items[0])
    if reference.coords_um is None:
        msg = "the base's predictions have no spot coordinates (written before schema 2); rerun `stamp-bench run`"
        raise ResultError(msg, path=base)
    layouts = block_layouts(
        reference.coords_um, reference.patient_ids, reference.sample_ids,
        side_um=base_items[0].result.intervals.block_um or None,
    )  # fmt: skip
    keys = reference.row_keys()

    def scored(path: Path) -> tuple[list[LoadedResult], list[PatientScores]]:
        items = _one_task(path, task_name)[1]
        return items, _scores(items, pathway, layouts, keys, n_boot=n_boot, seed=seed)

    base_scores = PatientScores.mean_of(_scores(base_items, pathway, layouts, keys, n_boot=n_boot, seed=seed))
    ceiling_scores = PatientScores.mean_of(scored(ceiling)[1])
    rows = []
    for i, path in enumerate(models):
        items, per_seed = scored(path)
        mean = PatientScores.mean_of(per_seed)
        fraction, low, high = _fraction(mean, base_scores, ceiling_scores)
        seeds = {
            item.seed: _fraction(s, base_scores, ceiling_scores)[0]
            for item, s in zip(items, per_seed, strict=True)
            if item.seed is not None and len(items) > 1
        }
        label = labels[i] if labels and i < len(labels) else path.name
        rows.append(HeadroomRow(label, paired_difference(base_scores, mean, layouts), fraction, low, high, seeds))
    return HeadroomTable(pathway, task_name, paired_difference(base_scores, ceiling_scores, layouts), rows)


def _interval(low: float, high: float) -> str:
    return f"[{low:+.3f}, {high:+.3f}]"


def headroom_markdown(table: HeadroomTable) -> str:
    """Render the table as Markdown: base, ceiling, then each model's r, gain and fraction of headroom recovered."""
    c = table.ceiling
    lines = [
        f"Headroom for {table.pathway} (task {table.task}): base r {c.a:+.3f}, ceiling r {c.b:+.3f}, "
        f"ceiling - base {c.diff:+.3f} {_interval(c.ci_low, c.ci_high)}",
        "",
        "| encoder | r | minus base [95% interval] | fraction of headroom [95% interval] | per seed |",
        "|---|---|---|---|---|",
    ]
    for row in table.rows:
        seeds = ", ".join(f"{s}: {f:+.2f}" for s, f in sorted(row.seed_fractions.items())) or "-"
        lines.append(
            f"| {row.label} | {row.gain.b:+.3f} | {row.gain.diff:+.3f} {_interval(row.gain.ci_low, row.gain.ci_high)} "
            f"| {row.fraction:+.2f} {_interval(row.fraction_low, row.fraction_high)} | {seeds} |"
        )
    lines += ["", f"Intervals: {table.resampled}."]
    return "\n".join(lines)
