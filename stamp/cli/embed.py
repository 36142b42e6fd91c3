"""``stamp embed`` and ``stamp embed-slides``: embeddings of atlas patches and of whole-slide tiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.builder.settings import PatchSpec
from humanst.console import console
from stamp.cli._app import AdapterOpt, WeightsOpt, app, guard

ATLAS_PATCH = PatchSpec()  # the default tile: the atlas patch (humanst.harmonise.patches.PatchSpec)


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

    folder = guard(
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
    tile_px: Annotated[int, typer.Option(help="Tile side in pixels at --tile-mpp.", min=16)] = ATLAS_PATCH.size_px,
    tile_mpp: Annotated[
        float, typer.Option(help="Microns per pixel of the tiles (default: the atlas patch's).", min=0.01, max=100)
    ] = ATLAS_PATCH.um_per_px,
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
    from humanst.slides import TilingSettings
    from stamp.slides.command import SlideEmbedOptions, run_embed_slides

    tiling = TilingSettings(size_px=tile_px, um_per_px=tile_mpp, min_tissue=min_tissue, max_tiles=max_tiles, seed=seed)
    options = SlideEmbedOptions(
        adapter=adapter, weights=weights, random_init=random_init, backend=backend, um_per_px=mpp,
        mpp_override=mpp_override, batch_size=batch_size, num_workers=num_workers, device=device,
    )  # fmt: skip
    code = guard(lambda: run_embed_slides(slides, encoder, out=out, tiling=tiling, options=options))
    raise typer.Exit(code)
