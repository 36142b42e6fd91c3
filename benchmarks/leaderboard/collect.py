"""Collect a leaderboard (or a results folder) into one table (every file validated, problems listed).

Verified entries rank first; a self-reported one (internally consistent, not reproduced by the evaluator)
ranks after them and carries a mark. Of an entry's versions the newest is ranked, the older are noted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.errors import ResultError
from benchmarks.leaderboard.entries import ENTRIES, Entry, read_entries
from benchmarks.schema import Metric, Result, read_result

__all__ = ["REPORT", "Column", "LeaderboardTable", "build_table", "collect_board", "collect_results", "fmt_metric"]

BASELINE_COLOUR = "colour-texture"
REPORT = "report"  # the column of links to reports
DASH = "\u2013"
SELF_MARK = "\u2020"  # dagger: self-reported
INTERVAL_TEXT = {
    "patient_bootstrap": "bootstrap over patients",
    "spatial_block_bootstrap": "spatial block bootstrap within patients (no population claim)",
    "none": "none",
}


@dataclass(frozen=True)
class Column:
    """A table column: key (URL-safe, for sorting), header text, and whether it holds a number."""

    key: str
    header: str
    numeric: bool = False
    title: str = ""


@dataclass
class LeaderboardTable:
    """Rows of cells (value for sorting, text shown) under columns, plus notes (e.g. missing baselines)."""

    columns: list[Column]
    rows: list[dict[str, tuple[float | str | None, str]]]
    notes: list[str] = field(default_factory=list)


def collect_results(folder: Path) -> tuple[list[Result], list[str]]:
    """Read every ``*.json`` in ``folder``; invalid files are reported, not ranked."""
    results, problems = [], []
    for path in sorted(Path(folder).glob("*.json")):
        try:
            results.append(read_result(path))
        except ResultError as exc:
            problems.append(str(exc))
    return results, problems


def collect_board(folder: Path) -> tuple[list[Entry | Result], list[str]]:
    """Read a leaderboard's entries (``entries/``), or a plain results folder's result files (self-reported)."""
    folder = Path(folder)
    if (folder / ENTRIES).is_dir():
        entries, problems = read_entries(folder)
        strays = sorted(p.name for p in folder.glob("*.json"))
        problems += [f"'{folder / n}': not an entry; add it with `stamp-bench submit`" for n in strays]
        return list(entries), problems
    results, problems = collect_results(folder)
    return list(results), problems


def fmt_metric(metric: Metric | None) -> str:
    """``0.412 [0.363, 0.450]`` (or an en dash when missing)."""
    if metric is None or metric.mean is None:
        return DASH
    if metric.ci_low is None or metric.ci_high is None:
        return f"{metric.mean:.3f}"
    return f"{metric.mean:.3f} [{metric.ci_low:.3f}, {metric.ci_high:.3f}]"


def _entry(result: Result) -> str:
    if result.kind == "baseline" or result.embedding_key.endswith("+random"):
        what = "random weights" if result.embedding_key.endswith("+random") else "colour/texture statistics"
        return f"baseline: {what}"
    return "submitted" if result.submitted_by else "model"


def _metric_columns(results: list[Result]) -> list[Column]:
    names: list[str] = []
    for result in results:
        for block in result.blocks:
            if block.name not in names:
                names.append(block.name)
    order = {"pathways": 0, "random": 1, "genes": 3}
    columns = []
    for name in sorted(names, key=lambda n: (order.get(n.split(":")[0], 9), n)):
        kind, _, what = name.partition(":")
        if kind == "pathways":
            columns.append(Column(f"r_{kind}_{what}", f"{what} pathways r", numeric=True, title="mean over patients"))
        elif kind == "random":
            columns.append(Column(f"r_{kind}_{what}", f"{what} random-set r", numeric=True, title="size/expr-matched"))
            columns.append(Column(f"gap_{what}", f"{what} specific gap", numeric=True, title="pathways - random sets"))
        else:
            columns.append(Column(f"r_{kind}_{what}", f"{what} genes r", numeric=True))
    return columns


PROBE_TEXT = {"mean-linear": "mean-pooled linear", "abmil": "ABMIL"}
METRIC_TEXT = {"auroc": "AUROC", "pearson": "r", "c_index": "C-index"}


def _outcome_columns(results: list[Result]) -> list[Column]:
    """Tier 2 and tier 3 column groups: the primary metric per probe (and the random-set gap of activity tasks)."""
    seen: dict[str, Column] = {}
    for result in sorted(results, key=lambda r: r.task.tier):
        tier = result.task.tier
        for score in (s for s in result.outcomes if s.block == "label"):
            what = "activity" if score.kind == "regression" else score.kind
            key = f"t{tier}_{what}_{score.probe}"
            header = (
                f"T{tier} {METRIC_TEXT.get(score.primary, score.primary)} ({PROBE_TEXT.get(score.probe, score.probe)})"
            )
            if what == "activity":
                header = f"T{tier} activity r ({PROBE_TEXT.get(score.probe, score.probe)})"
            seen.setdefault(key, Column(key, header, numeric=True, title=f"tier {tier}, {score.kind}: {score.primary}"))
            if "gap_vs_random" in score.metrics:
                gap = f"{key}_gap"
                title = "activity r minus its matched random sets' r"
                seen.setdefault(gap, Column(gap, f"T{tier} specific gap ({PROBE_TEXT.get(score.probe, score.probe)})",
                                            numeric=True, title=title))  # fmt: skip
    return [seen[k] for k in sorted(seen, key=lambda k: (k[:2], "activity" in k, k))]


def _outcome_cells(result: Result) -> dict[str, tuple[float | str | None, str]]:
    """Cells of a tier-2/3 result: each probe's primary metric (and gap), keyed as :func:`_outcome_columns`."""
    cells: dict[str, tuple[float | str | None, str]] = {}
    for score in (s for s in result.outcomes if s.block == "label"):
        what = "activity" if score.kind == "regression" else score.kind
        key = f"t{result.task.tier}_{what}_{score.probe}"
        metric = score.metrics[score.primary]
        cells[key] = (metric.mean, fmt_metric(metric))
        if "gap_vs_random" in score.metrics:
            gap = score.metrics["gap_vs_random"]
            cells[f"{key}_gap"] = (gap.mean, fmt_metric(gap))
    return cells


def _newest(items: Sequence[Entry | Result]) -> tuple[list[Entry | Result], list[str]]:
    """Keep the newest version of every (name, task, protocol); name the older ones in notes."""
    newest: dict[tuple[str, str, str], Entry] = {}
    plain: list[Entry | Result] = []
    for item in items:
        if isinstance(item, Result):
            plain.append(item)
            continue
        key = (item.record.name.lower(), item.record.task, item.record.protocol)
        if key not in newest or item.record.version > newest[key].record.version:
            newest[key] = item
    kept = {e.record.submission_id for e in newest.values()}
    older = sorted(i.record.submission_id for i in items if isinstance(i, Entry) and i.record.submission_id not in kept)
    notes = [f"earlier version kept, not ranked: {sid}" for sid in older]
    return [*plain, *newest.values()], notes


def _adapter_cell(result: Result) -> str:
    """Show the adapter hash, and for an adapter from the hub where it came from (``hf:ORG/NAME@<commit>``)."""
    if not result.adapter_hash:
        return DASH
    return f"{result.adapter_hash} ({result.adapter_source})" if result.adapter_commit else result.adapter_hash


def build_table(
    items: Sequence[Entry | Result], *, reports: Mapping[tuple[str, str, str], str] | None = None
) -> LeaderboardTable:
    """One row per entry: rank, encoder, kind of entry, task, each block's r [interval], gaps, patients, interval.

    ``items`` are leaderboard entries (verified or self-reported, as the evaluator recorded them) or bare
    results (a results folder: self-reported). Verified entries rank before self-reported ones. ``reports`` maps
    (embedding key, task, protocol) to the link of a report showing that result (a ``report`` column).
    """
    items, version_notes = _newest(items)
    results = [i.result if isinstance(i, Entry) else i for i in items]
    columns = [
        Column("rank", "#", numeric=True, title=f"within the task; verified entries first; {SELF_MARK} self-reported"),
        Column("encoder", "encoder"),
        Column("adapter", "adapter"),
        Column("entry", "entry"),
        Column("verification", "verified?", title="verified: scored or reproduced by the evaluator"),
        Column("task", "task"),
        Column("protocol", "protocol"),
        *_metric_columns(results),
        *_outcome_columns(results),
        Column(
            "pretraining",
            "seen in pretraining?",
            title="tiers 2-3: whether this encoder is known to have seen the cohort's slides (cohort card)",
        ),
        Column("patients", "held-out patients", numeric=True, title="patients scored (held out by the task's folds)"),
        Column("interval", "interval", title="kind of 95% interval"),
        Column("created", "created"),
    ]
    if reports is not None:
        columns.append(Column(REPORT, "report", title="the `stamp-bench report` page that shows this result"))
    primary = next((c.key for c in columns if c.numeric and c.key.startswith("r_")), "encoder")
    outcome_keys = [c.key for c in columns if c.key.startswith("t") and c.key[1:2].isdigit()]
    rows = []
    for item in items:
        result = item.result if isinstance(item, Entry) else item
        verification = item.record.verification if isinstance(item, Entry) else "self-reported"
        how = item.record.how if isinstance(item, Entry) else "a results file, not submitted"
        entry = _entry(result) + (f" v{item.record.version}" if isinstance(item, Entry) else "")
        row: dict[str, tuple[float | str | None, str]] = {
            "encoder": (result.encoder, result.encoder),
            "adapter": (result.adapter_hash, _adapter_cell(result)),
            "entry": (entry, entry),
            "verification": (
                verification,
                verification if verification == "verified" else f"{verification} {SELF_MARK}",
            ),
            "_how": (how, how),
            "task": (result.task.name, result.task.name),
            "protocol": (result.task.protocol, result.task.protocol),
            "patients": (_held_out(result), str(_held_out(result))),
            "interval": (result.intervals.kind, INTERVAL_TEXT[result.intervals.kind]),
            "created": (result.created, result.created[:10]),
        }
        for block in result.blocks:
            kind, _, what = block.name.partition(":")
            row[f"r_{kind}_{what}"] = (block.pearson.mean, fmt_metric(block.pearson))
        for gap in result.gaps:
            what = gap.pathways.partition(":")[2]
            row[f"gap_{what}"] = (gap.gap.mean, fmt_metric(gap.gap))
        row.update(_outcome_cells(result))
        if reports is not None:
            href = reports.get((result.embedding_key, result.task.name, result.task.protocol))
            row[REPORT] = (href, "report") if href else (None, DASH)
        overlap = result.cohort.pretraining_overlap if result.cohort is not None else None
        row["pretraining"] = (overlap or "", overlap or DASH)
        ranked_by = primary if result.task.tier == 1 else next((k for k in outcome_keys if k in row), primary)
        row["_tier"] = (result.task.tier, str(result.task.tier))
        row["_primary"] = (row.get(ranked_by, (None, ""))[0], "")
        rows.append(row)

    def sort_key(row: dict[str, tuple[float | str | None, str]]) -> tuple[str, str, bool, float]:
        value = row["_primary"][0]
        score = -value if isinstance(value, float | int) else float("inf")
        return (row["_tier"][1], row["task"][1], row["verification"][0] != "verified", score)

    rows.sort(key=sort_key)
    place: dict[str, int] = {}  # ranks count within each task (a tier-2 AUROC is not ranked against a tier-1 r)
    for row in rows:
        i = place[row["task"][1]] = place.get(row["task"][1], 0) + 1
        row["rank"] = (i, str(i) if row["verification"][0] == "verified" else f"{i}{SELF_MARK}")
    notes = missing_baselines(results) + version_notes
    if any(row["verification"][0] != "verified" for row in rows):
        notes.append(f"{SELF_MARK} self-reported: internally consistent, not reproduced by the evaluator; ranked last")
    return LeaderboardTable(columns, rows, notes=notes)


def missing_baselines(results: list[Result]) -> list[str]:
    """For every task and protocol with a model entry, name the trivial baselines that are absent."""
    notes = []
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        groups.setdefault((result.task.name, result.task.protocol), []).append(result)
    for (task, protocol), group in sorted(groups.items()):
        keys = {r.embedding_key for r in group}
        if BASELINE_COLOUR not in keys:
            notes.append(f"{task} ({protocol}): the colour/texture baseline is missing")
        for model in (r for r in group if r.kind == "model" and not r.embedding_key.endswith("+random")):
            arch = model.encoder.replace(":", "-")
            if f"{arch}+random" not in keys:
                notes.append(f"{task} ({protocol}): the random-weights baseline of {model.encoder} is missing")
    return sorted(set(notes))


def _held_out(result: Result) -> int:
    """Return how many patients a result scored (tier 1: its first block's per-patient values; else the task's)."""
    if result.task.tier > 1:
        return len(result.task.patients)
    return len(result.blocks[0].per_patient) if result.blocks else 0
