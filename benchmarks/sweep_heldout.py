"""Held-out tier 1 of every run of a ``stamp sweep``: per setting, mean ± sd over seeds, minus the base and the control.

``python -m benchmarks.sweep_heldout --atlas A --encoder E [--weights F] --sweep SWEEP [--task T] [--pathway NAME]``
scores the base encoder once and every run of ``SWEEP/sweep.json`` (every seed of every setting and of every
negative control) on the task's held-out patients (the runner's tier 1; embeddings cached in ``SWEEP/emb``,
results and per-spot predictions in ``SWEEP/heldout/<setting>/``, which ``stamp-bench compare`` reads too), and
writes ``SWEEP/heldout.md``, ``.csv`` and ``.json``: per setting, the pathway r, random-set r, their gap and each
``--pathway``'s own r as mean ± sd over seeds, and aligned - base and aligned - control from ``compare``'s own
machinery (:func:`benchmarks.spot.compare.compare_pairs`): B - A of the seed-averaged scores with its paired
interval (over patients from ``min_patients`` on, else a spatial block bootstrap within these patients' tissue),
and the mean ± sd of B - A over the seed pairs. Settings are chosen on the validation table (``sweep.md``), never
on this one.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from benchmarks.runner import EncoderRun, check_adapter_unseen
from benchmarks.schema import Result
from benchmarks.spot.compare import ComparisonRow, compare_pairs
from benchmarks.spot.result_sets import LoadedResult, pair_replicates
from benchmarks.spot.runner import PreparedTask, evaluate_cache, prepare_embeddings, prepare_task
from benchmarks.spot.tissue_compare import gap_name, target_name
from benchmarks.tasks import load_task
from stamp.errors import RunError

if TYPE_CHECKING:
    from stamp.train.run_table import Cell, Spread
    from stamp.train.sweep import SettingJson

__all__ = ["HeldoutSetting", "heldout_rows", "heldout_table", "main", "score_sweep"]

HELDOUT_DIR, HELDOUT_MD, HELDOUT_CSV, HELDOUT_JSON = "heldout", "heldout.md", "heldout.csv", "heldout.json"
CHOOSE_NOTE = (
    "Report, do not choose: the setting is chosen on the VALIDATION table (sweep.md); this table scores every run "
    "on held-out patients no run was fitted or chosen on."
)


Values = dict[str, float | None]  # metric (pathway_r, random_r, gap, each focus pathway) -> mean over patients


class SeedsJson(TypedDict):
    """B - A of every seed pair, and their mean and standard deviation (NaN with one pair)."""

    mean: float
    sd: float
    n: int
    per_seed: dict[str, float]


class DifferenceJson(TypedDict):
    """B - A of one metric: the value, its paired interval (``None``: none), what it resampled, the seed spread."""

    diff: float
    ci_low: float | None
    ci_high: float | None
    resampled: str
    seeds: SeedsJson | None


Differences = dict[str, DifferenceJson | None]  # metric -> B - A (``None``: compare had no row for it)


class HeldoutRowJson(TypedDict):
    """One setting's row of ``heldout.json``: its seeds, the spread of each metric over them, and B - A."""

    setting: str
    role: str
    control: str | None
    seeds: list[int | None]
    over_seeds: dict[str, Spread]
    minus_base: Differences
    minus_control: Differences | None


class HeldoutJson(TypedDict):
    """``heldout.json``: the task, its held-out patients, the focus pathways, the base's numbers, every setting."""

    task: str
    patients: list[str]
    focus: list[str]
    note: str
    base: Values
    settings: list[HeldoutRowJson]


@dataclass(frozen=True)
class HeldoutSetting:
    """One setting of the sweep and its held-out results (one per seed), with its control's name (if any)."""

    name: str
    role: str  # setting | control
    control: str | None
    results: list[LoadedResult]


def _sweep_settings(sweep: Path) -> list[SettingJson]:
    from stamp.train.sweep import SWEEP_JSON

    path = sweep / SWEEP_JSON
    if not path.is_file():
        msg = f"sweep '{sweep}': no {SWEEP_JSON}; rerun the `stamp sweep` command (finished runs are skipped)"
        raise RunError(msg)
    return list(json.loads(path.read_text(encoding="utf-8"))["settings"])


def _score(
    prepared: PreparedTask, atlas: Path, runs: Sequence[EncoderRun], cache: Path, out: Path
) -> list[LoadedResult]:
    """Embed (or read the cache) and score every entry on the prepared task; write results and predictions."""
    shutil.rmtree(out, ignore_errors=True)  # this folder holds exactly these runs' results
    samples = sorted(set(prepared.data.sample_ids.tolist()))
    tested = {p for fold in prepared.folds for p in fold.test_patients}
    loaded = []
    for run in runs:
        if isinstance(run.adapter, Path):
            check_adapter_unseen(run.adapter, tested, prepared.task.name)
        folder = prepare_embeddings(atlas, run, cache, samples, device="cpu")
        result, _ = evaluate_cache(prepared, folder, kind="model", out=out)
        loaded.append(LoadedResult(result, out))
    return loaded


def score_sweep(
    atlas: Path, encoder: str, weights: Path | None, sweep: Path, task: str = "demo-spot"
) -> tuple[LoadedResult, list[HeldoutSetting]]:
    """Score the base once and every run of the sweep (all seeds, controls) on ``task``'s held-out patients."""
    settings = _sweep_settings(sweep)
    prepared = prepare_task(atlas, load_task(task))
    cache, root = sweep / "emb", sweep / HELDOUT_DIR
    (base,) = _score(prepared, atlas, [EncoderRun(encoder, weights=weights)], cache, root / "base")
    scored = []
    for item in settings:
        runs = [EncoderRun(encoder, adapter=sweep / r) for r in item["runs"]]
        results = _score(prepared, atlas, runs, cache, root / item["setting"])
        scored.append(HeldoutSetting(item["setting"], item["role"], item.get("control"), results))
    return base, scored


def _gap_block(result: Result) -> tuple[str, str]:
    """Return the first pathway block with a random-set control (the task's pathway collection) and that control."""
    if not result.gaps:
        msg = f"task {result.task.name!r} scores no pathway block with a random-set control; nothing to tabulate"
        raise RunError(msg)
    return result.gaps[0].pathways, result.gaps[0].control


def _values(result: Result, focus: Sequence[str]) -> Values:
    """One result's held-out numbers: means over patients of pathway r, random-set r, gap and each focus r."""
    pathways, control = _gap_block(result)
    blocks = {b.name: b for b in result.blocks}
    for name in focus:
        if name not in blocks[pathways].per_target:
            known = ", ".join(list(blocks[pathways].per_target)[:5])
            msg = f"--pathway {name}: not a target of block {pathways!r} of task {result.task.name!r} (e.g. {known})"
            raise RunError(msg)
    values: Values = {
        "pathway_r": blocks[pathways].pearson.mean,
        "random_r": blocks[control].pearson.mean,
        "gap": result.gaps[0].gap.mean,
    }
    for name in focus:
        per_patient = [t.get(name) for t in blocks[pathways].per_patient_target.values()]
        finite = [float(v) for v in per_patient if v is not None and math.isfinite(v)]
        values[name] = sum(finite) / len(finite) if finite else None
    return values


def _difference(row: ComparisonRow | None) -> DifferenceJson | None:
    """B - A of one comparison row: the value, its paired interval, what it resampled, and the spread over seeds."""
    if row is None:
        return None
    low: float | None
    high: float | None
    if row.population:
        low, high = row.ci_low, row.ci_high
        what = f"paired bootstrap over {row.n_patients} patients (seed-averaged per-patient values)"
    elif row.tissue is not None and math.isfinite(row.tissue.ci_low):
        low, high, what = row.tissue.ci_low, row.tissue.ci_high, row.tissue.resampled
    else:
        low = high = None
        what = f"no interval ({row.tissue_note or f'{row.n_patients} patients'})"
    seeds = row.seeds
    spread: SeedsJson | None = (
        {"mean": seeds.mean, "sd": seeds.sd, "n": seeds.n, "per_seed": seeds.per_seed} if seeds else None
    )
    return {"diff": row.diff, "ci_low": low, "ci_high": high, "resampled": what, "seeds": spread}


def _differences(a: list[LoadedResult], b: list[LoadedResult], focus: Sequence[str]) -> Differences:
    """B - A of pathway r, gap and each focus pathway's r, through compare's own machinery."""
    pathways, control = _gap_block(a[0].result)
    rows = {r.target: r for r in compare_pairs(pair_replicates(a, b), focus=focus)}
    keys = {"pathway_r": pathways, "gap": gap_name(pathways, control)}
    keys.update({name: target_name(pathways, name) for name in focus})
    return {key: _difference(rows.get(target)) for key, target in keys.items()}


def heldout_rows(base: LoadedResult, settings: Sequence[HeldoutSetting], focus: Sequence[str] = ()) -> HeldoutJson:
    """Per setting: its numbers' mean ± sd over seeds, aligned - base and (settings with one) aligned - control."""
    from stamp.train.replicates import SeedRow, summarise_seeds

    by_name = {s.name: s for s in settings}
    rows: list[HeldoutRowJson] = []
    for setting in settings:
        seed_rows = [SeedRow(r.seed or 0, r.folder, _values(r.result, focus)) for r in setting.results]
        control = by_name.get(setting.control) if setting.control else None
        rows.append(
            {
                "setting": setting.name, "role": setting.role, "control": setting.control,
                "seeds": [r.seed for r in setting.results], "over_seeds": summarise_seeds(seed_rows)["over_seeds"],
                "minus_base": _differences([base], setting.results, focus),
                "minus_control": _differences(control.results, setting.results, focus) if control else None,
            }
        )  # fmt: skip
    pathways, _ = _gap_block(base.result)
    tested = sorted(next(b for b in base.result.blocks if b.name == pathways).per_patient)
    return {
        "task": base.result.task.name, "patients": tested, "focus": list(focus), "note": CHOOSE_NOTE,
        "base": _values(base.result, focus), "settings": rows,
    }  # fmt: skip


def _mean_sd(item: Spread | None) -> str:
    if not item or item.get("mean") is None:
        return ""
    sd = item.get("sd")
    return f"{item['mean']:.3f}" + (f" ± {sd:.3f}" if sd is not None else "")


def _diff_cell(item: DifferenceJson | None) -> str:
    if item is None:
        return ""
    text = f"{item['diff']:+.3f}"
    if item["ci_low"] is not None:
        text += f" [{item['ci_low']:+.3f}, {item['ci_high']:+.3f}]"
    seeds = item["seeds"]
    if seeds:
        sd = f" ± {seeds['sd']:.3f}" if math.isfinite(seeds["sd"]) else ""
        text += f"; seeds {seeds['mean']:+.3f}{sd} (n={seeds['n']})"
    return text


def heldout_table(table: HeldoutJson) -> str:
    """Render :func:`heldout_rows` as Markdown, with what every interval resampled."""
    focus = table["focus"]
    metrics = ["pathway_r", "random_r", "gap", *focus]
    diffs = ["pathway_r", "gap", *focus]
    labels = {"pathway_r": "pathway r", "random_r": "random-set r", "gap": "gap", **{f: f"{f} r" for f in focus}}
    head = ["setting", "role", "seeds", *(labels[m] for m in metrics)]
    head += [f"{labels[d]}: aligned - base" for d in diffs] + [f"{labels[d]}: aligned - control" for d in diffs]
    lines = [
        f"# Held-out tier 1 of the sweep (task `{table['task']}`, held-out patients {', '.join(table['patients'])})",
        "",
        f"**{CHOOSE_NOTE}**",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    base = table["base"]
    cells = ["base", "base", "1", *(f"{base[m]:.3f}" if base.get(m) is not None else "" for m in metrics)]
    lines.append("| " + " | ".join(cells + [""] * (2 * len(diffs))) + " |")
    resampled = set()
    for row in table["settings"]:
        cells = [row["setting"], row["role"], str(len(row["seeds"]))]
        cells += [_mean_sd(row["over_seeds"].get(m)) for m in metrics]
        for side in ("minus_base", "minus_control"):
            found = [(row[side] or {}).get(d) for d in diffs]
            cells += [_diff_cell(item) for item in found]
            resampled |= {item["resampled"] for item in found if item}
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "Each number: mean over the held-out patients; per setting, mean ± sd over its seeds (n - 1), every seed "
        "counted, none chosen. aligned - base and aligned - control: B - A of the seed-averaged scores with its "
        "paired 95% interval [low, high] (the control paired seed by seed), then `seeds`: mean ± sd of B - A over "
        "the seed pairs. The intervals resampled:",
        "",
        *(f"- {text}" for text in sorted(resampled)),
    ]
    return "\n".join(lines) + "\n"


def _diff_csv(item: DifferenceJson | None) -> list[Cell]:
    """B - A, its interval, and the mean and sd over seed pairs (empty cells where there is none)."""
    if item is None:
        return [None] * 5
    seeds = item["seeds"]
    spread: list[Cell] = [seeds["mean"], seeds["sd"]] if seeds else [None, None]
    return [item["diff"], item["ci_low"], item["ci_high"], *spread]


def heldout_csv(table: HeldoutJson) -> str:
    """One CSV row per setting: mean and sd over seeds, and every difference with its interval and seed spread."""
    from stamp.train.run_table import format_cell

    focus = table["focus"]
    metrics, diffs = ["pathway_r", "random_r", "gap", *focus], ["pathway_r", "gap", *focus]
    parts = ("diff", "ci_low", "ci_high", "seeds_mean", "seeds_sd")
    head = ["setting", "role", "n_seeds", *(f"{m}_{s}" for m in metrics for s in ("mean", "sd"))]
    head += [f"{d}_{side}_{p}" for side in ("minus_base", "minus_control") for d in diffs for p in parts]
    lines = [",".join(head)]
    for row in table["settings"]:
        cells: list[Cell] = [row["setting"], row["role"], len(row["seeds"])]
        cells += [(row["over_seeds"].get(m) or {}).get(s) for m in metrics for s in ("mean", "sd")]
        for side in ("minus_base", "minus_control"):
            cells += [c for d in diffs for c in _diff_csv((row[side] or {}).get(d))]
        lines.append(",".join(format_cell(c) for c in cells))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (``python -m benchmarks.sweep_heldout``)."""
    from humanst.atomic import atomic_write_json, atomic_write_text
    from humanst.console import console

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--atlas", type=Path, required=True)
    parser.add_argument("--encoder", required=True)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--sweep", type=Path, required=True)
    parser.add_argument("--task", default="demo-spot")
    parser.add_argument("--pathway", action="append", default=[], help="A focus pathway reported alone (repeatable).")
    args = parser.parse_args(argv)
    base, settings = score_sweep(args.atlas, args.encoder, args.weights, args.sweep, args.task)
    table = heldout_rows(base, settings, args.pathway)
    text = heldout_table(table)
    atomic_write_text(args.sweep / HELDOUT_MD, text)
    atomic_write_text(args.sweep / HELDOUT_CSV, heldout_csv(table))
    atomic_write_json(args.sweep / HELDOUT_JSON, table)
    console.print(text, markup=False, highlight=False)


if __name__ == "__main__":
    main()
