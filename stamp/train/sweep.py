"""``stamp sweep``: fit a grid of ``--set`` overrides (seeds and negative controls too) and tabulate each setting.

Every setting is one ordinary run (``OUT/<setting>/``, resumable, skipped when finished) of the same config, or,
with ``seeds``, a seeds folder of ``stamp fit --seeds N`` (``OUT/<setting>/seed-<s>/``). With ``controls`` every
setting also gets its negative control: the same overrides with ``data.targets`` replaced by ``random``
(settings that differ only in their targets share one control), fitted first and paired with the setting seed
by seed in each run's verdict. The table (``sweep.md``, ``sweep.csv``, ``sweep.json``) has one row per setting
and per control: the validation numbers of each run's ``run.json`` (kept step, pathway r, random-set r, their
gap, the base's gap, the drift) as mean ± sd over seeds, and the validation gain over the control (the verdict's
``beat_control`` rows, paired by seed). No seed is chosen. The defaults in ``configs/fit/`` were chosen on such a
table on the demo; a real foundation model needs its own sweep.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import JsonValue

from stamp.errors import ConfigError
from stamp.train.run_table import SeedsSummary, SweepRow, format_cell, sweep_row, warning_heads

if TYPE_CHECKING:
    from stamp.train.config import TrainConfig

__all__ = [
    "Setting",
    "SettingJson",
    "SettingRow",
    "SweepRow",
    "expand_grid",
    "format_cell",
    "plan_settings",
    "run_sweep",
    "setting_name",
    "sweep_markdown",
    "sweep_row",
    "warning_heads",
]

TARGETS_KEY, CONTROL_TARGETS = "data.targets", "random"  # a negative control: the setting aligned to random sets
SWEEP_JSON, SWEEP_CSV, SWEEP_MD = "sweep.json", "sweep.csv", "sweep.md"
METRICS = ("kept_step", "val_r", "random_r", "val_gap", "base_gap", "gap_gain", "drift")
VS_CONTROL = ("beat_control.value", "beat_control_gap.value")  # this setting minus its control, paired by seed
COLUMNS = ("setting", "role", "control", "seeds", *METRICS, "vs_control_r", "vs_control_gap", "warning")


@dataclass(frozen=True)
class Setting:
    """One setting of the sweep: its overrides, folder name, and the control it is paired with (if any)."""

    name: str
    overrides: tuple[str, ...]
    control: str | None = None  # the name of its negative control setting
    is_control: bool = False


class SettingJson(SeedsSummary):
    """One row of ``sweep.json``: the setting, its runs (relative to the sweep folder) and its seeds summary."""

    setting: str
    role: str  # setting | control
    control: str | None
    overrides: list[str]
    runs: list[str]
    warning: str


@dataclass(frozen=True)
class SettingRow:
    """One setting's table row: its runs (one per seed) and every number's mean and spread over them."""

    setting: Setting
    runs: list[Path]
    summary: SeedsSummary  # stamp.train.replicates.summarise_seeds of the runs
    warning: str = ""

    def to_json(self, root: Path) -> SettingJson:
        """JSON-ready form, run folders relative to the sweep folder."""
        return {
            "setting": self.setting.name,
            "role": "control" if self.setting.is_control else "setting",
            "control": self.setting.control,
            "overrides": list(self.setting.overrides),
            "runs": [str(Path(r).relative_to(root)) for r in self.runs],
            "warning": self.warning,
            **self.summary,
        }


def _parse(item: str) -> tuple[str, list[JsonValue]]:
    key, sep, text = item.partition("=")
    if not sep or not key.strip() or not text.strip():
        msg = f"--grid {item!r}: expected KEY=V1,V2,..., e.g. --grid lora.r=4,8,16"
        raise ConfigError(msg)
    return key.strip(), [yaml.safe_load(v) for v in text.split(",")]


def _override(key: str, value: JsonValue) -> str:
    return f"{key}={json.dumps(value)}"


def expand_grid(grid: Sequence[str], *, one_at_a_time: bool = False) -> list[list[str]]:
    """Turn ``KEY=V1,V2`` items into lists of ``KEY=V`` overrides (the cartesian product, or one key at a time).

    ``one_at_a_time`` gives the config itself (no override) and then each value of each key alone.
    """
    axes = [_parse(item) for item in grid]
    if one_at_a_time:
        settings: list[list[str]] = [[]]
        for key, values in axes:
            settings += [[_override(key, v)] for v in values]
        return settings
    return [
        [_override(key, v) for key, v in zip([k for k, _ in axes], combo, strict=True)]
        for combo in itertools.product(*[values for _, values in axes])
    ]


def setting_name(overrides: Sequence[str]) -> str:
    """Folder-safe name of a setting (``config`` for no override)."""
    if not overrides:
        return "config"
    return "__".join(o.replace("/", "_").replace('"', "").replace(" ", "") for o in overrides)


def control_overrides(overrides: Sequence[str]) -> list[str] | None:
    """Return a setting's negative control: its overrides with ``data.targets`` set to random (``None``: it is one).

    The targets override is replaced where it stands (else appended), so equal configurations get equal names.
    """
    control = _override(TARGETS_KEY, CONTROL_TARGETS)
    keys = [o.partition("=")[0].strip() for o in overrides]
    if TARGETS_KEY not in keys:
        return [*overrides, control]
    out = [control if k == TARGETS_KEY else o for k, o in zip(keys, overrides, strict=True)]
    return None if out == list(overrides) else out


def plan_settings(grid: Sequence[str], *, one_at_a_time: bool = False, controls: bool = False) -> list[Setting]:
    """Return the sweep's settings in fitting order: the controls first (deduplicated), then the grid's settings."""
    grid_settings = expand_grid(grid, one_at_a_time=one_at_a_time)
    if not controls:
        return [Setting(setting_name(o), tuple(o)) for o in grid_settings]
    planned: dict[str, Setting] = {}
    paired = []
    for overrides in grid_settings:
        control = control_overrides(overrides)
        name = setting_name(control) if control is not None else None
        if control is not None and name is not None:
            planned.setdefault(name, Setting(name, tuple(control), is_control=True))
        paired.append(Setting(setting_name(overrides), tuple(overrides), control=name))
    for setting in paired:  # a grid value that is itself a control (data.targets=random) is listed once
        if setting.name not in planned:
            planned[setting.name] = setting
    return list(planned.values())


def _fit_setting(config: TrainConfig, setting: Setting, out: Path, seeds: int | None, *, progress: bool) -> SettingRow:
    """Fit one setting (one run, or ``seeds`` seeds) paired with its control's runs; return its row."""
    from stamp.train.loop import fit
    from stamp.train.replicates import run_seeds, seed_row, summarise_seeds
    from stamp.train.verdict import write_verdict

    control = out / setting.control if setting.control is not None else None
    if seeds is not None:
        rows, _ = run_seeds(config, seeds, control=control, progress=progress)
    else:
        fit(config, resume=True, progress=progress)
        if control is not None:
            write_verdict(config.out, control)
        rows = [seed_row(config.seed, config.out)]
    heads = [set(str(sweep_row(setting.name, r.run).values.get("warning") or "").split("; ")) - {""} for r in rows]
    counts = {h: sum(h in mine for mine in heads) for h in sorted(set().union(*heads))}
    warning = "; ".join(f"{h} ({n}/{len(rows)} seeds)" for h, n in counts.items())
    return SettingRow(setting, [r.run for r in rows], summarise_seeds(rows), warning)


def run_sweep(
    config_path: Path | None,
    overrides: Mapping[str, str | Path | None],
    sets: Sequence[str],
    grid: Sequence[str],
    out: Path,
    *,
    one_at_a_time: bool = False,
    seeds: int | None = None,
    controls: bool = False,
    progress: bool = True,
) -> list[SettingRow]:
    """Fit every setting (and control) into ``out/<setting>`` and write ``out/sweep.{csv,md,json}``.

    ``seeds``: each setting is a seeds folder of that many replicates (``stamp fit --seeds``); ``controls``: each
    setting is paired, seed by seed, with its ``data.targets=random`` control.
    """
    from humanst.atomic import atomic_write_json, atomic_write_text
    from stamp.train.config import load_config

    out = Path(out)
    rows = []
    for setting in plan_settings(grid, one_at_a_time=one_at_a_time, controls=controls):
        config = load_config(config_path, {**overrides, "out": out / setting.name}, [*sets, *setting.overrides])
        rows.append(_fit_setting(config, setting, out, seeds, progress=progress))
    ordered = [r for r in rows if not r.setting.is_control] + [r for r in rows if r.setting.is_control]
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / SWEEP_CSV, sweep_csv(ordered))
    atomic_write_text(out / SWEEP_MD, sweep_markdown(ordered))
    atomic_write_json(out / SWEEP_JSON, {"settings": [r.to_json(out) for r in ordered]})
    return ordered


def _cells(row: SettingRow) -> dict[str, tuple[float | None, float | None, int]]:
    """Mean, sd and count over seeds of every numeric column of a row."""
    spread = row.summary["over_seeds"]
    keys = {**{m: m for m in METRICS}, "vs_control_r": VS_CONTROL[0], "vs_control_gap": VS_CONTROL[1]}
    out = {}
    for column, key in keys.items():
        item = spread.get(key) or {}
        out[column] = (item.get("mean"), item.get("sd"), int(item.get("n") or 0))
    return out


def _head(row: SettingRow) -> list[str | int]:
    role = "control" if row.setting.is_control else "setting"
    return [row.setting.name, role, row.setting.control or "", len(row.runs)]


def mean_sd(mean: float | None, sd: float | None, n: int, runs: int) -> str:
    """``0.1234 ± 0.0100``: a mean over seeds and its sd (n - 1); ``(n=k)`` when fewer than every run had a value."""
    if mean is None:
        return ""
    if float(mean).is_integer() and (sd is None or float(sd).is_integer()):  # a step, the same for every seed
        mean, sd = int(mean), None if sd is None else int(sd)
    text = format_cell(mean) + (f" ± {format_cell(sd)}" if sd is not None else "")
    return text + (f" (n={n})" if n != runs else "")


def sweep_markdown(rows: Sequence[SettingRow]) -> str:
    """Return the sweep table as Markdown: every number is mean ± sd over the seeds (seeds = n); none chosen."""
    head = "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
    body = ""
    for row in rows:
        cells = [mean_sd(*v, len(row.runs)) for v in _cells(row).values()]
        body += "| " + " | ".join(format_cell(v) for v in _head(row)) + " | " + " | ".join(cells)
        body += f" | {format_cell(row.warning)} |\n"
    note = (
        "\nValidation patients (choose the setting here). Each number: mean ± sd over seeds (n - 1; seeds = n), "
        "every seed counted, none chosen. drift = 1 - linear CKA of the kept encoder to the base. vs_control_r / "
        "vs_control_gap: this setting minus its data.targets=random control (the runs' verdicts, paired seed by "
        "seed on the same validation spots).\n"
    )
    return head + body + note


def sweep_csv(rows: Sequence[SettingRow]) -> str:
    """Return the sweep table as CSV: every numeric column as ``<name>_mean`` and ``<name>_sd`` over seeds."""
    numeric = list(COLUMNS[4:-1])
    lines = [",".join([*COLUMNS[:4], *(f"{c}_{s}" for c in numeric for s in ("mean", "sd")), "warning"])]
    for row in rows:
        cells = _cells(row)
        values = [*_head(row), *(x for c in numeric for x in cells[c][:2]), row.warning]
        lines.append(",".join(format_cell(v) for v in values))
    return "\n".join(lines) + "\n"
