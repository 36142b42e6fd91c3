"""``humanst demo``: the offline demo, stage by stage (raw data, atlas build, pathway check; STAMP, benchmark later)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from humanst._cli_support import console
from humanst.synth_report import run_synth

__all__ = ["run_demo"]

_TRUTH_PLATFORMS = ("visium", "hest", "legacy_st")  # spot ids match the truth; pooled platforms do not


def _atlas_table(atlas: Path, sample_id: str) -> Any:
    from humanst.store.read import read_sample_store

    return read_sample_store(atlas / "samples" / f"{sample_id}.zarr").tables["table"]


def _mean_abs_r(scores: np.ndarray, columns: list[int], target: np.ndarray) -> float:
    return float(np.mean([abs(np.corrcoef(scores[:, k], target)[0, 1]) for k in columns]))


def _pathway_stage(manifest_path: Path, raw: Path, atlas: Path) -> None:
    from humanst.manifest import load_manifest
    from humanst.pathways import PathwayScores, score
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
    for entry in load_manifest(manifest_path).samples:
        if entry.platform.value not in _TRUTH_PLATFORMS or not (atlas / "samples" / f"{entry.id}.zarr").is_dir():
            continue
        adata = _atlas_table(atlas, entry.id)
        truth, _ = read_truth(raw / entry.id)
        truth = truth.loc[adata.obs["spot_id"].astype(str)]
        shared = np.log(truth["library_size"] * truth["cellularity"]).to_numpy()
        corrected = PathwayScores.from_obsm(adata, "pathways_hallmark")
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
    from humanst.build.command import run_build_command
    from humanst.store.validate import run_validate

    code = run_build_command(
        manifest_path, atlas, samples=None, workers=workers, scheduler=None, data_root=raw,
        cache_dir=atlas.parent / "cache", min_counts=100, force=False,
    )  # fmt: skip
    return code or run_validate(atlas)


def build_demo_atlas(manifest_path: Path, root: Path, *, workers: int = 2) -> Path:
    """Write the demo's raw data and build its atlas quietly under ``root`` (tests, benchmarks); return the atlas."""
    from humanst.build.schedule import make_tasks, run_build
    from humanst.manifest import load_manifest
    from humanst.synth import write_synthetic

    manifest = load_manifest(manifest_path)
    broken = [f"{o.sample_id}: {o.error}" for o in write_synthetic(manifest, root / "raw", workers=workers) if o.error]
    if broken:
        msg = f"demo raw data could not be written: {'; '.join(broken)}"
        raise RuntimeError(msg)
    tasks = make_tasks(manifest, root / "atlas", data_root=root / "raw", cache_dir=root / "cache")
    report = run_build(manifest, str(manifest_path), tasks, workers=workers)
    if report.failed:
        failed = ", ".join(f"{o.sample_id}: {o.error}" for o in report.failed)
        msg = f"demo atlas build failed for {failed}"
        raise RuntimeError(msg)
    return root / "atlas"


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
