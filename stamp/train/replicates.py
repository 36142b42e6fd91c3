"""``stamp fit --seeds N``: replicate seeds of one configuration, each reported, none chosen after the fact.

Seed ``s`` (``seed``, ``seed + 1``, ... ``seed + N - 1``) is an ordinary resumable run in ``OUT/seed-<s>/``
(finished seeds are skipped on a rerun). A seed changes everything a seed drives: LoRA and head init, data
order, augmentation, dropout, the validation spots and their random-set controls, and, for a
``data.targets: random`` run, the random sets it is aligned to. ``OUT/seeds.json`` and ``OUT/seeds.md`` list
every seed's validation numbers and verdict rows beside their mean and standard deviation over seeds. With a
control (``--control CTRL``), seed ``s`` is paired with the control's run of the same seed (``CTRL/seed-<s>``,
or ``CTRL`` itself when it is one run of that seed), so both saw the same validation spots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from stamp.errors import ConfigError, RunError
from stamp.train.run_table import Cell, SeedsSummary, Spread, format_cell, sweep_row

if TYPE_CHECKING:
    from stamp.train.config import TrainConfig

__all__ = [
    "SeedRow",
    "control_for",
    "replicate_seeds",
    "run_seeds",
    "seed_dir",
    "seed_row",
    "seeds_markdown",
    "summarise_seeds",
]

SUMMARY_JSON, SUMMARY_MD = "seeds.json", "seeds.md"
VALIDATION_COLUMNS = ("kept_step", "val_r", "random_r", "val_gap", "base_gap", "gap_gain", "drift")


def seed_dir(out: Path, seed: int) -> Path:
    """Folder of one replicate seed inside a seeds folder."""
    return Path(out) / f"seed-{seed}"


def replicate_seeds(first: int, n: int) -> list[int]:
    """Return the seeds of ``n`` replicates starting at the configuration's own seed."""
    if n < 1:
        msg = f"--seeds {n}: expected at least 1 replicate"
        raise ConfigError(msg)
    return list(range(first, first + n))


def control_for(control: Path, seed: int) -> Path:
    """Return the control run paired with ``seed``: ``CONTROL/seed-<seed>``, or ``CONTROL`` if it is that seed's run.

    Raises
    ------
    RunError
        No finished control run of that seed.
    """
    from stamp.run_dir import RunFiles, read_run_info

    candidate = seed_dir(control, seed)
    if (candidate / RunFiles.INFO).is_file():
        return candidate
    if (Path(control) / RunFiles.INFO).is_file() and read_run_info(control).seed == seed:
        return Path(control)
    msg = (
        f"--control '{control}': no finished control run of seed {seed} (looked for '{candidate}' and for a run of "
        f"seed {seed} in '{control}'); fit the control with the same seeds, e.g. `stamp fit --seeds N --set "
        f"data.targets=random --out {control}`"
    )
    raise RunError(msg)


@dataclass(frozen=True)
class SeedRow:
    """One seed's numbers: the validation columns of the kept step and every verdict row's value and interval."""

    seed: int
    run: Path
    values: Mapping[str, Cell]


def seed_row(seed: int, run: Path) -> SeedRow:
    """One finished run's validation columns and verdict rows (value, interval, passed)."""
    from stamp.run_dir import read_run_info

    values: dict[str, Cell] = {k: sweep_row(str(seed), run).values.get(k) for k in VALIDATION_COLUMNS}
    for check in read_run_info(run).verdict.checks:
        values[f"{check.name}.value"] = check.value
        values[f"{check.name}.ci_low"] = check.ci_low
        values[f"{check.name}.ci_high"] = check.ci_high
        values[f"{check.name}.passed"] = check.passed
    return SeedRow(seed, Path(run), values)


def _spread(values: Sequence[Cell]) -> Spread:
    if values and all(isinstance(v, bool) or v is None for v in values):
        return {"passed": sum(v is True for v in values), "of": len(values)}
    finite = np.array([float(v) for v in values if v is not None and math.isfinite(float(v))])
    if finite.size == 0:
        return {"mean": None, "sd": None, "n": 0}
    sd = float(finite.std(ddof=1)) if finite.size > 1 else None
    return {
        "mean": float(finite.mean()),
        "sd": sd,
        "min": float(finite.min()),
        "max": float(finite.max()),
        "n": int(finite.size),
    }


def summarise_seeds(rows: Sequence[SeedRow]) -> SeedsSummary:
    """Every seed's numbers, and per number its mean, standard deviation (n - 1), range and count over seeds."""
    keys = list(dict.fromkeys(k for row in rows for k in row.values))
    return {
        "seeds": [{"seed": r.seed, "run": str(r.run), **r.values} for r in rows],
        "over_seeds": {k: _spread([r.values.get(k) for r in rows]) for k in keys},
        "note": "every seed is reported and none is chosen; spread = standard deviation over seeds (n - 1)",
    }


def seeds_markdown(summary: SeedsSummary) -> str:
    """Return the seeds table: one row per seed, then the mean and sd over seeds (verdict rows: passes out of seeds)."""
    keys = [k for k in summary["over_seeds"] if not k.endswith((".ci_low", ".ci_high"))]
    head = "| seed | " + " | ".join(keys) + " |\n|" + "---|" * (len(keys) + 1) + "\n"
    body = "".join(
        f"| {s['seed']} | " + " | ".join(format_cell(s.get(k)) for k in keys) + " |\n" for s in summary["seeds"]
    )
    spread = summary["over_seeds"]

    def stat(key: str, name: str) -> str:
        item = spread[key]
        return f"{item['passed']}/{item['of']}" if "passed" in item else format_cell(item.get(name))

    body += "| mean | " + " | ".join(stat(k, "mean") for k in keys) + " |\n"
    body += "| sd | " + " | ".join(stat(k, "sd") for k in keys) + " |\n"
    return head + body + f"\n{summary['note']}.\n"


def run_seeds(
    config: TrainConfig, n: int, *, control: Path | None = None, progress: bool = True
) -> tuple[list[SeedRow], SeedsSummary | None]:
    """Fit ``n`` seeds of ``config`` into ``config.out/seed-<s>/``, pair each with its control, write the summary."""
    from humanst.atomic import atomic_write_json, atomic_write_text
    from stamp.train.distributed import is_main_process
    from stamp.train.loop import fit
    from stamp.train.verdict import write_verdict

    out = Path(config.out)
    rows = []
    for seed in replicate_seeds(config.seed, n):
        run = seed_dir(out, seed)
        fit(config.model_copy(update={"seed": seed, "out": run}), resume=True, progress=progress)
        if not is_main_process():  # under torchrun the main process writes verdicts and the summary
            continue
        if control is not None:
            write_verdict(run, control_for(control, seed))
        rows.append(seed_row(seed, run))
    if not is_main_process():
        return rows, None
    summary = summarise_seeds(rows)
    atomic_write_json(out / SUMMARY_JSON, summary)
    atomic_write_text(out / SUMMARY_MD, seeds_markdown(summary))
    return rows, summary
