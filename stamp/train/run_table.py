"""One finished run's row of the sweep and seeds tables, the tables' cells, and the seeds summary's shape.

Shared by :mod:`stamp.train.sweep` (which fits seeds through :mod:`stamp.train.replicates`) and
:mod:`stamp.train.replicates` (whose seed rows read each run's validation row here), so neither imports the other
for it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from stamp.run_info import RUN_INFO_FILE

__all__ = ["Cell", "SeedsSummary", "Spread", "SweepRow", "format_cell", "sweep_row", "warning_heads"]

Cell = float | str | None  # a number, a flag (bool is an int) or a label of a seed's row
Spread = dict[str, float | None]  # mean, sd, min, max, n over seeds (verdict flags: passed, of)


class SeedsSummary(TypedDict):
    """``seeds.json``: every seed's row, each number's spread over seeds, and the note that none was chosen."""

    seeds: list[dict[str, Cell]]
    over_seeds: dict[str, Spread]
    note: str


@dataclass(frozen=True)
class SweepRow:
    """One run's outcome (validation metrics of the kept step and of the base encoder)."""

    setting: str
    run: Path
    values: dict[str, Cell]


def sweep_row(setting: str, run: Path) -> SweepRow:
    """Read a finished run's validation summary into one table row."""
    info = json.loads((Path(run) / RUN_INFO_FILE).read_text(encoding="utf-8"))
    validation = info.get("validation") or {}
    if not validation.get("enabled"):
        return SweepRow(setting, Path(run), {"kept_step": info.get("n_steps", ""), "warning": "no validation"})
    kept, base = validation.get("selected") or {}, validation.get("base") or {}
    key = f"val_{validation['collection']}_r"
    gap, base_gap = kept.get("val_gap"), base.get("val_gap")
    values: dict[str, Cell] = {
        "kept_step": kept.get("step"),
        "val_r": kept.get(key),
        "random_r": kept.get("val_random_r"),
        "val_gap": gap,
        "base_gap": base_gap,
        "gap_gain": gap - base_gap if gap is not None and base_gap is not None else None,
        "drift": 1.0 - kept["drift_cka"] if kept.get("drift_cka") is not None else None,
        "cosine": kept.get("drift_cosine"),
        "warning": "; ".join(warning_heads(validation.get("warnings", []))),
    }
    return SweepRow(setting, Path(run), values)


def warning_heads(warnings: Sequence[str]) -> list[str]:
    """Return what each validation warning says, without its numbers (``the encoder barely moved``)."""
    return [w.split(":")[0].split(" (")[0].strip() for w in warnings]


def format_cell(value: Cell) -> str:
    """One table cell: floats to 4 decimals, nothing for ``None``, commas turned into semicolons (CSV-safe)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace(",", ";")
