"""``stamp export`` and ``stamp push``: a run as a merged timm encoder, or on the Hugging Face Hub."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.console import console, err_console
from stamp.cli._app import WeightsOpt, app, guard


@app.command()
def export(
    run: Annotated[Path, typer.Argument(help="Run directory of `stamp fit`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (must not exist or be empty).")] = Path(
        "export"
    ),
    merge: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--merge", help="Fold LoRA into the weights (the only mode).")
    ] = True,
    weights: WeightsOpt = None,
) -> None:
    """Export a run as a plain timm encoder (model.safetensors + config.json + card.md) with the LoRA merged."""
    from stamp.export import export_merged

    if not merge:
        err_console.print("[bold red]error[/] only --merge exports exist; the adapter itself is RUN/adapter/")
        raise typer.Exit(2)
    folder = guard(lambda: export_merged(run, out, weights=weights))
    console.print(f"merged encoder in [bold]{folder}[/] (timm.create_model('local-dir:{folder}'))")


@app.command()
def push(
    run: Annotated[Path, typer.Argument(help="Run directory of a finished `stamp fit`.")],
    repo: Annotated[str, typer.Option("--repo", "-r", help="Model repository ORG/NAME (created if missing).")],
    merged: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--merged", help="Push the merged encoder in timm's hub layout instead of the adapter.")
    ] = False,
    public: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--public", help="Create the repository public (default: private).")
    ] = False,
    weights: WeightsOpt = None,
) -> None:
    """Push a run to the Hugging Face Hub: the PEFT adapter, heads, run.json and its card (or --merged: timm layout).

    The adapter loads with `peft.PeftModel.from_pretrained(base, "ORG/NAME")` and wherever a run folder is accepted
    as --adapter hf:ORG/NAME[@REVISION]; --merged loads with `timm.create_model("hf-hub:ORG/NAME", pretrained=True)`
    and is refused when the base model is gated or its licence forbids sharing modified weights. Private by
    default; the token comes from HF_TOKEN or `hf auth login` and is never printed.
    """
    from stamp.hub import push_run

    result = guard(lambda: push_run(run, repo, merged=merged, private=not public, weights=weights))
    console.print(
        f"pushed the {'merged encoder' if merged else 'adapter'} of [bold]{run}[/] to {result.repo_id} "
        f"({'private' if result.private else 'public'}) at commit {result.commit}: {len(result.files)} file(s)"
        + (f", {len(result.removed)} stale file(s) removed" if result.removed else "")
        + f". {result.page}",
        highlight=False,
    )
    console.print(
        f"load it with --adapter hf:{result.repo_id}@{result.commit}"
        if not merged
        else f"load it with timm.create_model('hf-hub:{result.repo_id}', pretrained=True)",
        highlight=False,
        markup=False,
    )
