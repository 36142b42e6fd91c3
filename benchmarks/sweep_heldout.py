"""Held-out tier 1 for every run of a ``stamp sweep``: aligned vs base, the paired difference, the random-set control.

``python -m benchmarks.sweep_heldout --atlas A --encoder E [--weights F] --sweep SWEEP [--task T]`` scores the
base encoder once and each finished run of ``SWEEP/`` on the task's held-out patients (the runner's tier 1,
embeddings cached in ``SWEEP/emb``), and writes ``SWEEP/heldout.md`` beside ``sweep.md``: per setting, the
drift and validation gap from ``stamp sweep`` and, on the held-out patients, pathway r, random-set r and their
gap for the aligned encoder, with aligned - base per patient. Settings are chosen on validation, never on this
table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.runner import EncoderRun
from benchmarks.schema import Result
from benchmarks.spot.runner import PreparedTask, evaluate_cache, prepare_embeddings, prepare_task
from benchmarks.stats import paired_bootstrap
from benchmarks.tasks import load_task
from stamp.run_dir import RunFiles
from stamp.train.sweep import sweep_row

__all__ = ["heldout_table", "main"]


def _per_patient(result: Result, kind: str) -> dict[str, float]:
    block = next(b for b in result.blocks if b.kind == kind)
    return {p: float("nan") if v is None else v for p, v in block.per_patient.items()}


def _score(prepared: PreparedTask, atlas: Path, run: EncoderRun, cache: Path) -> dict[str, dict[str, float]]:
    samples = sorted(set(prepared.data.sample_ids.tolist()))
    folder = prepare_embeddings(atlas, run, cache, samples, device="cpu")
    result, _ = evaluate_cache(prepared, folder, kind="model")
    pathways, random = _per_patient(result, "pathways"), _per_patient(result, "random")
    return {"pathways": pathways, "random": random, "gap": {p: pathways[p] - random[p] for p in pathways}}


def _fmt(values: dict[str, float]) -> str:
    return f"{np.nanmean(list(values.values())):.3f} (" + ", ".join(f"{v:.3f}" for _, v in sorted(values.items())) + ")"


def heldout_table(atlas: Path, encoder: str, weights: Path | None, sweep: Path, task: str = "demo-spot") -> str:
    """Score the base and every finished run of ``sweep`` on ``task``; return the Markdown table."""
    prepared = prepare_task(atlas, load_task(task))
    cache = sweep / "emb"
    base = _score(prepared, atlas, EncoderRun(encoder, weights=weights), cache)
    patients = sorted(base["pathways"])
    lines = [
        f"Held-out tier 1 (`{task}`, patients {', '.join(patients)}): mean over patients (per patient). "
        "drift = 1 - linear CKA of the kept encoder to the base on the validation spots.",
        "",
        "| setting | drift | val gap (base) | pathway r | random-set r | gap | pathway r - base | gap - base |",
        "|---|---|---|---|---|---|---|---|",
        f"| base | 0 | | {_fmt(base['pathways'])} | {_fmt(base['random'])} | {_fmt(base['gap'])} | | |",
    ]
    for run in sorted(p for p in sweep.iterdir() if (p / RunFiles.INFO).is_file()):
        row = sweep_row(run.name, run).values
        aligned = _score(prepared, atlas, EncoderRun(encoder, adapter=run), cache)
        diff = {k: {p: aligned[k][p] - base[k][p] for p in patients} for k in ("pathways", "gap")}
        boot = paired_bootstrap([aligned["gap"][p] for p in patients], [base["gap"][p] for p in patients])
        lines.append(
            f"| {run.name} | {row.get('drift') or 0:.3f}"
            f" | {row.get('val_gap') or 0:.3f} ({row.get('base_gap') or 0:.3f})"
            f" | {_fmt(aligned['pathways'])} | {_fmt(aligned['random'])} | {_fmt(aligned['gap'])}"
            f" | {_fmt(diff['pathways'])} | {_fmt(diff['gap'])} [{boot['ci_low']:.3f}, {boot['ci_high']:.3f}] |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (``python -m benchmarks.sweep_heldout``)."""
    from humanst.atomic import atomic_write_text
    from humanst.console import console

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atlas", type=Path, required=True)
    parser.add_argument("--encoder", required=True)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--sweep", type=Path, required=True)
    parser.add_argument("--task", default="demo-spot")
    args = parser.parse_args(argv)
    table = heldout_table(args.atlas, args.encoder, args.weights, args.sweep, args.task)
    atomic_write_text(args.sweep / "heldout.md", table)
    console.print(table, markup=False, highlight=False)


if __name__ == "__main__":
    main()
