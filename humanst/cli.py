"""The ``humanst`` command line: build and inspect HumanST atlases, validate manifests, write demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst._cli_support import console, err_console, new_app

app = new_app(
    "humanst",
    "HumanST atlas builder: public spatial transcriptomics + H&E -> harmonised SpatialData and a patch dataset.",
)

ManifestArg = Annotated[
    Path, typer.Argument(help="Atlas manifest (YAML), e.g. manifests/demo.yaml.", show_default=False)
]


@app.command("validate-manifest")
def validate_manifest(manifest: ManifestArg) -> None:
    """Check a manifest against the schema; every problem is listed with its sample and field."""
    from humanst.errors import ManifestError
    from humanst.manifest import load_manifest

    try:
        atlas = load_manifest(manifest)
    except ManifestError as exc:
        err_console.print(f"[bold red]invalid[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    platforms = sorted({s.platform.value for s in atlas.samples})
    patients = {s.patient_id for s in atlas.samples}
    console.print(
        f"[bold green]valid[/] manifest '{manifest}': atlas {atlas.name!r} v{atlas.version}, "
        f"{len(atlas.samples)} samples, {len(patients)} patients, platforms: {', '.join(platforms)}",
        highlight=False,
    )


@app.command()
def synth(
    manifest: ManifestArg,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Data root for the raw layouts; default: the manifest's data_root, else ./raw."
        ),
    ] = None,
    samples: Annotated[
        list[str] | None, typer.Option("--samples", "-s", help="Only these sample ids (repeatable).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Parallel processes.", min=1)] = 2,
) -> None:
    """Write the synthetic samples of a manifest in their platforms' raw layouts (Space Ranger, Xenium, ST, HEST)."""
    from humanst.synth_report import run_synth

    raise typer.Exit(run_synth(manifest, out, samples=samples, workers=workers))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for everything the demo writes.")] = Path("demo_out"),
    manifest: Annotated[
        Path | None, typer.Option(help="Demo manifest; default: the shipped manifests/demo.yaml.")
    ] = None,
    workers: Annotated[int, typer.Option(help="Parallel processes.", min=1)] = 2,
) -> None:
    """Run the offline demo: write every demo sample's raw layout under OUT/raw, then score pathways."""
    from humanst.demo import run_demo
    from humanst.resources import manifests_dir

    raise typer.Exit(run_demo(manifest or manifests_dir() / "demo.yaml", out, workers=workers))


@app.command()
def build(
    manifest: ManifestArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Atlas folder.")] = Path("atlas"),
    samples: Annotated[
        list[str] | None, typer.Option("--samples", "-s", help="Only these sample ids (repeatable).")
    ] = None,
    workers: Annotated[int, typer.Option(help="Local worker processes (one sample per task).", min=1)] = 1,
    scheduler: Annotated[
        str | None, typer.Option(help="Address of a running Dask distributed scheduler, e.g. tcp://host:8786.")
    ] = None,
    data_root: Annotated[
        Path | None,
        typer.Option(help="Folder that relative 'path' sources resolve against; default: the manifest's data_root."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="Download cache; default: $HUMANST_CACHE or ~/.cache/humanst.")
    ] = None,
    min_counts: Annotated[int, typer.Option(help="Drop spots with fewer total counts.", min=0)] = 100,
    force: Annotated[  # noqa: FBT002  (a CLI flag: typer maps it to --force)
        bool, typer.Option("--force", help="Rebuild samples even when their inputs did not change.")
    ] = False,
) -> None:
    """Build the atlas of a manifest: fetch, read, harmonise, score pathways, write SpatialData + HF dataset.

    Samples are written atomically and skipped on rerun when unchanged; a failed one is reported, the rest go on.
    """
    from humanst.build.command import run_build_command

    raise typer.Exit(
        run_build_command(
            manifest,
            out,
            samples=samples,
            workers=workers,
            scheduler=scheduler,
            data_root=data_root,
            cache_dir=cache,
            min_counts=min_counts,
            force=force,
        )
    )


@app.command()
def validate(atlas: Annotated[Path, typer.Argument(help="Atlas folder.")]) -> None:
    """Check every sample store, part and the patch dataset of an atlas; list all problems."""
    from humanst.store.validate import run_validate

    raise typer.Exit(run_validate(atlas))


@app.command()
def info(atlas: Annotated[Path, typer.Argument(help="Atlas folder.")]) -> None:
    """Summarise an atlas: samples, spots, platforms, licences."""
    from humanst.store.inspect import run_info

    raise typer.Exit(run_info(atlas))


@app.command()
def export(
    atlas: Annotated[Path, typer.Argument(help="Atlas folder.")],
    to: Annotated[Path, typer.Option("--to", help="Export folder (a Hugging Face dataset repository layout).")] = Path(
        "export"
    ),
) -> None:
    """Export the redistributable samples of an atlas as parquet shards + dataset card; others are left out."""
    from humanst.store.export import run_export

    raise typer.Exit(run_export(atlas, to))


@app.command()
def score(
    data: Annotated[
        Path, typer.Argument(help="An .h5ad of raw counts (spots x genes), or an atlas folder (its stores, in place).")
    ],
    gene_sets: Annotated[
        str, typer.Option("--gene-sets", help="Comma-separated shipped collections (hallmark, reactome) or GMT paths.")
    ] = "hallmark,reactome",
    method: Annotated[str, typer.Option(help="Scoring method: mean_z (default), ulm (decoupler), ssgsea (gseapy).")] = (
        "mean_z"
    ),
    background: Annotated[
        str | None, typer.Option(help="mean_z only: matched (default), all, or none (naive).")
    ] = None,
    min_coverage: Annotated[
        float, typer.Option(help="Mask sets whose measured members / all members fall below this.", min=0, max=1)
    ] = 0.5,
    layer: Annotated[str | None, typer.Option(help="Layer holding raw counts instead of X.")] = None,
    groupby: Annotated[str | None, typer.Option(help="obs column of samples, each z-scored on its own.")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of updating DATA in place.")
    ] = None,
) -> None:
    """Score pathways per spot (background-corrected mean z) and store them in obsm['pathways_<collection>']."""
    from humanst.pathways.command import run_score

    collections = [c.strip() for c in gene_sets.split(",") if c.strip()]
    raise typer.Exit(
        run_score(
            data,
            collections,
            method=method,
            background=background,
            min_coverage=min_coverage,
            layer=layer,
            groupby=groupby,
            out=out,
        )
    )


def main() -> None:
    """Console-script entry point."""
    app()
