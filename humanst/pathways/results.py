"""``PathwayScores``: per-spot scores with coverage, masks and the parameters that made them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from anndata import AnnData

__all__ = ["FORMAT_VERSION", "PathwayScores", "obsm_key"]

FORMAT_VERSION = 1


def obsm_key(collection: str) -> str:
    """Return the ``obsm`` key of a collection's scores (``pathways_<collection>``; '/' breaks h5ad keys)."""
    return f"pathways_{collection}"


@dataclass(frozen=True)
class PathwayScores:
    """Scores of one gene-set collection for every spot; sets below ``min_coverage`` are masked (NaN)."""

    names: list[str]
    scores: np.ndarray  # (spots, sets) float32, NaN where masked
    coverage: np.ndarray  # (sets,) measured members / all members
    mask: np.ndarray  # (sets,) bool: coverage >= min_coverage and at least one measured member
    n_members: np.ndarray
    n_measured: np.ndarray
    method: str
    background: str | None
    min_coverage: float
    standardize: bool
    seed: int
    collection: str
    license: str | None = None
    citation: str | None = None
    groupby: str | None = None
    unmatched: dict[str, list[str]] = field(default_factory=dict)
    controls: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # group -> set -> control genes

    def params(self) -> dict[str, Any]:
        """Return the parameters used, as plain values."""
        return {
            "method": self.method,
            "background": self.background or "",
            "min_coverage": self.min_coverage,
            "standardize": self.standardize,
            "seed": self.seed,
            "groupby": self.groupby or "",
        }

    def frame(self, index: pd.Index | None = None) -> pd.DataFrame:
        """Return the scores as a spots x sets DataFrame."""
        return pd.DataFrame(self.scores, index=index, columns=self.names)

    def to_obsm(self, adata: AnnData, key: str | None = None) -> str:
        """Store scores in ``adata.obsm[key]`` and names, coverage, mask and parameters in ``uns['humanst']``."""
        key = key or obsm_key(self.collection)
        if self.scores.shape[0] != adata.n_obs:
            msg = f"scores have {self.scores.shape[0]} rows but the AnnData has {adata.n_obs} observations"
            raise ValueError(msg)
        adata.obsm[key] = self.scores.astype(np.float32, copy=False)
        meta = {
            "format_version": FORMAT_VERSION,
            "collection": self.collection,
            "license": self.license or "",
            "citation": self.citation or "",
            "names": list(self.names),
            "coverage": np.asarray(self.coverage, dtype=np.float32),
            "mask": np.asarray(self.mask, dtype=bool),
            "n_members": np.asarray(self.n_members, dtype=np.int32),
            "n_measured": np.asarray(self.n_measured, dtype=np.int32),
            "n_unmatched_sets": len(self.unmatched),
            **self.params(),
        }
        adata.uns.setdefault("humanst", {}).setdefault("pathways", {})[key] = meta
        return key

    @classmethod
    def from_obsm(cls, adata: AnnData, key: str) -> PathwayScores:
        """Read back what :meth:`to_obsm` stored."""
        try:
            meta = adata.uns["humanst"]["pathways"][key]
        except KeyError:
            msg = (
                f"no pathway scores under key {key!r}; found {sorted(adata.uns.get('humanst', {}).get('pathways', {}))}"
            )
            raise KeyError(msg) from None
        return cls(
            names=list(meta["names"]),
            scores=np.asarray(adata.obsm[key], dtype=np.float32),
            coverage=np.asarray(meta["coverage"]),
            mask=np.asarray(meta["mask"], dtype=bool),
            n_members=np.asarray(meta["n_members"]),
            n_measured=np.asarray(meta["n_measured"]),
            method=str(meta["method"]),
            background=str(meta["background"]) or None,
            min_coverage=float(meta["min_coverage"]),
            standardize=bool(meta["standardize"]),
            seed=int(meta["seed"]),
            collection=str(meta["collection"]),
            license=str(meta["license"]) or None,
            citation=str(meta["citation"]) or None,
            groupby=str(meta["groupby"]) or None,
        )
