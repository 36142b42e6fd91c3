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
) -> None:
    """Fit one run per setting of a --grid and tabulate drift and validation gap (what each did to the encoder).

    Each setting is an ordinary resumable run in OUT/<setting>/; the table (OUT/sweep.md, OUT/sweep.csv) gives the
    kept step, the validation probe's pathway r, random-set r and gap, the base encoder's gap, and the drift
    (1 - linear CKA to the base). Choose on validation; score the chosen run on held-out patients with
    `stamp-bench run --adapter OUT/<setting>`.
    """
    from stamp.train.sweep import run_sweep, sweep_markdown

    overrides = {"atlas": atlas, "encoder": encoder, "weights": weights}
    rows = guard(lambda: run_sweep(config, overrides, sets or [], grid, out, one_at_a_time=one_at_a_time))
    console.print(sweep_markdown(rows), highlight=False, markup=False)
    console.print(f"sweep table in [bold]{out / 'sweep.md'}[/]")


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
