"""A torch Dataset over the atlas patch dataset (``ATLAS/hf``, memory-mapped arrow): JPEG patches + pathway targets."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from humanst.store import Atlas
from stamp.data.transforms import PatchTransform
from stamp.errors import DataError
from stamp.targets import TargetRows, TargetSpec, build_targets

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["AtlasPatches", "PathwayStats"]

Standardise = Literal["sample", "global"]


@dataclass(frozen=True)
class PathwayStats:
    """Means and standard deviations of pathway scores, per group (sample id, or ``"*"`` for global)."""

    names: list[str]
    mean: dict[str, list[float]]
    std: dict[str, list[float]]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form (saved as ``pathway_stats.json`` in a run)."""
        return {"names": self.names, "mean": self.mean, "std": self.std}


class AtlasPatches(torch.utils.data.Dataset):
    """Rows of the atlas patch dataset as ``image``, standardised ``pathways`` (the targets) and their ``mask``.

    Parameters
    ----------
    atlas
        Atlas folder built by ``humanst build``.
    transform
        Patch transform (size and normalisation of the encoder).
    splits
        Keep rows of these splits (``None`` = all rows).
    samples
        Keep rows of these sample ids (``None`` = all).
    collections
        Pathway collections whose scores are concatenated as targets, in order (``()``: no targets).
    standardise
        ``sample``: z-score each target within each sample; ``global``: with the statistics of all kept rows.
    exclude_patients
        Leave out the rows of these patients (the validation patients), before any target is computed.
    targets
        Which targets (:mod:`stamp.targets`); ``None`` = the pathway scores of ``collections``.
    """

    def __init__(
        self,
        atlas: Path,
        transform: PatchTransform,
        *,
        splits: Sequence[str] | None = ("train",),
        samples: Sequence[str] | None = None,
        collections: Sequence[str] = ("hallmark",),
        standardise: Standardise = "sample",
        exclude_patients: Sequence[str] = (),
        targets: TargetSpec | None = None,
    ) -> None:
        self.atlas = Path(atlas)
        self.transform = transform
        opened = Atlas.open(self.atlas, need_dataset=True)
        table = opened.patch_table()
        keep = np.ones(table.num_rows, dtype=bool)
        if splits is not None:
            keep &= np.isin(table.column("split").to_numpy(zero_copy_only=False), list(splits))
        if samples is not None:
            keep &= np.isin(table.column("sample_id").to_numpy(zero_copy_only=False), list(samples))
        if exclude_patients:
            keep &= ~np.isin(table.column("patient_id").to_numpy(zero_copy_only=False), list(exclude_patients))
        self.rows = np.flatnonzero(keep)
        if self.rows.size == 0:
            msg = f"atlas '{atlas}': no rows for splits={splits} samples={samples} (left out: {list(exclude_patients)})"
            raise DataError(msg)
        kept = table.select(["sample_id", "spot_id", "patient_id", "organ"]).take(self.rows)
        self.sample_id = kept.column("sample_id").to_numpy(zero_copy_only=False).astype(str)
        self.spot_id = kept.column("spot_id").to_numpy(zero_copy_only=False).astype(str)
        self.patient_id = kept.column("patient_id").to_numpy(zero_copy_only=False).astype(str)
        self.organ = kept.column("organ").to_numpy(zero_copy_only=False).astype(str)
        spec = targets if targets is not None else TargetSpec(collections=tuple(collections))
        built = build_targets(TargetRows(opened, table, self.rows, self.sample_id, self.patient_id, self.spot_id), spec)
        self.target_names = built.names
        self.target_details = built.details
        groups = self.sample_id if standardise == "sample" else None
        self.stats = _pathway_stats(built.values, built.mask, groups, self.target_names)
        self.targets, self.mask = _standardise(built.values, built.mask, groups, self.stats)
        self._images = _ImageColumn(table.column("image"))

    def __len__(self) -> int:
        return int(self.rows.size)

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        position, seed = key if isinstance(key, tuple) else (key, 0)
        return {
            "image": self.transform(self._images[int(self.rows[position])], seed),
            "pathways": torch.from_numpy(self.targets[position]),
            "mask": torch.from_numpy(self.mask[position]),
            "position": position,
        }

    def jpeg(self, position: int) -> bytes:
        """Return the raw JPEG bytes of a kept row."""
        return self._images[int(self.rows[position])]


class _ImageColumn:
    """Random access to JPEG bytes of a chunked ``image`` struct column without copying it."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        self.chunks = [chunk.field("bytes") for chunk in column.chunks]
        self.starts = np.cumsum([0] + [len(c) for c in self.chunks])

    def __getitem__(self, row: int) -> bytes:
        chunk = int(np.searchsorted(self.starts, row, side="right") - 1)
        return self.chunks[chunk][row - int(self.starts[chunk])].as_py()


def _pathway_stats(raw: np.ndarray, mask: np.ndarray, groups: np.ndarray | None, names: list[str]) -> PathwayStats:
    keys = np.unique(groups) if groups is not None else np.array(["*"])
    mean, std = {}, {}
    for key in keys:
        sel = groups == key if groups is not None else slice(None)
        values = np.where(mask[sel], raw[sel], np.nan)
        with warnings.catch_warnings():  # all-masked pathways: numpy's "Mean of empty slice"
            warnings.simplefilter("ignore", RuntimeWarning)
            m = np.nanmean(values, axis=0)
            s = np.nanstd(values, axis=0)
        mean[str(key)] = np.nan_to_num(m).astype(float).tolist()
        std[str(key)] = np.where(np.isfinite(s) & (s > 1e-8), s, 0.0).astype(float).tolist()
    return PathwayStats(names=names, mean=mean, std=std)


def _standardise(
    raw: np.ndarray, mask: np.ndarray, groups: np.ndarray | None, stats: PathwayStats
) -> tuple[np.ndarray, np.ndarray]:
    out = np.zeros_like(raw, dtype=np.float32)
    keep = mask.copy()
    for key in stats.mean:
        sel = groups == key if groups is not None else np.ones(raw.shape[0], dtype=bool)
        m = np.asarray(stats.mean[key], dtype=np.float32)
        s = np.asarray(stats.std[key], dtype=np.float32)
        valid = s > 0
        z = (raw[sel] - m) / np.where(valid, s, 1.0)
        keep[sel] &= valid
        out[sel] = np.where(keep[sel], z, 0.0)
    return out, keep
