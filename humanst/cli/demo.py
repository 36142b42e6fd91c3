"""``humanst demo``: the offline demo, stage by stage (raw data, atlas build, pathway check; STAMP, benchmark later)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from humanst.cli._app import app
from humanst.cli.synth import run_synth
from humanst.console import console

__all__ = ["run_demo"]

_TRUTH_PLATFORMS = ("visium", "hest", "legacy_st")  # spot ids match the truth; pooled platforms do not


def _mean_abs_r(scores: np.ndarray, columns: list[int], target: np.ndarray) -> float:
    return float(np.mean([abs(np.corrcoef(scores[:, k], target)[0, 1]) for k in columns]))


def _pathway_stage(manifest_path: Path, raw: Path, atlas: Path) -> None:
    from humanst.manifest import load_manifest
    from humanst.pathways import PathwayScores, score
    from humanst.store import Atlas, pathway_column
    from humanst.synth import PROGRAMMES, read_truth

    carriers = {gs: p.name for p in PROGRAMMES for gs in p.gene_sets}
    table = Table(title="Hallmark scores in the atlas vs the planted truth", title_justify="left")
    for column in (
        "sample",
        "platform",
        "spots",
        "programme r (corrected)",
        "|r| shared, naive",
        "|r| shared, corrected",
    ):
        table.add_column(column, justify="left" if column in ("sample", "platform") else "right")
    built = Atlas(atlas)
    for entry in load_manifest(manifest_path).samples:
        if entry.platform.value not in _TRUTH_PLATFORMS or not built.store_path(entry.id).is_dir():
            continue
        adata = built.read_table(entry.id)
        truth, _ = read_truth(raw / entry.id)
        truth = truth.loc[adata.obs["spot_id"].astype(str)]
        shared = np.log(truth["library_size"] * truth["cellularity"]).to_numpy()
        corrected = PathwayScores.from_obsm(adata, pathway_column("hallmark"))
        naive = score(adata, "hallmark", background="none")
        programme_r = [
            np.corrcoef(corrected.frame()[gs], truth[f"act_{prog}"].to_numpy())[0, 1] for gs, prog in carriers.items()
        ]
        others = [k for k, name in enumerate(corrected.names) if name not in carriers]
        naive_r, corrected_r = (_mean_abs_r(r.scores, others, shared) for r in (naive, corrected))
        table.add_row(
            entry.id, entry.platform.value, str(adata.n_obs), f"{np.median(programme_r):.2f}", f"{naive_r:.2f}",
            f"{corrected_r:.2f}",
        )  # fmt: skip
    console.print(table)
    console.print(
        "programme r: median Pearson of the atlas's corrected score of each programme's Hallmark sets with the planted "
        "activity; |r| shared: mean |Pearson| of the other Hallmark sets with the planted library-size x "
        "cellularity factor (the naive score follows it; the background correction removes most of it).",
        highlight=False,
    )


def _atlas_stage(manifest_path: Path, raw: Path, atlas: Path, *, workers: int) -> int:
    from humanst.cli.build import run_build_command
    from humanst.cli.validate import run_validate

    code = run_build_command(
        manifest_path, atlas, samples=None, workers=workers, scheduler=None, data_root=raw,
        cache_dir=atlas.parent / "cache",
    )  # fmt: skip
    return code or run_validate(atlas, manifest_path)


def run_demo(manifest_path: Path, out: Path, *, workers: int) -> int:
    """Run every built stage of the demo; return the exit code."""
    console.rule("[bold]humanst demo[/]: synthetic raw data")
    code = run_synth(manifest_path, out / "raw", samples=None, workers=workers)
    if code != 0:
        return code
    console.rule("[bold]humanst demo[/]: atlas build (SpatialData stores + Hugging Face patch dataset)")
    code = _atlas_stage(manifest_path, out / "raw", out / "atlas", workers=workers)
    if code != 0:
        return code
    console.rule("[bold]humanst demo[/]: pathway scores in the atlas")
    _pathway_stage(manifest_path, out / "raw", out / "atlas")
    console.print("`make demo` goes on with `stamp fit` and `stamp-bench` (see the Makefile target).", highlight=False)
    return 0


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for everything the demo writes.")] = Path("demo_out"),
    manifest: Annotated[
        Path | None, typer.Option(help="Demo manifest; default: the shipped manifests/demo.yaml.")
    ] = None,
    workers: Annotated[int, typer.Option(help="Parallel processes.", min=1)] = 2,
) -> None:
    """Run the offline demo: write every demo sample's raw layout under OUT/raw, build the atlas, check the scores."""
    from humanst.resources import manifests_dir

    raise typer.Exit(run_demo(manifest or manifests_dir() / "demo.yaml", out, workers=workers))
