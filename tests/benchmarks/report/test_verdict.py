"""The verdict's readings and order: controls under the rows they control, readings from the intervals alone."""

from __future__ import annotations

from benchmarks.comparison import PairedDifference
from benchmarks.report.verdict import NEGATIVE, RANDOM, VerdictRow, ordered, reading
from benchmarks.schema import Metric

NAN = float("nan")


def _metric(mean: float, low: float | None, high: float | None) -> Metric:
    return Metric(
        mean=mean, ci_low=low, ci_high=high, n_patients=40, interval="none" if low is None else "patient_bootstrap"
    )


def _row(task: str, diff: float, low: float, high: float, **extra) -> VerdictRow:
    defaults = {"a": _metric(0.6, 0.5, 0.7), "b": _metric(0.7, 0.6, 0.8)}
    fields = {
        "task": task, "tier": 2, "probe": "abmil", "target": "GENE1", "metric": "AUROC", "a_label": "A", "b_label": "B",
        "diff": PairedDifference(task=task, target="GENE1", diff=diff, ci_low=low, ci_high=high, p=0.01, n_patients=40),
        **defaults, **extra,
    }  # fmt: skip
    return VerdictRow(**fields)


def test_readings_follow_the_interval_and_the_controls():
    gain = _row("status", 0.1, 0.05, 0.15)
    random_moved = _row("status", 0.1, 0.02, 0.2, role=RANDOM, control_of=("status", "abmil", "GENE1"))
    random_still = _row("status", 0.0, -0.05, 0.05, role=RANDOM, control_of=("status", "abmil", "GENE1"))
    assert reading(gain) == "B above A"
    assert reading(gain, [random_moved]).endswith("the matched random sets moved too (not specific)")
    assert reading(gain, [random_still]).endswith("the random sets did not")
    assert reading(_row("status", -0.1, -0.2, -0.01)) == "B below A"
    assert reading(_row("status", 0.01, -0.05, 0.07)).startswith("no difference shown")
    assert reading(_row("status", 0.01, NAN, NAN)) == "no interval (40 patients): no claim"


def test_a_negative_control_is_read_against_chance():
    link = ("status", "abmil", "")
    at_chance = _row("null", 0.0, -0.1, 0.1, role=NEGATIVE, control_of=link, chance=0.5,
                     a=_metric(0.5, 0.4, 0.6), b=_metric(0.52, 0.41, 0.63))  # fmt: skip
    leaking = _row("null", 0.2, 0.1, 0.3, role=NEGATIVE, control_of=link, chance=0.5,
                   a=_metric(0.5, 0.4, 0.6), b=_metric(0.75, 0.62, 0.86))  # fmt: skip
    unknown = _row("null", 0.0, NAN, NAN, role=NEGATIVE, control_of=link, chance=0.5,
                   a=_metric(0.5, None, None), b=_metric(0.5, None, None))  # fmt: skip
    assert reading(at_chance).startswith("A and B at chance")
    assert reading(leaking).startswith("B off chance (interval excludes 0.5)")
    assert reading(unknown).startswith("no interval (40 patients): cannot tell")
    gain = _row("status", 0.1, 0.05, 0.15)
    assert reading(gain, [leaking]) == "B above A; negative control null: off chance"


def test_every_control_row_follows_its_row_and_a_control_of_a_missing_task_comes_last():
    status = _row("status", 0.1, 0.05, 0.15)
    other = _row("survival", 0.0, -0.1, 0.1, probe="abmil")
    nulls = [_row(f"null-{i}", 0.0, -0.1, 0.1, role=NEGATIVE, control_of=("status", "abmil", ""), chance=0.5)
             for i in range(3)]  # fmt: skip
    orphan = _row("null-x", 0.0, -0.1, 0.1, role=NEGATIVE, control_of=("absent", "abmil", ""), chance=0.5)
    other_probe = _row("null-y", 0.0, -0.1, 0.1, role=NEGATIVE, control_of=("status", "mean-linear", ""), chance=0.5)
    rows = ordered([orphan, nulls[0], status, other, nulls[1], other_probe, nulls[2]])
    assert [r.task for r in rows] == ["status", "null-0", "null-1", "null-2", "survival", "null-x", "null-y"]
