"""``stamp fit`` and ``stamp verdict``: align an encoder (one run or replicate seeds) and judge the run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.console import console
from stamp.cli._app import EncoderOpt, WeightsOpt, app, guard

FIT_FLAGS = {  # the config key each flag of `stamp fit` sets, so an invalid value is reported under its own flag
    "atlas": "--atlas",
    "encoder": "--encoder",
    "weights": "--weights",
    "out": "--out",
    "optim.steps": "--steps",
    "optim.batch_size": "--batch-size",
    "optim.lr": "--lr",
    "seed": "--seed",
    "device": "--device",
    "validation.patients": "--val-patients",
    "validation.select": "--select",
}


@app.command()
def fit(
    atlas: Annotated[Path | None, typer.Option("--atlas", "-a", help="Atlas folder built by `humanst build`.")] = None,
    encoder: EncoderOpt = None,
    weights: WeightsOpt = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML config; flags override it.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Run directory (required here or as `out:` in --config).")
    ] = None,
    steps: Annotated[int | None, typer.Option(help="Optimiser steps.", min=1)] = None,
    batch_size: Annotated[int | None, typer.Option(help="Patches per GPU/process and step.", min=2)] = None,
    lr: Annotated[float | None, typer.Option(help="Peak learning rate of the LoRA parameters.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of data order, augmentation and init.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda (torchrun: each rank its local GPU).")] = None,
    val_patients: Annotated[
        list[str] | None,
        typer.Option("--val-patients", help="Validate on these patients (default: the atlas's `val` split)."),
    ] = None,
    select: Annotated[
        str | None,
        typer.Option("--select", help="Adapter to keep: `best-val-gap` (default) or `last`."),
    ] = None,
    sets: Annotated[
        list[str] | None, typer.Option("--set", help="Any config key, e.g. --set lora.r=16 --set data.balance=organ.")
    ] = None,
    resume: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--resume", help="Continue from the newest checkpoint in --out.")
    ] = False,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds",
            min=1,
            help="Replicates: seeds SEED..SEED+N-1 into OUT/seed-<s>/ plus OUT/seeds.md (none chosen).",
        ),
    ] = None,
    control: Annotated[
        Path | None,
        typer.Option(
            "--control",
            help="A random-aligned control run (data.targets=random, same seed) for the verdict; with "
            "--seeds, a seeds folder of control runs.",
        ),
    ] = None,
) -> None:
    """Train LoRA adapters and heads that align the encoder's patch embeddings with pathway scores.

    Every `validation.every` steps (and at step 0 for the base encoder) a ridge probe on the current encoder's
    embeddings predicts the validation patients' pathways and matched random gene sets; metrics.csv and
    TensorBoard get val_<collection>_r, val_random_r, val_gap, drift_cosine and drift_cka. The run keeps the
    adapter with the best val_gap (--select best-val-gap) or the last one (--select last); run.json and card.md
    record the choice and warn when the encoder barely moved, and a verdict: moved (drift), beat the base on
    validation and, with --control, beat the random-aligned control (paired block-bootstrap intervals). The
    negative control itself is `stamp fit --set data.targets=random` (docs/controls.md).

    Multi-GPU / multi-node: launch the same command with `torchrun --nproc_per_node N -m stamp.cli fit ...` or
    `accelerate launch -m stamp.cli fit ...`; each process takes its slice of every global batch.
    """
    from stamp.errors import ConfigError
    from stamp.train import fit as run_fit
    from stamp.train import load_config
    from stamp.train.checkpoint import latest_checkpoint

    def action() -> None:
        overrides = {
            "atlas": atlas,
            "encoder": encoder,
            "weights": weights,
            "out": out,
            "optim.steps": steps,
            "optim.batch_size": batch_size,
            "optim.lr": lr,
            "seed": seed,
            "device": device,
            "validation.patients": val_patients or None,
            "validation.select": select,
        }
        if out is None and not _config_sets_out(config, sets):
            msg = "stamp fit needs a run directory: pass --out RUN (or set `out:` in --config); there is no default"
            raise ConfigError(msg)
        cfg = load_config(config, overrides, sets, flags=FIT_FLAGS)
        if seeds is not None:
            from stamp.train.replicates import SUMMARY_MD, run_seeds

            run_seeds(cfg, seeds, control=control)
            console.print(f"{seeds} seed(s) in [bold]{cfg.out}[/]; every seed in {cfg.out / SUMMARY_MD}")
            return
        if resume and latest_checkpoint(cfg.out) is None:
            console.print(f"--resume: no checkpoint in '{cfg.out}' yet, so this starts a fresh run", highlight=False)
        result = run_fit(cfg, resume=resume)
        from stamp.train.distributed import is_main_process

        if control is not None and is_main_process():
            from stamp.train.verdict import write_verdict

            write_verdict(result.run, control)
        console.print(
            f"run [bold]{result.run}[/]: {result.step} steps, final loss {result.losses[-1]:.4f} "
            f"({result.wall_s:.0f} s)"
            if result.losses
            else f"run {result.run}: nothing left to train"
        )

    guard(action)


def _config_sets_out(config: Path | None, sets: list[str] | None) -> bool:
    """Whether the YAML config or a ``--set`` names the run directory (``out``)."""
    import yaml

    if any(item.partition("=")[0].strip() == "out" for item in sets or []):
        return True
    if config is None:
        return False
    try:
        tree = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return True  # load_config reports the unreadable file itself
    return isinstance(tree, dict) and tree.get("out") is not None


@app.command()
def verdict(
    run: Annotated[Path, typer.Argument(help="Run directory of `stamp fit` (finished).")],
    control: Annotated[
        Path | None, typer.Option("--control", help="Random-aligned control run (data.targets=random, same seed).")
    ] = None,
) -> None:
    """(Re)write a run's verdict in run.json and card.md: moved, beat the base, beat the control (with --control)."""
    from stamp.run_dir import RunFiles
    from stamp.train.verdict import write_verdict

    checks = guard(lambda: write_verdict(run, control))
    for check in checks:
        answer = {True: "yes", False: "no", None: "not measured"}[check.passed]
        value = "-" if check.value is None else f"{check.value:+.4f}"
        interval = "" if check.ci_low is None else f" [{check.ci_low:+.4f}, {check.ci_high:+.4f}]"
        console.print(f"{check.name}: {answer} ({check.metric}: {value}{interval})", highlight=False, markup=False)
    console.print(f"verdict in [bold]{run / RunFiles.CARD}[/]")
