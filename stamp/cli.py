"""The ``stamp`` command line: align pathology foundation models to pathway-level transcriptomics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from humanst.console import cli_errors, console, err_console, new_app

T = TypeVar("T")

app = new_app(
    "stamp",
    "STAMP alignment: LoRA fine-tuning of a timm pathology encoder so patch embeddings align with pathway scores.",
)

EncoderOpt = Annotated[
    str | None, typer.Option("--encoder", "-e", help="Registered encoder (see `stamp encoders`) or timm:<arch>.")
]
WeightsOpt = Annotated[
    Path | None, typer.Option("--weights", help="Local .safetensors weights instead of the Hugging Face Hub (offline).")
]
AdapterOpt = Annotated[
    str | None,
    typer.Option(
        "--adapter",
        help="Run directory of `stamp fit`, or hf:ORG/NAME[@REVISION] (pushed by `stamp push`; pinned by commit).",
    ),
]


def _guard(action: Callable[[], T]) -> T:
    """Run ``action``; turn stamp's and humanst's own errors into one red line and exit code 1 (no traceback)."""
    from humanst.errors import HumanstError
    from stamp.errors import StampError

    with cli_errors(StampError, HumanstError):
        return action()


@app.command()
def encoders() -> None:
    """List the registered encoders: hub id, embedding dim, input size, pooling, licence, gated."""
    from rich.table import Table

    from stamp.encoders import encoder_names, get_encoder_spec

    table = Table(title="STAMP encoders (any timm architecture also works as timm:<arch>)")
    for column in ("name", "hub id", "arch", "dim", "input", "pooling", "licence", "gated"):
        table.add_column(column)
    for name in encoder_names():
        spec = get_encoder_spec(name)
        table.add_row(
            spec.name,
            spec.hub_id or "-",
            spec.arch,
            str(spec.embed_dim),
            str(spec.input_size),
            spec.pooling,
            spec.license,
            "yes" if spec.gated else "no",
        )
    console.print(table)


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
) -> None:
    """Train LoRA adapters and heads that align the encoder's patch embeddings with pathway scores.

    Every `validation.every` steps (and at step 0 for the base encoder) a ridge probe on the current encoder's
    embeddings predicts the validation patients' pathways and matched random gene sets; metrics.csv and
    TensorBoard get val_<collection>_r, val_random_r, val_gap, drift_cosine and drift_cka. The run keeps the
    adapter with the best val_gap (--select best-val-gap) or the last one (--select last); run.json and card.md
    record the choice and warn when the encoder barely moved.

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
        cfg = load_config(config, overrides, sets)
        if resume and latest_checkpoint(cfg.out) is None:
            console.print(f"--resume: no checkpoint in '{cfg.out}' yet, so this starts a fresh run", highlight=False)
        result = run_fit(cfg, resume=resume)
        console.print(
            f"run [bold]{result.run}[/]: {result.step} steps, final loss {result.losses[-1]:.4f} "
            f"({result.wall_s:.0f} s)"
            if result.losses
            else f"run {result.run}: nothing left to train"
        )

    _guard(action)


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
def embed(
    atlas: Annotated[Path, typer.Option("--atlas", "-a", help="Atlas folder.")],
    encoder: Annotated[str, typer.Option("--encoder", "-e", help="Registered encoder or timm:<arch>.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Embedding cache root (EMB).")] = Path("emb"),
    adapter: AdapterOpt = None,
    weights: WeightsOpt = None,
    random_init: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--random-init", help="Random weights (baseline).")
    ] = False,
    samples: Annotated[list[str] | None, typer.Option("--samples", "-s", help="Only these sample ids.")] = None,
    batch_size: Annotated[int, typer.Option(help="Patches per forward pass.", min=1)] = 64,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    num_workers: Annotated[int, typer.Option(help="JPEG-decoding worker processes.", min=0)] = 2,
) -> None:
    """Embed every patch of an atlas into EMB/<encoder>[+<adapter-hash>]/<sample>.safetensors (skips unchanged)."""
    from stamp.embed import embed_atlas

    folder = _guard(
        lambda: embed_atlas(
            atlas,
            encoder,
            out=out,
            adapter=adapter,
            weights=weights,
            random_init=random_init,
            samples=samples,
            batch_size=batch_size,
            device=device,
            num_workers=num_workers,
        )
    )
    console.print(f"embeddings in [bold]{folder}[/]")


@app.command("embed-slides")
def embed_slides_command(
    slides: Annotated[list[Path], typer.Argument(help="Slide files, or folders searched for slide files.")],
    encoder: Annotated[str, typer.Option("--encoder", "-e", help="Registered encoder or timm:<arch>.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Feature root (FEATS).")] = Path("feats"),
    adapter: AdapterOpt = None,
    weights: WeightsOpt = None,
    random_init: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--random-init", help="Random weights (baseline).")
    ] = False,
    tile_px: Annotated[int, typer.Option(help="Tile side in pixels at --tile-mpp.", min=16)] = 224,
    tile_mpp: Annotated[
        float, typer.Option(help="Microns per pixel of the tiles (0.5: the atlas patch).", min=0.01, max=100)
    ] = 0.5,
    min_tissue: Annotated[
        float, typer.Option(help="Keep tiles with at least this tissue fraction.", min=0.0, max=1.0)
    ] = 0.25,
    max_tiles: Annotated[
        int | None, typer.Option(help="At most this many tiles per slide (seeded draw).", min=1)
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the --max-tiles draw.")] = 0,
    mpp: Annotated[
        float | None,
        typer.Option(
            "--mpp",
            help="Level-0 microns per pixel for slides whose metadata has none (or only the objective power); "
            "slides with their own keep it unless --mpp-override.",
        ),
    ] = None,
    mpp_override: Annotated[  # noqa: FBT002  (a CLI flag)
        bool,
        typer.Option("--mpp-override", help="Let --mpp replace every slide's own pixel size (each one is printed)."),
    ] = False,
    backend: Annotated[str, typer.Option(help="auto, openslide or tiffslide.")] = "auto",
    batch_size: Annotated[int, typer.Option(help="Tiles per forward pass.", min=1)] = 64,
    num_workers: Annotated[int, typer.Option(help="Tile-reading worker processes.", min=0)] = 2,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda (torchrun: each rank its local GPU).")] = "auto",
) -> None:
    """Embed the tissue tiles of whole-slide images into FEATS/224px-0.5um/<encoder>[+<adapter-hash>]/, per slide.

    Each slide gets h5_files/<slide>.h5 (Trident / Patho-Bench layout: features, coords in level-0 pixels),
    <slide>.safetensors (features, coords in pixels and microns, provenance) and previews/<slide>.png (thumbnail,
    tissue outline, kept tiles). Unchanged slides are skipped; a killed run resumes; an unreadable slide is
    reported and the rest go on (exit code 1). Many GPUs: `torchrun --nproc_per_node N -m stamp.cli embed-slides ...`.
    """
    from stamp.slides.command import run_embed_slides

    code = _guard(
        lambda: run_embed_slides(
            slides, encoder, out=out, adapter=adapter, weights=weights, random_init=random_init, tile_px=tile_px,
            tile_mpp=tile_mpp, min_tissue=min_tissue, max_tiles=max_tiles, seed=seed, um_per_px=mpp,
            mpp_override=mpp_override, backend=backend, batch_size=batch_size, num_workers=num_workers, device=device,
        )
    )  # fmt: skip
    raise typer.Exit(code)


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
    folder = _guard(lambda: export_merged(run, out, weights=weights))
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

    result = _guard(lambda: push_run(run, repo, merged=merged, private=not public, weights=weights))
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
    rows = _guard(lambda: run_sweep(config, overrides, sets or [], grid, out, one_at_a_time=one_at_a_time))
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

    meta = _guard(lambda: make_demo_base(out))
    console.print(
        f"demo base [bold]{out}[/]: {meta.get('patches')} patches, region accuracy "
        f"{meta.get('region_accuracy_last_20_steps')} ({meta.get('objective')})",
        highlight=False,
    )


def main() -> None:
    """Console-script entry point."""
    import logging

    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO, handlers=[RichHandler(console=err_console, show_path=False)], format="%(message)s"
    )
    app()


if __name__ == "__main__":
    main()
