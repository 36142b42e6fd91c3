"""A synthetic sample (tissue + gene model) and the ground truth written beside its raw files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from humanst.manifest.models import SynthSpec
from humanst.synth.expression import PROGRAMMES, GeneModel
from humanst.synth.tissue import REGIONS, Tissue, make_tissue

__all__ = ["TRUTH_DIR", "SynthSample", "WrittenSample", "counts_checksum", "read_truth", "write_truth"]

TRUTH_DIR = "truth"
TRUTH_FORMAT_VERSION = 1


@dataclass(frozen=True)
class SynthSample:
    """Everything needed to write one synthetic sample in some platform's layout."""

    sample_id: str
    platform: str
    spec: SynthSpec
    tissue: Tissue
    genes: GeneModel

    @classmethod
    def create(cls, sample_id: str, platform: str, spec: SynthSpec) -> SynthSample:
        """Draw the tissue and gene model of a sample from its seeded spec."""
        tissue = make_tissue(spec.width_um, spec.height_um, seed=spec.seed)
        return cls(sample_id, platform, spec, tissue, GeneModel.create(seed=spec.seed, n_genes=spec.n_genes))

    def rng(self, purpose: int) -> np.random.Generator:
        """Return a generator seeded by the sample seed and a purpose number (stable across code paths)."""
        return np.random.default_rng([self.spec.seed, 101, purpose])


@dataclass(frozen=True)
class WrittenSample:
    """What a format writer produced: where the raw layout lies and how big it is."""

    sample_id: str
    platform: str
    root: Path  # the sample folder (raw layout + truth/)
    data_path: Path  # the path a manifest lists / a reader opens
    files: list[Path] = field(default_factory=list)
    n_obs: int = 0
    n_genes: int = 0
    um_per_px: float = 0.0

    @property
    def size_bytes(self) -> int:
        """Total size of the written files."""
        return sum(p.stat().st_size for p in self.files if p.is_file())


def counts_checksum(counts: sparse.spmatrix) -> np.ndarray:
    """Fingerprint each observation of a counts matrix: ``sum_g counts[g] * (g + 1)`` (int64, gene-order aware)."""
    weights = np.arange(1, counts.shape[1] + 1, dtype=np.int64)
    return np.asarray(sparse.csr_matrix(counts, dtype=np.int64) @ weights).ravel()


def write_truth(
    sample: SynthSample,
    root: Path,
    obs_ids: list[str],
    truth: pd.DataFrame,
    counts: sparse.spmatrix,
    *,
    geometry: dict[str, object],
) -> list[Path]:
    """Save per-observation ground truth (``truth/obs.parquet``) and the sample's design (``truth/truth.json``).

    Besides the planted factors, ``obs.parquet`` holds ``total_counts`` and ``counts_checksum`` of the written
    matrix so a reader's output can be checked count for count.
    """
    folder = root / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    table = truth.copy()
    table.index = pd.Index(obs_ids, name="obs_id")
    table["total_counts"] = np.asarray(counts.sum(axis=1)).ravel().astype(np.int64)
    table["counts_checksum"] = counts_checksum(counts)
    obs_path = folder / "obs.parquet"
    table.to_parquet(obs_path)
    design = {
        "format_version": TRUTH_FORMAT_VERSION,
        "sample_id": sample.sample_id,
        "platform": sample.platform,
        "spec": sample.spec.model_dump(),
        "regions": list(REGIONS),
        "programmes": [{"name": p.name, "driver": p.driver, "gene_sets": list(p.gene_sets)} for p in PROGRAMMES],
        "shared_factors": ["library_size", "cellularity"],
        "geometry": geometry,
        "n_genes": len(sample.genes.genes),
        "n_nuclei": len(sample.tissue.nuclei),
    }
    json_path = folder / "truth.json"
    json_path.write_text(json.dumps(design, indent=2, default=float))
    return [obs_path, json_path]


def read_truth(root: str | Path) -> tuple[pd.DataFrame, dict[str, object]]:
    """Read back the ground truth of a synthetic sample folder: (per-observation table, design)."""
    folder = Path(root) / TRUTH_DIR
    return pd.read_parquet(folder / "obs.parquet"), json.loads((folder / "truth.json").read_text())
