"""``stamp sweep``: fit a grid of ``--set`` overrides and tabulate what each did to the encoder.

Every setting is one ordinary run (``OUT/<setting>/``, resumable, skipped when finished) of the same config;
the table reads each run's ``run.json``: the kept step, the validation probe (pathway r, random-set r, their
gap) of the base encoder (step 0) and of the kept step, and the drift of the kept encoder from the base. The
defaults in ``configs/fit/`` were chosen this way on the demo; a real foundation model needs its own sweep.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stamp.errors import ConfigError
from stamp.run_info import RUN_INFO_FILE

__all__ = ["SweepRow", "expand_grid", "format_cell", "run_sweep", "sweep_row"]

COLUMNS = ("setting", "kept_step", "val_r", "random_r", "val_gap", "base_gap", "gap_gain", "drift", "cosine", "warning")


@dataclass(frozen=True)
class SweepRow:
    """One setting's outcome (validation metrics of the kept step and of the base encoder)."""

    setting: str
    run: Path
    values: dict[str, Any]


def _parse(item: str) -> tuple[str, list[Any]]:
    key, sep, text = item.partition("=")
    if not sep or not key.strip() or not text.strip():
        msg = f"--grid {item!r}: expected KEY=V1,V2,..., e.g. --grid lora.r=4,8,16"
        raise ConfigError(msg)
    return key.strip(), [yaml.safe_load(v) for v in text.split(",")]


def expand_grid(grid: Sequence[str], *, one_at_a_time: bool = False) -> list[list[str]]:
    """Turn ``KEY=V1,V2`` items into lists of ``KEY=V`` overrides (the cartesian product, or one key at a time).

    ``one_at_a_time`` gives the config itself (no override) and then each value of each key alone.
    """
    axes = [_parse(item) for item in grid]
    if one_at_a_time:
        settings: list[list[str]] = [[]]
        for key, values in axes:
            settings += [[f"{key}={json.dumps(v)}"] for v in values]
        return settings
    return [
        [f"{key}={json.dumps(v)}" for key, v in zip([k for k, _ in axes], combo, strict=True)]
        for combo in itertools.product(*[values for _, values in axes])
    ]


def setting_name(overrides: Sequence[str]) -> str:
    """Folder-safe name of a setting (``config`` for no override)."""
    if not overrides:
        return "config"
    return "__".join(o.replace("/", "_").replace('"', "").replace(" ", "") for o in overrides)


def sweep_row(setting: str, run: Path) -> SweepRow:
    """Read a finished run's validation summary into one table row."""
    info = json.loads((Path(run) / RUN_INFO_FILE).read_text(encoding="utf-8"))
    validation = info.get("validation") or {}
    if not validation.get("enabled"):
        return SweepRow(setting, Path(run), {"kept_step": info.get("n_steps", ""), "warning": "no validation"})
    kept, base = validation.get("selected") or {}, validation.get("base") or {}
    key = f"val_{validation['collection']}_r"
    gap, base_gap = kept.get("val_gap"), base.get("val_gap")
    values = {
        "kept_step": kept.get("step"),
        "val_r": kept.get(key),
        "random_r": kept.get("val_random_r"),
        "val_gap": gap,
        "base_gap": base_gap,
        "gap_gain": gap - base_gap if gap is not None and base_gap is not None else None,
        "drift": 1.0 - kept["drift_cka"] if kept.get("drift_cka") is not None else None,
        "cosine": kept.get("drift_cosine"),
        "warning": "; ".join(w.split(":")[0] for w in validation.get("warnings", [])),
    }
    return SweepRow(setting, Path(run), values)


def run_sweep(
    config_path: Path | None,
    overrides: dict[str, Any],
    sets: Sequence[str],
    grid: Sequence[str],
    out: Path,
    *,
    one_at_a_time: bool = False,
    progress: bool = True,
) -> list[SweepRow]:
    """Fit every setting of the grid into ``out/<setting>`` and write ``out/sweep.csv`` and ``out/sweep.md``."""
    from humanst.atomic import atomic_write_text
    from stamp.train.config import load_config
    from stamp.train.loop import fit

    out = Path(out)
    rows = []
    for extra in expand_grid(grid, one_at_a_time=one_at_a_time):
        name = setting_name(extra)
        run = out / name
        config = load_config(config_path, {**overrides, "out": run}, [*sets, *extra])
        fit(config, resume=True, progress=progress)
        rows.append(sweep_row(name, run))
    lines = [",".join(COLUMNS)]
    for row in rows:
        lines.append(",".join(format_cell(v) for v in [row.setting, *(row.values.get(c) for c in COLUMNS[1:])]))
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "sweep.csv", "\n".join(lines) + "\n")
    atomic_write_text(out / "sweep.md", sweep_markdown(rows))
    return rows


def sweep_markdown(rows: Sequence[SweepRow]) -> str:
    """Return the sweep table as Markdown (drift = 1 - linear CKA of the kept encoder to the base)."""
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = "".join(
        "| " + " | ".join(format_cell(v) for v in [row.setting, *(row.values.get(c) for c in COLUMNS[1:])]) + " |\n"
        for row in rows
    )
    return head + body


def format_cell(value: Any) -> str:
    """One table cell: floats to 4 decimals, nothing for ``None``, commas turned into semicolons (CSV-safe)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value).replace(",", ";")
