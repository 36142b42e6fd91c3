"""The STAMP runs' own verdicts (``run.json`` ``verdict.checks``) as report rows, and their spread over seeds.

``stamp fit`` answers its questions (did the encoder move, did it beat its base, did it beat the random-aligned
control) on the validation spots and keeps the answers as a list of named checks (:mod:`stamp.train.verdict`). The
report shows whatever checks each ``--run`` holds, one row each, so a new check needs no code here. Runs of one
configuration (``replicate_group``) given together get, per check, its mean and spread over the seeds and how many
seeds passed it (:func:`stamp.train.replicates.summarise_seeds`).
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.report.inputs import RunFolder
from benchmarks.report.page import Table
from stamp.run_info import Check
from stamp.train.replicates import Cell

__all__ = ["run_verdict_lines", "run_verdict_table"]

_ANSWER = {True: "yes", False: "no", None: "not measured"}


def _number(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{float(value):+.4f}" if signed else f"{float(value):.4f}"


def _run_name(run: RunFolder) -> str:
    seed = run.info.seed
    targets = f", {run.targets} targets" if run.targets else ""
    return f"{run.path.name} (adapter {run.adapter_hash}{', seed ' + str(seed) if seed is not None else ''}{targets})"


def _check_row(run: RunFolder, check: Check) -> list[str]:
    low, high = check.ci_low, check.ci_high
    interval = f"[{_number(low, signed=True)}, {_number(high, signed=True)}]" if low is not None else "-"
    a = f"{check.a_label}: {_number(check.a)}" if check.a_label else "-"
    b = f"{check.b_label}: {_number(check.b)}" if check.b_label else "-"
    return [
        _run_name(run), f"{check.name}: {check.question}", check.metric, a, b,
        _number(check.value, signed=True), interval, check.rule, _ANSWER[check.passed], check.resampled,
    ]  # fmt: skip


def _spread_rows(runs: Sequence[RunFolder]) -> list[list[str]]:
    """Per replicate group of two or more runs given, each check's mean ± sd over seeds and its passes."""
    from stamp.train.replicates import SeedRow, summarise_seeds

    groups: dict[str, list[RunFolder]] = {}
    for run in runs:
        group = run.info.replicate_group or ""
        if group and run.checks:
            groups.setdefault(group, []).append(run)
    out = []
    for group, members in groups.items():
        if len(members) < 2:
            continue
        rows = []
        for run in members:
            values: dict[str, Cell] = {f"{c.name}.value": c.value for c in run.checks}
            values |= {f"{c.name}.passed": c.passed for c in run.checks}
            rows.append(SeedRow(run.info.seed or 0, run.path, values))
        spread = summarise_seeds(rows)["over_seeds"]
        seeds = ", ".join(str(r.seed) for r in rows)
        names = dict.fromkeys(c.name for run in members for c in run.checks)
        for name in names:
            value, passed = spread.get(f"{name}.value", {}), spread.get(f"{name}.passed", {})
            sd = _number(value.get("sd")) if value.get("sd") is not None else "-"
            text = f"{_number(value.get('mean'), signed=True)} ± {sd} ({value.get('n', 0)} seeds)"
            answer = f"passed {passed.get('passed', 0)}/{passed.get('of', len(rows))} seeds"
            first = next(c for run in members for c in run.checks if c.name == name)
            out.append(
                [
                    f"seeds {seeds} of group {group[:12]} (mean ± sd over seeds)",
                    f"{name}: {first.question}",
                    first.metric, "-", "-", text, "-", first.rule, answer,
                    "every seed kept, none chosen; sd over seeds (n - 1)",
                ]
            )  # fmt: skip
    return out


def run_verdict_table(runs: Sequence[RunFolder], table_id: str) -> Table | None:
    """One row per check of every run given (``None`` when no run holds a verdict), then the spread over seeds."""
    body = [_check_row(run, check) for run in runs for check in run.checks]
    if not body:
        return None
    body += _spread_rows(runs)
    headers = ["run", "check", "metric", "A", "B", "B - A (drift: the value)", "95% interval", "rule", "answer"]
    headers += ["resampled"]
    caption = (
        "Each run's own verdict from its run.json (stamp fit, or stamp verdict with --control): on the validation "
        "spots, within these patients' tissue, paired. Both encoders were chosen on these spots (validation.select): "
        "a validation statement; the held-out claim is the verdict above."
    )
    return Table(table_id, headers, body, numeric=frozenset({5}), caption=caption)


def run_verdict_lines(runs: Sequence[RunFolder]) -> list[str]:
    """One terminal line per run with a verdict: every check's answer."""
    lines = []
    for run in runs:
        if run.checks:
            answers = ", ".join(f"{c.name} {_ANSWER[c.passed]}" for c in run.checks)
            lines.append(f"run verdict {_run_name(run)}: {answers}")
    return lines
