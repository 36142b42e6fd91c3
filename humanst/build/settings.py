"""Build settings and per-sample tasks: small picklable objects sent to worker processes or Dask."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from humanst.harmonise.patches import PatchSpec
from humanst.manifest import SampleEntry

__all__ = ["AtlasLayout", "BuildSettings", "SampleTask"]


@dataclass(frozen=True)
class BuildSettings:
    """Everything besides the sample entry that shapes a sample's outputs (hashed for skip-on-rerun)."""

    gene_sets: tuple[str, ...] = ("hallmark", "reactome")
    patch: PatchSpec = field(default_factory=PatchSpec)
    pseudo_spot_um: float = 55.0
    min_counts: int = 100
    min_coverage: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for hashing and the build report."""
        return asdict(self)


@dataclass(frozen=True)
class AtlasLayout:
    """Where an atlas keeps its parts (DESIGN 2.2, 2.3)."""

    root: Path

    @property
    def samples(self) -> Path:
        """SpatialData stores, one ``<id>.zarr`` per sample."""
        return self.root / "samples"

    @property
    def parts(self) -> Path:
        """Per-sample patch parquet files, assembled into ``hf``."""
        return self.root / "parts"

    @property
    def records(self) -> Path:
        """Per-sample build records (the commit marker of a finished sample)."""
        return self.root / "records"

    @property
    def hf(self) -> Path:
        """The Hugging Face dataset (``datasets.load_from_disk``)."""
        return self.root / "hf"

    def store(self, sample_id: str) -> Path:
        """Return the SpatialData store path of a sample."""
        return self.samples / f"{sample_id}.zarr"

    def record(self, sample_id: str) -> Path:
        """Return the build record path of a sample."""
        return self.records / f"{sample_id}.json"


@dataclass(frozen=True)
class SampleTask:
    """One unit of work: build one sample of the manifest into the atlas."""

    entry: SampleEntry
    atlas: AtlasLayout
    data_root: Path
    cache_dir: Path
    settings: BuildSettings
    force: bool = False
