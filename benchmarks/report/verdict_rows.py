"""The verdict's rows, from ``stamp-bench compare``'s own comparisons of every pair of entries.

Tier 1: :func:`benchmarks.spot.compare.compare_pairs` of the pair's seed pairs (:func:`pair_replicates`): the
paired bootstrap over patients, or below ``min_patients`` the per-patient values and the paired interval within
these patients' tissue (:mod:`benchmarks.spot.tissue_compare`), and for seeds the spread over seed pairs. Tiers
2-3: :func:`benchmarks.slide.compare.compare_outcomes` of each seed pair on its own (as ``compare`` prints them),
with the spread of B - A over the seed pairs beside each. Nothing is recomputed here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from benchmarks.errors import ResultError
from benchmarks.report.entries import Entry, entry_pairs, task_entries
from benchmarks.report.inputs import TaskGroup
from benchmarks.report.verdict import GAP, NEGATIVE, RANDOM, TASK, Verdict, VerdictRow, ordered
from benchmarks.schema import Metric, Result
from benchmarks.slide.metrics import CHANCE, METRIC_NAMES
from benchmarks.spot.result_sets import pair_replicates

__all__ = ["build_verdict"]


def _outcome_metric(result: Result, probe: str, block: str, metric: str) -> Metric | None:
    score = next((s for s in result.outcomes if s.probe == probe and s.block == block), None)
    return score.metrics.get(metric) if score is not None else None


def _spot_rows(a: Entry, b: Entry, n_boot: int) -> list[VerdictRow]:
    from benchmarks.spot.compare import compare_pairs

    protocol = a.results[0].result.task.protocol
    probe = f"ridge ({protocol})"
    rows = []
    for c in compare_pairs(pair_replicates(a.set_items(), b.set_items()), n_boot=n_boot):
        role = {"random": RANDOM, "gap": GAP}.get(c.kind, TASK)
        rows.append(
            VerdictRow(
                task=c.task, tier=1, probe=probe, target=c.target, metric="Pearson r", a_label=a.label,
                b_label=b.label, a=c.a, b=c.b, diff=c,
                per_patient=() if c.population else tuple((p, d) for p, (_, _, d) in c.per_patient.items()),
                role=role, control_of=(c.task, probe, c.control_of) if role != TASK else None,
                tissue=c.tissue, tissue_note=c.tissue_note, seeds=c.seeds,
            )
        )  # fmt: skip
    return rows


def _outcome_rows(a: Entry, b: Entry, n_boot: int) -> list[VerdictRow]:
    from benchmarks.slide.compare import compare_outcomes
    from benchmarks.spot.compare import SeedSpread

    pairs = pair_replicates(a.set_items(), b.set_items())
    rows: list[tuple[str, VerdictRow]] = []  # (block, row)
    per_seed: dict[tuple[str, str], dict[str, float]] = {}
    for x, y in pairs:
        task = x.result.task
        a_label = a.label if len(a.results) == 1 else x.result.embedding_key
        b_label = b.label if len(b.results) == 1 else y.result.embedding_key
        seed = f"{x.seed}" if y.seed is None else f"{y.seed}"
        compared = compare_outcomes(x.result, y.result, x.folder, y.folder, n_boot=n_boot, blocks=("label", "control"))
        label_of = {c.probe: c.target for c in compared if c.block == "label"}
        for c in compared:
            per_seed.setdefault((c.probe, c.block), {})[seed] = c.diff
            role, link, chance = TASK, None, None
            if c.block == "control":
                role, link = RANDOM, (task.name, c.probe, label_of.get(c.probe, ""))
            elif task.negative_control_of:
                role, link, chance = NEGATIVE, (task.negative_control_of[0], c.probe, ""), CHANCE.get(c.metric)
            row = VerdictRow(
                task=task.name, tier=task.tier, probe=c.probe, target=c.target,
                metric=METRIC_NAMES.get(c.metric, c.metric), a_label=a_label, b_label=b_label,
                a=_outcome_metric(x.result, c.probe, c.block, c.metric),
                b=_outcome_metric(y.result, c.probe, c.block, c.metric), diff=c, role=role, control_of=link,
                chance=chance,
            )  # fmt: skip
            rows.append((c.block, row))
            for other in task.negative_control_of[1:] if role == NEGATIVE else ():  # a control of several tasks
                rows.append((c.block, dataclasses.replace(row, control_of=(other, c.probe, ""))))
    if len(pairs) == 1:
        return [row for _, row in rows]
    spreads = {key: SeedSpread(values) for key, values in per_seed.items()}  # beside each seed pair's own row
    return [dataclasses.replace(row, seeds=spreads[(row.probe, block)]) for block, row in rows]


def build_verdict(groups: Sequence[TaskGroup], *, n_boot: int, controls: Collection[str] = ()) -> Verdict:
    """Compare every pair of entries of every task; return the rows, each followed by its controls.

    ``controls``: adapter hashes of negative-control runs (``data.targets: random``), compared as A before the
    other adapters (:mod:`benchmarks.report.entries`).
    """
    rows: list[VerdictRow] = []
    notes: list[str] = []
    for group in groups:
        for a, b in entry_pairs(task_entries(group, controls)):
            try:
                rows += _spot_rows(a, b, n_boot) if group.tier == 1 else _outcome_rows(a, b, n_boot)
            except ResultError as exc:  # predictions missing or edited, seeds unpaired: the rest goes on
                notes.append(f"verdict of {group.task}, {b.label} vs {a.label}: {exc}")
    return Verdict(ordered(rows), notes)
