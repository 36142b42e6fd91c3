"""The verdict that opens the report: per task, probe and target, B - A with its interval and the controls beside it.

Rows are data taken from the results and their comparisons, never from a list in this module
(:mod:`benchmarks.report.verdict_rows` builds them):

- every pair of entries (:mod:`benchmarks.report.entries`: base, aligned, a random-aligned control, each a result or
  the replicate seeds of one fit) gives rows, labelled ``B vs A``;
- every block (tier 1) or probe's target block (tiers 2-3) that A and B share is a row, with the paired difference
  of ``stamp-bench compare`` (:func:`benchmarks.spot.compare.compare_pairs`,
  :func:`benchmarks.slide.compare.compare_outcomes`): its 95% interval over patients; below ``min_patients``
  patients the per-patient values and, at tier 1, the paired interval within these patients' tissue; for seeds,
  the mean and spread of B - A over the seed pairs beside it;
- a row is a *control* of another when the results say so: a tier-1 random block's ``control_of``, the gap of the
  pathways to their random sets, a slide-activity task's ``control`` block, a task whose file declares it the
  ``negative_control_of`` another task (a label random by construction). A control sits right under the row it
  controls, so a new control (another null task, another random block) is a new row, not new code.

Each row gets a reading in words from its interval (B above A, below A, no difference shown, no interval) and, for
a row with controls, whether they moved too. The runs' own verdicts (``run.json``) are rows too
(:mod:`benchmarks.report.run_verdict`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from benchmarks.comparison import PairedDifference
from benchmarks.leaderboard.collect import fmt_metric
from benchmarks.report.page import Table
from benchmarks.schema import Metric

if TYPE_CHECKING:
    from benchmarks.spot.compare import SeedSpread
    from stamp.probe import BlockDifference

__all__ = ["Verdict", "VerdictRow", "ordered", "reading", "verdict_lines", "verdict_table"]

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
    tissue: BlockDifference | None = None  # tier 1 below min_patients: paired interval within these patients' tissue
    tissue_note: str = ""  # why there is no tissue interval, when there is none
    seeds: SeedSpread | None = None  # replicate seeds: B - A of every seed pair, their mean and spread

    @property
    def key(self) -> Key:
        """``(task, probe, target)``."""
        return (self.task, self.probe, self.target)

    @property
    def population(self) -> bool:
        """Whether B - A has an interval over patients (a population claim)."""
        return math.isfinite(self.diff.ci_low) and math.isfinite(self.diff.ci_high)

    @property
    def within_tissue(self) -> bool:
        """Whether the row's interval is the paired one within the held-out patients' tissue (no population claim)."""
        t = self.tissue
        return not self.population and t is not None and math.isfinite(t.ci_low) and math.isfinite(t.ci_high)

    def interval(self) -> tuple[float, float, float]:
        """Return the interval of B - A and its p: over patients, else within their tissue, else NaN."""
        if self.population:
            return self.diff.ci_low, self.diff.ci_high, self.diff.p
        if self.within_tissue and self.tissue is not None:
            return self.tissue.ci_low, self.tissue.ci_high, self.tissue.p
        nan = float("nan")
        return nan, nan, nan

    @property
    def direction(self) -> int | None:
        """+1 when the interval of B - A is above 0, -1 below, 0 when it covers 0, ``None`` without interval."""
        low, high, _ = self.interval()
        if not math.isfinite(low) or not math.isfinite(high):
            return None
        return 1 if low > 0 else (-1 if high < 0 else 0)

    def diff_text(self) -> str:
        """``+0.050 [+0.010, +0.090]``; below ``min_patients`` the tissue interval and per-patient values."""
        if not math.isfinite(self.diff.diff):
            return "-"
        values = ", ".join(f"{p} {d:+.3f}" for p, d in self.per_patient)
        if self.within_tissue and self.tissue is not None:
            low, high, _ = self.interval()
            per = f"; per patient {values}" if values else ""
            return (
                f"{self.diff.diff:+.3f} [{low:+.3f}, {high:+.3f}] within these patients' tissue "
                f"({self.tissue.n_blocks} tiles, paired{per})"
            )
        if self.direction is None and values:
            why = f": {self.tissue_note}" if self.tissue_note else ""
            return f"{self.diff.diff:+.3f} (per patient {values}; no CI{why})"
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
        if self.control_of is None or other.control_of is not None:
            return False
        if (self.a_label, self.b_label) != (other.a_label, other.b_label):
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
    if row.within_tissue:
        text += " within these patients' tissue (no population claim)"
    for control in controls:
        if control.role == NEGATIVE:
            text += f"; negative control {control.task}: {_chance_state(control)}"
        elif control.role == RANDOM and direction:
            moved = control.direction == direction
            text += "; the matched random sets moved too (not specific)" if moved else "; the random sets did not"
    return text


def ordered(rows: list[VerdictRow]) -> list[VerdictRow]:
    """Every row that controls nothing, each followed by its controls; controls of rows not present at the end."""
    out: list[VerdictRow] = []
    placed: set[int] = set()
    for row in (r for r in rows if r.control_of is None):
        out.append(row)
        for control in (c for c in rows if c.controls(row)):
            out.append(control)
            placed.add(id(control))
    return out + [r for r in rows if r.control_of is not None and id(r) not in placed]


def _role(row: VerdictRow) -> str:
    if row.control_of is None:
        return "task"
    task, _, target = row.control_of
    return f"{row.role}, control of {task}" + (f" / {target}" if target and target != row.target else "")


def _p_text(row: VerdictRow) -> str:
    p = row.interval()[2]
    return f"{p:.3f}" if math.isfinite(p) else "-"


def verdict_table(verdict: Verdict, table_id: str) -> Table:
    """Render the verdict as a page table: one line per row, controls right under the row they control.

    With one reference A for every row, A is named in the caption and each row names its B only. With replicate
    seeds, a column gives the mean and spread of B - A over the seed pairs.
    """
    references = sorted({r.a_label for r in verdict.rows})
    one_a = len(references) == 1
    seeds = any(r.seeds is not None for r in verdict.rows)
    body = []
    for row in verdict.rows:
        controls = verdict.controls_of(row) if row.control_of is None else []
        spread = [row.seeds.text() if row.seeds is not None else "-"] if seeds else []
        body.append(
            [
                f"{row.task} ({row.tier})", row.probe, f"{row.target} ({row.metric})", _role(row),
                row.b_label if one_a else f"{row.b_label} vs {row.a_label}", fmt_metric(row.a), fmt_metric(row.b),
                row.diff_text(), _p_text(row), str(row.diff.n_patients), *spread, reading(row, controls),
            ]
        )  # fmt: skip
    headers = ["task (tier)", "probe", "target (metric)", "role", "B" if one_a else "B vs A", "A [95% CI]"]
    headers += ["B [95% CI]", "B - A [95% CI]", "p", "patients", *(["seeds: B - A mean ± sd"] if seeds else [])]
    headers += ["reading"]
    caption = (
        (f"A = {references[0]}. " if one_a else "")
        + "B - A: paired difference over the same held-out patients (tier 1: per-patient Pearson, paired bootstrap; "
        "tiers 2-3: both encoders' out-of-fold predictions rescored on the same patient resamples). Below the "
        "task's min_patients no interval over patients is made: tier 1 gives the per-patient values and a paired "
        "spatial block bootstrap within these patients' tissue, which makes no population claim. Controls sit "
        "under the row they control."
    )
    if seeds:
        caption += (
            " Replicate seeds: tier 1's B - A and interval are those of the seed-averaged scores, tiers 2-3 compare "
            "each seed pair on its own; every seed is kept, none chosen (spread: sd over seed pairs)."
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
