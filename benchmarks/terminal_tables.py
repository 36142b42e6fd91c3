"""Terminal tables of ``stamp-bench``: tier-1 results, tier-2/3 outcomes, and the tier-2/3 comparison."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.schema import Result
from humanst.console import console

if TYPE_CHECKING:
    from benchmarks.spot.compare import ComparisonRow

__all__ = ["print_outcome_comparison", "print_outcomes", "print_results", "print_spot_comparison"]


def print_results(results: list[Result]) -> None:
    """Print tier-1 results: Pearson r per block and gap, with the interval notes."""
    from rich.table import Table

    from benchmarks.leaderboard.collect import fmt_metric

    names = list(dict.fromkeys(b.name for r in results for b in r.blocks))
    notes = sorted({r.intervals.note for r in results})
    table = Table(title="tier 1: Pearson r, mean over held-out patients [95% interval]", caption="; ".join(notes))
    for header in ("entry", "task", *names, *[f"gap {g.pathways}" for g in (results[0].gaps if results else [])]):
        table.add_column(header)
    for result in results:
        blocks = {b.name: fmt_metric(b.pearson) for b in result.blocks}
        gaps = [fmt_metric(g.gap) for g in result.gaps]
        table.add_row(result.embedding_key, result.task.name, *[blocks.get(n, "-") for n in names], *gaps)
    console.print(table)


def print_outcomes(results: list[Result]) -> None:
    """Print tier-2/3 results: each probe's primary metric, the random-set gap and the counts."""
    from rich.table import Table

    from benchmarks.leaderboard.collect import fmt_metric

    table = Table(
        title="tiers 2-3: primary metric per probe [95% bootstrap interval over patients]; patients left out by reason",
        caption="AUROC (status), Pearson mean over pathways (activity; gap = minus matched random sets), C-index "
        "(survival); chance: 0.5, 0, 0.5",
    )
    headers = ("entry", "task", "probe", "target", "metric", "value [95% CI]", "gap vs random", "counts", "left out")
    for header in headers:
        table.add_column(header)
    for result in results:
        excluded = result.cohort.excluded if result.cohort is not None else {}
        left_out = ", ".join(f"{reason} {n}" for reason, n in sorted(excluded.items()) if n) or "none"
        for score in result.outcomes:
            if score.block != "label":
                continue
            gap = score.metrics.get("gap_vs_random")
            counts = ", ".join(f"{k.removeprefix('n_')} {v}" for k, v in score.counts.items())
            table.add_row(
                result.embedding_key, result.task.name, score.probe, score.target, score.primary,
                fmt_metric(score.metrics[score.primary]), fmt_metric(gap) if gap else "-", counts, left_out,
            )  # fmt: skip
    console.print(table)


def print_outcome_comparison(a: Result, b: Result, path_a: Path, path_b: Path, n_boot: int) -> None:
    """Print B - A per probe of one tier-2/3 task (paired bootstrap over patients)."""
    from rich.table import Table

    from benchmarks.slide.compare import compare_outcomes

    folder_a = path_a if path_a.is_dir() else path_a.parent
    folder_b = path_b if path_b.is_dir() else path_b.parent
    table = Table(
        title=f"{a.task.name} (tier {a.task.tier}): A = {a.embedding_key}, B = {b.embedding_key}",
        caption="B - A recomputed from both encoders' out-of-fold predictions on the same patient resamples",
    )
    for header in ("probe", "target", "metric", "A", "B", "B - A [95% paired CI]", "p", "patients"):
        table.add_column(header)
    for row in compare_outcomes(a, b, folder_a, folder_b, n_boot=n_boot):
        p_value = f"{row.p:.3f}" if row.p == row.p else "-"
        table.add_row(
            row.probe, row.target, row.metric, f"{row.a:.3f}", f"{row.b:.3f}", row.text(), p_value, str(row.n_patients)
        )
    console.print(table)


def _difference(row: ComparisonRow) -> tuple[str, str, str]:
    """B - A with its interval, the interval's kind, and p (tissue interval below min_patients)."""
    if row.population:
        return f"{row.diff:+.3f} [{row.ci_low:+.3f}, {row.ci_high:+.3f}]", "patients, paired", f"{row.p:.3f}"
    if row.tissue is not None and row.tissue.ci_low == row.tissue.ci_low:
        t = row.tissue
        return (
            f"{row.diff:+.3f} [{t.ci_low:+.3f}, {t.ci_high:+.3f}]",
            f"tissue, paired ({t.n_blocks} tiles)",
            f"{t.p:.3f}",
        )
    return f"{row.diff:+.3f}", "none", "-"


def print_spot_comparison(rows: list[ComparisonRow], title: str) -> None:
    """Print B - A of every tier-1 block and gap: interval, per-patient differences, and the spread over seeds."""
    from rich.table import Table

    from benchmarks.leaderboard.collect import fmt_metric
    from stamp.probe import PAIRED_LABEL

    seeds = any(r.seeds is not None for r in rows)
    table = Table(title=title)
    headers = ["target", "A r [CI]", "B r [CI]", "B - A [95% CI]", "interval", "p", "per patient B - A"]
    for header in [*headers, *(["seeds: mean ± sd of B - A"] if seeds else [])]:
        table.add_column(header)
    for row in rows:
        diff, kind, p_value = _difference(row)
        patients = ", ".join(f"{p} {d:+.3f}" for p, (_, _, d) in row.per_patient.items()) or "-"
        cells = [row.target, fmt_metric(row.a), fmt_metric(row.b), diff, kind, p_value, patients]
        table.add_row(*cells, *([row.seeds.text() if row.seeds else "-"] if seeds else []))
    few = [r for r in rows if not r.population]
    notes = []
    if few:
        notes.append(
            f"{few[0].n_patients} shared patient(s) < min_patients {few[0].min_patients}: no population claim is made "
            f"(no bootstrap over patients); interval: a paired spatial block bootstrap of B - A ({PAIRED_LABEL})"
        )
        notes += sorted({f"no tissue interval: {r.tissue_note}" for r in few if r.tissue is None and r.tissue_note})
    if seeds:
        notes.append(
            "replicate seeds: B - A and its interval are those of the seed-averaged scores; every seed is kept, none "
            "chosen (spread = sd over seed pairs)"
        )
    table.caption = "; ".join(notes)
    console.print(table)
