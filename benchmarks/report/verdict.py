"""The verdict that opens the report: per task, probe and target, B - A with its interval and the controls beside it.

Rows are data taken from the results and their comparisons, never from a list in this module:

- every block (tier 1) or probe's target block (tiers 2-3) that A and B share is a row, with the paired difference
  of :func:`benchmarks.spot.compare.compare_results` or :func:`benchmarks.slide.compare.compare_outcomes` (its 95%
  interval, or the per-patient values when fewer than ``min_patients`` patients are held out);
- a row is a *control* of another when the results say so: a tier-1 random block's ``control_of``, the gap of the
  pathways to their random sets, a slide-activity task's ``control`` block, a task whose file declares it the
  ``negative_control_of`` another task (a label random by construction). A control sits right under the row it
  controls, so a new control (another null task, another random block) is a new row, not new code;
- every entry compared with the reference A (an aligned encoder, a random-set-aligned one, another seed) gives its
  own rows, labelled ``B vs A``.

Each row gets a reading in words from its interval (B above A, below A, no difference shown, no interval) and, for
a row with controls, whether they moved too.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from benchmarks.comparison import PairedDifference
from benchmarks.errors import ResultError
from benchmarks.leaderboard.collect import fmt_metric
from benchmarks.report.inputs import LoadedResult, TaskGroup
from benchmarks.report.page import Table
from benchmarks.schema import Metric
from benchmarks.slide.metrics import CHANCE, METRIC_NAMES

__all__ = ["Verdict", "VerdictRow", "build_verdict", "verdict_lines", "verdict_table"]

TASK, RANDOM, GAP, NEGATIVE = "task", "matched random sets", "gap to random sets", "negative-control task"
Key = tuple[str, str, str]  # (task, probe, target); target "" stands for the task's label rows


@dataclass(frozen=True)
class VerdictRow:
    """One target of one task under one probe: A, B, the paired B - A and how the row relates to the others."""

    task: str
    tier: int
    probe: str
    target: str
    metric: str
    a_label: str
    b_label: str
    a: Metric | None
    b: Metric | None
    diff: PairedDifference
    per_patient: tuple[tuple[str, float], ...] = ()  # below min_patients: each patient's B - A (tier 1)
    role: str = TASK
    control_of: Key | None = None
    chance: float | None = None  # where the metric sits without signal (negative controls are read against it)

    @property
    def key(self) -> Key:
        """``(task, probe, target)``."""
        return (self.task, self.probe, self.target)

    @property
    def direction(self) -> int | None:
        """+1 when the interval of B - A is above 0, -1 below, 0 when it covers 0, ``None`` without interval."""
        if not math.isfinite(self.diff.ci_low) or not math.isfinite(self.diff.ci_high):
            return None
        return 1 if self.diff.ci_low > 0 else (-1 if self.diff.ci_high < 0 else 0)

    def diff_text(self) -> str:
        """``+0.050 [+0.010, +0.090]``; without interval the per-patient values, or why there is none."""
        if not math.isfinite(self.diff.diff):
            return "-"
        if self.direction is None and self.per_patient:
            values = ", ".join(f"{p} {d:+.3f}" for p, d in self.per_patient)
            return f"{self.diff.diff:+.3f} (per patient {values}; no CI)"
        return self.diff.text()

    def off_chance(self) -> list[str]:
        """Which of A and B have an interval that excludes chance (a negative control should have none)."""
        if self.chance is None:
            return []
        out = []
        for label, metric in (("A", self.a), ("B", self.b)):
            if metric is None or metric.ci_low is None or metric.ci_high is None:
                continue
            if metric.ci_low > self.chance or metric.ci_high < self.chance:
                out.append(label)
        return out

    def controls(self, other: VerdictRow) -> bool:
        """Whether this row is a control of ``other`` (same comparison, and its link names that row or task)."""
        if self.control_of is None or other.control_of is not None or self.b_label != other.b_label:
            return False
        task, probe, target = self.control_of
        return (task, probe) == (other.task, other.probe) and target in ("", other.target)


@dataclass
class Verdict:
    """The verdict rows in page order (each row followed by its controls) and what could not be compared."""

    rows: list[VerdictRow]
    notes: list[str] = field(default_factory=list)

    def controls_of(self, row: VerdictRow) -> list[VerdictRow]:
        """Return the rows that control ``row``."""
        return [c for c in self.rows if c.controls(row)]


_WORDS = {1: "B above A", -1: "B below A", 0: "no difference shown (the interval covers 0)"}


def _chance_state(row: VerdictRow) -> str:
    """``off chance`` (an interval excludes chance), ``no interval`` (A or B has none), else ``at chance``."""
    if row.off_chance():
        return "off chance"
    if any(m is None or m.ci_low is None or m.ci_high is None for m in (row.a, row.b)):
        return "no interval"
    return "at chance"


def reading(row: VerdictRow, controls: Sequence[VerdictRow] = ()) -> str:
    """Say the row's verdict: the direction of B - A, and for a row with controls whether they moved too."""
    if row.role == NEGATIVE:
        off, state, chance = row.off_chance(), _chance_state(row), f"{row.chance:g}"
        if state == "no interval":
            return f"no interval ({row.diff.n_patients} patients): cannot tell whether at chance ({chance})"
        if off:
            return f"{' and '.join(off)} off chance (interval excludes {chance}): a random label is predicted; distrust"
        return f"A and B at chance ({chance} inside their intervals), as a negative control should be"
    direction = row.direction
    text = f"no interval ({row.diff.n_patients} patients): no claim" if direction is None else _WORDS[direction]
    for control in controls:
        if control.role == NEGATIVE:
            text += f"; negative control {control.task}: {_chance_state(control)}"
        elif control.role == RANDOM and direction:
            moved = control.direction == direction
            text += "; the matched random sets moved too (not specific)" if moved else "; the random sets did not"
    return text


def _outcome_metric(loaded: LoadedResult, probe: str, block: str, metric: str) -> Metric | None:
    score = next((s for s in loaded.result.outcomes if s.probe == probe and s.block == block), None)
    return score.metrics.get(metric) if score is not None else None


def _spot_rows(a: LoadedResult, b: LoadedResult, n_boot: int) -> list[VerdictRow]:
    from benchmarks.spot.compare import compare_results

    rows = []
    probe = f"ridge ({a.result.task.protocol})"
    for c in compare_results(a.result, b.result, n_boot=n_boot):
        role = {"random": RANDOM, "gap": GAP}.get(c.kind, TASK)
        rows.append(
            VerdictRow(
                task=c.task, tier=1, probe=probe, target=c.target, metric="Pearson r", a_label=a.label,
                b_label=b.label, a=c.a, b=c.b, diff=c,
                per_patient=() if c.population else tuple((p, d) for p, (_, _, d) in c.per_patient.items()),
                role=role, control_of=(c.task, probe, c.control_of) if role != TASK else None,
            )
        )  # fmt: skip
    return rows


def _outcome_rows(a: LoadedResult, b: LoadedResult, n_boot: int) -> list[VerdictRow]:
    from benchmarks.slide.compare import compare_outcomes

    task = a.result.task
    rows = []
    compared = compare_outcomes(
        a.result, b.result, a.path.parent, b.path.parent, n_boot=n_boot, blocks=("label", "control")
    )
    label_of = {c.probe: c.target for c in compared if c.block == "label"}
    for c in compared:
        role, link, chance = TASK, None, None
        if c.block == "control":
            role, link = RANDOM, (task.name, c.probe, label_of.get(c.probe, ""))
        elif task.negative_control_of:
            role, link, chance = NEGATIVE, (task.negative_control_of[0], c.probe, ""), CHANCE.get(c.metric)
        row = VerdictRow(
            task=task.name, tier=task.tier, probe=c.probe, target=c.target, metric=METRIC_NAMES.get(c.metric, c.metric),
            a_label=a.label, b_label=b.label, a=_outcome_metric(a, c.probe, c.block, c.metric),
            b=_outcome_metric(b, c.probe, c.block, c.metric), diff=c, role=role, control_of=link, chance=chance,
        )  # fmt: skip
        rows.append(row)
        for other in task.negative_control_of[1:] if role == NEGATIVE else ():  # a control of several tasks
            rows.append(dataclasses.replace(row, control_of=(other, c.probe, "")))
    return rows


def _ordered(rows: list[VerdictRow]) -> list[VerdictRow]:
    """Every row that controls nothing, each followed by its controls; controls of rows not present at the end."""
    out: list[VerdictRow] = []
    placed: set[int] = set()
    for row in (r for r in rows if r.control_of is None):
        out.append(row)
        for control in (c for c in rows if c.controls(row)):
            out.append(control)
            placed.add(id(control))
    return out + [r for r in rows if r.control_of is not None and id(r) not in placed]


def build_verdict(groups: Sequence[TaskGroup], *, n_boot: int) -> Verdict:
    """Compare every entry of every task with its reference A; return the rows, each followed by its controls."""
    rows: list[VerdictRow] = []
    notes: list[str] = []
    for group in groups:
        a = group.reference
        if a is None:
            continue
        for b in group.compared:
            try:
                rows += _spot_rows(a, b, n_boot) if group.tier == 1 else _outcome_rows(a, b, n_boot)
            except ResultError as exc:  # predictions missing or edited: the rest of the verdict goes on
                notes.append(f"verdict of {group.task}, {b.label} vs {a.label}: {exc}")
    return Verdict(_ordered(rows), notes)


def _role(row: VerdictRow) -> str:
    if row.control_of is None:
        return "task"
    task, _, target = row.control_of
    return f"{row.role}, control of {task}" + (f" / {target}" if target and target != row.target else "")


def verdict_table(verdict: Verdict, table_id: str) -> Table:
    """Render the verdict as a page table: one line per row, controls right under the row they control.

    With one reference A for every row, A is named in the caption and each row names its B only.
    """
    references = sorted({r.a_label for r in verdict.rows})
    one_a = len(references) == 1
    body = []
    for row in verdict.rows:
        controls = verdict.controls_of(row) if row.control_of is None else []
        body.append(
            [
                f"{row.task} ({row.tier})", row.probe, f"{row.target} ({row.metric})", _role(row),
                row.b_label if one_a else f"{row.b_label} vs {row.a_label}", fmt_metric(row.a), fmt_metric(row.b),
                row.diff_text(), f"{row.diff.p:.3f}" if math.isfinite(row.diff.p) else "-", str(row.diff.n_patients),
                reading(row, controls),
            ]
        )  # fmt: skip
    headers = ["task (tier)", "probe", "target (metric)", "role", "B" if one_a else "B vs A", "A [95% CI]"]
    headers += ["B [95% CI]", "B - A [95% CI]", "p", "patients", "reading"]
    caption = (
        (f"A = {references[0]}. " if one_a else "")
        + "B - A: paired difference over the same held-out patients (tier 1: per-patient Pearson, paired bootstrap; "
        "tiers 2-3: both encoders' out-of-fold predictions rescored on the same patient resamples). Controls sit "
        "under the row they control."
    )
    return Table(table_id, headers, body, numeric=frozenset({5, 6, 8, 9}), caption=caption)


def verdict_lines(verdict: Verdict) -> list[str]:
    """One terminal line per tier-2/3 row that controls nothing (tier 1 has its own summary lines)."""
    lines = []
    for row in verdict.rows:
        if row.control_of is None and row.tier > 1:
            controls = verdict.controls_of(row)
            lines.append(
                f"verdict {row.task} [{row.probe}] {row.metric}: {row.b_label} vs {row.a_label} "
                f"B - A {row.diff_text()}: {reading(row, controls)}"
            )
    return lines
