"""Tier-1 inputs read from an atlas: spots, patients, raw counts on shared genes, pathway scores, hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from benchmarks.errors import TaskError
from benchmarks.spot.task import Task
from humanst.errors import AtlasError
from humanst.pathways.random_sets import scoring_params
from humanst.store import Atlas, pathway_column

if TYPE_CHECKING:
    from anndata import AnnData

__all__ = ["SpotData", "atlas_hash", "load_spot_data", "read_table"]


@dataclass
class SpotData:
    """Everything tier 1 needs about a task's spots (rows in sample order, then store order)."""

    sample_ids: np.ndarray
    spot_ids: np.ndarray
    patient_ids: np.ndarray
    genes: list[str]
    counts: sp.csr_matrix  # spots x genes measured in every task sample, raw
    pathways: dict[str, tuple[list[str], np.ndarray]]  # collection -> (set names, scores spots x sets, all finite)
    score_params: dict[str, dict[str, Any]]  # collection -> the atlas scoring parameters
    tables: dict[str, AnnData] = field(repr=False)  # sample id -> AnnData table (for scoring control sets)
    input_hashes: dict[str, str] = field(default_factory=dict)
    dropped_sets: dict[str, list[str]] = field(default_factory=dict)  # masked in some task spot
    coords_um: np.ndarray | None = None  # spots x 2 (x_um, y_um): spatial blocks when one patient trains the probe

    @property
    def n_spots(self) -> int:
        """Number of spots."""
        return int(self.spot_ids.size)

    def row_keys(self) -> list[tuple[str, str]]:
        """(sample id, spot id) of every row."""
        return list(zip(self.sample_ids.tolist(), self.spot_ids.tolist(), strict=True))


def read_table(atlas: Atlas, sample_id: str) -> AnnData:
    """Read one sample store's table (AnnData: raw counts, obs, pathway scores); images are not opened."""
    try:
        return atlas.read_table(sample_id)
    except AtlasError as exc:
        raise TaskError(atlas.root, [(f"samples.{sample_id}", str(exc))]) from exc


def _input_hash(atlas: Atlas, sample_id: str) -> str:
    record = atlas.record(sample_id)
    if record is None or not record.input_hash:
        where = atlas.record_path(sample_id)
        raise TaskError(atlas.root, [(f"samples.{sample_id}", f"no readable build record at {where}")])
    return record.input_hash


def atlas_hash(input_hashes: dict[str, str]) -> str:
    """Return the sha256 over the task samples' build input hashes (sorted by sample id)."""
    text = "\n".join(f"{k}\t{v}" for k, v in sorted(input_hashes.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def task_samples(atlas: Atlas, task: Task) -> list[str]:
    """Return the task's sample ids; ``all`` means every built sample of the atlas (sorted)."""
    built = atlas.built_samples()
    if task.samples == "all":
        if not built:
            raise TaskError(atlas.root, [("samples", "the atlas has no built samples (no build records)")])
        return built
    missing = [s for s in task.samples if s not in built]
    if missing:
        problems = [(f"samples.{s}", f"not built in atlas '{atlas.root}'") for s in missing]
        raise TaskError(atlas.root, problems)
    return list(task.samples)


def load_spot_data(atlas: Path, task: Task) -> SpotData:
    """Read the task's samples from ``atlas``: counts on the genes all of them measure, finite pathway scores.

    Raises
    ------
    TaskError
        A sample is not built, a pathway collection was not scored, or no gene is shared.
    """
    try:
        opened = Atlas.open(atlas)
    except AtlasError as exc:
        raise TaskError(Path(atlas), [("atlas", str(exc))]) from exc
    samples = task_samples(opened, task)
    tables = {s: read_table(opened, s) for s in samples}
    shared = set(tables[samples[0]].var_names)
    for table in tables.values():
        shared &= set(table.var_names)
    genes = [g for g in tables[samples[0]].var_names if g in shared]
    if not genes:
        raise TaskError(opened.root, [("samples", "the task's samples share no gene; choose samples of one panel")])
    problems = []
    for collection in task.targets.pathways:
        missing = [s for s, t in tables.items() if pathway_column(collection) not in t.obsm]
        if missing:
            problems.append((f"targets.pathways.{collection}", f"not scored in samples {missing}"))
    if problems:
        raise TaskError(opened.root, problems)
    counts, sample_ids, spot_ids, patients, coords = [], [], [], [], []
    for s, table in tables.items():
        counts.append(sp.csr_matrix(table[:, genes].X))
        coords.append(table.obs[["x_um", "y_um"]].to_numpy(dtype=np.float64))
        sample_ids += [s] * table.n_obs
        spot_ids += table.obs["spot_id"].astype(str).tolist()
        patients += table.obs["patient_id"].astype(str).tolist()
    pathways, params, dropped = {}, {}, {}
    for collection in task.targets.pathways:
        key = pathway_column(collection)
        meta = tables[samples[0]].uns["humanst"]["pathways"][key]
        names = [str(n) for n in meta["names"]]
        scores = np.vstack([np.asarray(t.obsm[key], dtype=np.float32) for t in tables.values()])
        finite = np.asarray(np.isfinite(scores).all(axis=0), dtype=bool).tolist()
        pathways[collection] = ([n for n, f in zip(names, finite, strict=True) if f], scores[:, finite])
        dropped[collection] = [n for n, f in zip(names, finite, strict=True) if not f]
        params[collection] = scoring_params(tables[samples[0]], collection)
    return SpotData(
        sample_ids=np.asarray(sample_ids, dtype=object),
        spot_ids=np.asarray(spot_ids, dtype=object),
        patient_ids=np.asarray(patients, dtype=object),
        genes=genes,
        counts=sp.vstack(counts).tocsr(),
        pathways=pathways,
        score_params=params,
        tables=tables,
        input_hashes={s: _input_hash(opened, s) for s in samples},
        dropped_sets=dropped,
        coords_um=np.vstack(coords),
    )
