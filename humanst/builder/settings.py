"""Build settings and per-sample tasks: small picklable objects sent to worker processes or Dask."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from humanst.manifest import PatchSpec, SampleEntry
from humanst.store.atlas import Atlas

__all__ = ["BuildSettings", "SampleTask"]


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
        return {**asdict(self), "patch": self.patch.model_dump()}


@dataclass(frozen=True)
class SampleTask:
    """One unit of work: build one sample of the manifest into the atlas."""

    entry: SampleEntry
    atlas: Atlas
    data_root: Path
    cache_dir: Path
    settings: BuildSettings
    force: bool = False
    allow_absolute_paths: bool = False  # absolute 'path' sources accepted (--allow-absolute-paths)
