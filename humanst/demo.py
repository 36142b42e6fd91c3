"""``humanst demo``: the offline demo, stage by stage (raw data today; atlas, STAMP and benchmark later)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from humanst._cli_support import console
from humanst.synth_report import run_synth

__all__ = ["run_demo"]

_SCORED_PLATFORMS = ("visium", "hest")  # read here directly; every platform joins once the readers land


def _load_counts(platform: str, data_path: Path, sample_id: str) -> Any:
    if platform == "visium":
        import spatialdata_io

        with warnings.catch_warnings():  # spatialdata's note that it made the region column categorical
            warnings.filterwarnings("ignore", message="Converting `region_key", category=UserWarning)
            return spatialdata_io.visium(data_path, dataset_id=sample_id).tables["table"]
    import anndata as ad

    return ad.read_h5ad(data_path / "st" / f"{sample_id}.h5ad")


def _mean_abs_r(scores: np.ndarray, columns: list[int], target: np.ndarray) -> float:
    return float(np.mean([abs(np.corrcoef(scores[:, k], target)[0, 1]) for k in columns]))


def _pathway_stage(manifest_path: Path, raw: Path) -> None:
    from humanst.manifest import load_manifest
    from humanst.pathways import score
    from humanst.synth import PROGRAMMES, read_truth

    carriers = {gs: p.name for p in PROGRAMMES for gs in p.gene_sets}
    table = Table(title="Hallmark scores vs the planted truth", title_justify="left")
    for column in ("sample", "spots", "programme r (corrected)", "|r| shared, naive", "|r| shared, corrected"):
        table.add_column(column, justify="left" if column == "sample" else "right")
    for entry in load_manifest(manifest_path).samples:
        if entry.platform.value not in _SCORED_PLATFORMS:
            continue
        root = raw / entry.id
        adata = _load_counts(entry.platform.value, raw / entry.files[0].path, entry.id)
        truth, _ = read_truth(root)
        truth = truth.loc[adata.obs_names]
        shared = np.log(truth["library_size"] * truth["cellularity"]).to_numpy()
        corrected, naive = score(adata, "hallmark"), score(adata, "hallmark", background="none")
        programme_r = [np.corrcoef(corrected.frame()[gs], truth[f"act_{prog}"])[0, 1] for gs, prog in carriers.items()]
        others = [k for k, name in enumerate(corrected.names) if name not in carriers]
        naive_r, corrected_r = (_mean_abs_r(r.scores, others, shared) for r in (naive, corrected))
        table.add_row(
            entry.id, str(adata.n_obs), f"{np.median(programme_r):.2f}", f"{naive_r:.2f}", f"{corrected_r:.2f}"
        )
    console.print(table)
    console.print(
        "programme r: median Pearson of the corrected score of each programme's Hallmark sets with the planted "
        "activity; |r| shared: mean |Pearson| of the other Hallmark sets with the planted library-size x "
        "cellularity factor (the naive score follows it; the background correction removes most of it).",
        highlight=False,
    )


def run_demo(manifest_path: Path, out: Path, *, workers: int) -> int:
    """Run every built stage of the demo; return the exit code."""
    console.rule("[bold]humanst demo[/]: synthetic raw data")
    code = run_synth(manifest_path, out / "raw", samples=None, workers=workers)
    if code != 0:
        return code
    console.rule("[bold]humanst demo[/]: pathway scores")
    _pathway_stage(manifest_path, out / "raw")
    console.print("Next stages (atlas build, STAMP fit, benchmark) join the demo as they are built.", highlight=False)
    return 0
