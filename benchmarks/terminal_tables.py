"""Terminal tables of ``stamp-bench``: tier-1 results, tier-2/3 outcomes, and the tier-2/3 comparison."""

from __future__ import annotations

from pathlib import Path

from benchmarks.schema import Result
from humanst.console import console

__all__ = ["print_outcome_comparison", "print_outcomes", "print_results"]


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
