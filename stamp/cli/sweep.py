"""``stamp sweep`` and ``stamp demo-base``: a grid of fits, and the demo's pretrained base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.console import console
from stamp.cli._app import EncoderOpt, WeightsOpt, app, guard


@app.command()
def sweep(
    grid: Annotated[
        list[str], typer.Option("--grid", help="KEY=V1,V2,... (repeatable): the values to try, e.g. lora.r=4,8,16.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Sweep folder: one run per setting + sweep.csv/.md.")],
    atlas: Annotated[Path | None, typer.Option("--atlas", "-a", help="Atlas folder built by `humanst build`.")] = None,
    encoder: EncoderOpt = None,
    weights: WeightsOpt = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="YAML config every setting starts from.")
    ] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="Overrides shared by every setting.")] = None,
    one_at_a_time: Annotated[  # noqa: FBT002  (a CLI flag)
        bool,
        typer.Option("--one-at-a-time", help="The config, then each --grid value alone (not the full product)."),
    ] = False,
    seeds: Annotated[
        int | None,
        typer.Option(
            "--seeds",
            min=1,
            help="Replicates per setting: seeds SEED..SEED+N-1 in OUT/<setting>/seed-<s>/ (none chosen).",
        ),
    ] = None,
    controls: Annotated[  # noqa: FBT002  (a CLI flag)
        bool,
        typer.Option(
            "--controls",
            help="Also fit each setting's negative control (data.targets=random, shared when settings differ only "
            "in targets) and pair them seed by seed.",
        ),
    ] = False,
) -> None:
    """Fit one run per setting of a --grid and tabulate drift and validation gap (what each did to the encoder).

    Each setting is an ordinary resumable run in OUT/<setting>/ (with --seeds, a seeds folder of N runs); a rerun
    skips finished runs. With --controls every setting also gets its data.targets=random control, paired with it
    seed by seed. The table (OUT/sweep.md, .csv, .json) gives, as mean ± sd over seeds, the kept step, the
    validation probe's pathway r, random-set r and gap, the base encoder's gap, the drift (1 - linear CKA to the
    base) and the gain over the control. Choose on validation; score every run on held-out patients with
    `python -m benchmarks.sweep_heldout` (to report, not to choose).
    """
    from stamp.train.sweep import SWEEP_MD, run_sweep, sweep_markdown

    overrides = {"atlas": atlas, "encoder": encoder, "weights": weights}
    rows = guard(
        lambda: run_sweep(
            config, overrides, sets or [], grid, out, one_at_a_time=one_at_a_time, seeds=seeds, controls=controls
        )
    )
    console.print(sweep_markdown(rows), highlight=False, markup=False)
    console.print(f"sweep table in [bold]{out / SWEEP_MD}[/]")


@app.command("demo-base")
def demo_base(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Weights file to write (reused if its recipe matches).")
    ] = Path("demo_out/demo-base.safetensors"),
) -> None:
    """Pretrain the demo's base encoder (vit-tiny-test) on synthetic H&E to know tissue regions, not expression.

    The demo then aligns it with `stamp fit --weights OUT`, as STAMP aligns a pathology foundation model that
    already knows morphology. Deterministic and cached: a second call with the same recipe does nothing.
    """
    from stamp.demo_base import make_demo_base

    meta = guard(lambda: make_demo_base(out))
    console.print(
        f"demo base [bold]{out}[/]: {meta.get('patches')} patches, region accuracy "
        f"{meta.get('region_accuracy_last_20_steps')} ({meta.get('objective')})",
        highlight=False,
    )
