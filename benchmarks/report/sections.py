"""Page sections built from the report's data: result tables, comparisons, gains, run cards, the atlas build."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from benchmarks.leaderboard.collect import fmt_metric
from benchmarks.report.gains import TargetGain
from benchmarks.report.inputs import LoadedResult, RunFolder, TaskGroup
from benchmarks.report.page import Table

if TYPE_CHECKING:
    from benchmarks.spot.compare import ComparisonRow
    from humanst.store.summary import BuildSummary

__all__ = [
    "build_table",
    "comparison_table",
    "gains_table",
    "highlight_table",
    "result_card_table",
    "results_table",
    "run_card_table",
]

RUN_KEYS = (
    "encoder",
    "weights_id",
    "adapter_hash",
    "train_patients",
    "n_train_samples",
    "n_train_rows",
    "n_pathways",
    "n_lora_modules",
    "trainable_params",
    "world_size",
    "final_loss",
    "wall_s",
    "stamp_version",
    "finished",
)


def results_table(group: TaskGroup, table_id: str) -> Table:
    """One row per result of the task: kind, Pearson of every block and every random-set gap, with CIs."""
    blocks = list(dict.fromkeys(b.name for r in group.results for b in r.result.blocks))
    gaps = list(dict.fromkeys(g.pathways for r in group.results for g in r.result.gaps))
    headers = [
        "entry", "kind", *[f"r {b}" for b in blocks], *[f"gap {g} - random" for g in gaps], "patients", "interval",
    ]  # fmt: skip
    rows = []
    for loaded in group.results:
        result = loaded.result
        by_block = {b.name: b.pearson for b in result.blocks}
        by_gap = {g.pathways: g.gap for g in result.gaps}
        role = "reference (A)" if loaded is group.reference else ("compared (B)" if loaded in group.compared else "")
        kind = f"{result.kind}, {role}" if role else result.kind
        rows.append(
            [
                loaded.label,
                kind,
                *[fmt_metric(by_block.get(b)) for b in blocks],
                *[fmt_metric(by_gap.get(g)) for g in gaps],
                str(len(result.task.patients)),
                result.intervals.kind.replace("_", " "),
            ]
        )
    return Table(table_id, headers, rows, numeric=frozenset(range(2, len(headers) - 1)))


def comparison_table(rows: Sequence[ComparisonRow], table_id: str) -> Table:
    """Block-level B - A (``stamp-bench compare``): both means with CIs, the paired difference and p.

    With fewer shared patients than the task's minimum the difference is listed per patient, without CI or p.
    """
    body = [
        [
            r.target,
            fmt_metric(r.a),
            fmt_metric(r.b),
            f"{r.diff:+.3f} [{r.ci_low:+.3f}, {r.ci_high:+.3f}]"
            if r.population
            else f"{r.diff:+.3f} (" + ", ".join(f"{p} {d:+.3f}" for p, (_, _, d) in r.per_patient.items()) + "; no CI)",
            f"{r.p:.3f}" if r.population else "-",
            str(r.n_patients),
        ]
        for r in rows
    ]
    headers = ["block", "A r [95% CI]", "B r [95% CI]", "B - A [95% CI]", "p", "patients"]
    return Table(table_id, headers, body, numeric=frozenset({1, 2, 3, 4, 5}))


def _gain_row(gain: TargetGain) -> list[str]:
    control = gain.control.text() if gain.control is not None else "-"
    specific = f"{gain.specific:+.3f}" if gain.control is not None else "-"
    return [gain.target, gain.a.text(), gain.b.text(), gain.gain.text(), control, specific, str(gain.gain.n)]


GAIN_HEADERS = ("A r [95% CI]", "B r [95% CI]", "B - A [95% CI]", "random set B - A [95% CI]", "specific", "patients")


def gains_table(gains: Sequence[TargetGain], table_id: str, *, fold: str = "") -> Table:
    """Every target, sorted by gain: A, B, B - A and the matched random set's B - A."""
    rows = [_gain_row(g) for g in gains]
    return Table(table_id, ["target", *GAIN_HEADERS], rows, numeric=frozenset(range(1, 7)), fold=fold)


def highlight_table(picked: Sequence[tuple[TargetGain, str]], table_id: str) -> Table:
    """List the mapped targets with why each was picked (named, best gain, worst gain)."""
    rows = [[g.target, why, *_gain_row(g)[1:]] for g, why in picked]
    return Table(table_id, ["target", "why", *GAIN_HEADERS], rows, numeric=frozenset(range(2, 8)))


def result_card_table(results: Sequence[LoadedResult], table_id: str) -> Table:
    """Provenance of every result file: encoder, adapter, weights, hashes, code version, hardware, time."""
    headers = ["entry", "encoder", "adapter hash", "weights", "embeddings hash", "code", "task / atlas / split hash"]
    headers += ["hardware", "wall s", "created", "file"]
    rows = []
    for loaded in results:
        r = loaded.result
        hashes = f"{r.task.task_hash[:12]} / {r.task.atlas_hash[:12]} / {r.task.split_hash[:12]}"
        hardware = f"{r.hardware.machine}, {r.hardware.cpu_count} CPU, Python {r.hardware.python}"
        rows.append(
            [
                loaded.label,
                r.encoder,
                (f"{r.adapter_hash} ({r.adapter_source})" if r.adapter_commit else r.adapter_hash) or "-",
                r.weights,
                r.embeddings_hash[:12],
                r.code_version,
                hashes,
                hardware,
                f"{r.wall_time_s:.1f}",
                r.created,
                loaded.path.name,
            ]
        )
    return Table(table_id, headers, rows, numeric=frozenset({8}))


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def run_card_table(run: RunFolder, table_id: str) -> Table:
    """Show the run card of a ``stamp fit`` run: what ``run.json`` records (encoder, adapter, patients, ...)."""
    fields = run.info.model_dump(mode="json", exclude_unset=True)
    keys = [k for k in RUN_KEYS if k in fields] + sorted(k for k in fields if k not in RUN_KEYS)
    rows = [[key, _value(fields[key])] for key in keys]
    rows.append(["run folder", str(run.path)])
    return Table(table_id, ["field", "value"], rows)


def build_table(summary: BuildSummary, table_id: str) -> Table:
    """Show the atlas build summary (``humanst info``): one row per sample."""
    return Table(table_id, list(summary.COLUMNS), summary.rows(), numeric=frozenset(summary.NUMERIC))
