"""Grouped inner splits that choose the probe's ridge penalty without letting a group see itself.

With two or more training patients, the groups are patients. With one patient the penalty is still tuned:
by leave-one-slide-out when the patient has several slides, else by spatial blocks of its one slide
(k-means on the spot coordinates, so neighbouring spots stay together); only without slides or coordinates
is the penalty fixed. The choice is returned with the splits, so results can record how it was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["PenaltySplits", "inner_splits", "penalty_splits"]

Method = Literal["patients", "slides", "spatial", "fixed"]
MIN_SPOTS_PER_BLOCK = 10


@dataclass(frozen=True)
class PenaltySplits:
    """Inner (fit rows, validation rows) splits and how they were grouped."""

    method: Method
    n_groups: int
    splits: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)

    def describe(self) -> str:
        """One line for results and logs, e.g. ``leave-one-slide-out inside the patient (2 slides)``."""
        if self.method == "patients":
            return f"patient-grouped inner CV ({len(self.splits)} folds over {self.n_groups} patients)"
        if self.method == "slides":
            return (
                f"slide-grouped inner CV inside the one training patient ({len(self.splits)} folds, "
                f"{self.n_groups} slides)"
            )
        if self.method == "spatial":
            return f"spatial blocks of the one training slide ({len(self.splits)} k-means blocks of spot coordinates)"
        return "fixed penalty (middle of the grid): one training slide and no spot coordinates"


def inner_splits(groups: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return grouped inner splits (sorted groups dealt round-robin into ``n_splits`` folds); empty if < 2 groups."""
    labels_in = np.asarray(groups, dtype=object)
    unique = sorted(set(labels_in.tolist()))
    n = min(n_splits, len(unique))
    if n < 2:
        return []
    which = {p: i % n for i, p in enumerate(unique)}
    labels = np.array([which[p] for p in labels_in])
    return [(np.flatnonzero(labels != j), np.flatnonzero(labels == j)) for j in range(n)]


def _spatial_blocks(coords: np.ndarray, n_splits: int, seed: int) -> np.ndarray | None:
    from sklearn.cluster import KMeans

    coords = np.asarray(coords, dtype=np.float64)
    n = min(n_splits, coords.shape[0] // MIN_SPOTS_PER_BLOCK)
    if n < 2 or not np.isfinite(coords).all():
        return None
    return KMeans(n_clusters=n, random_state=seed, n_init=4).fit_predict(coords)


def penalty_splits(
    patients: np.ndarray,
    n_splits: int,
    *,
    slides: np.ndarray | None = None,
    coords: np.ndarray | None = None,
    seed: int = 0,
) -> PenaltySplits:
    """Choose the inner splits for the ridge penalty: by patient, else by slide, else by spatial block.

    Parameters
    ----------
    patients
        Patient id of every training row.
    n_splits
        Inner folds (at most the number of groups).
    slides
        Slide (sample) id of every training row, used when there is one patient.
    coords
        Spot coordinates (rows x 2, microns), used when there is one patient and one slide.
    seed
        Seed of the spatial k-means.
    """
    n_patients = len(set(np.asarray(patients, dtype=object).tolist()))
    if n_patients >= 2:
        return PenaltySplits("patients", n_patients, inner_splits(patients, n_splits))
    if slides is not None:
        n_slides = len(set(np.asarray(slides, dtype=object).tolist()))
        if n_slides >= 2:
            return PenaltySplits("slides", n_slides, inner_splits(slides, n_splits))
    if coords is not None:
        blocks = _spatial_blocks(coords, n_splits, seed)
        if blocks is not None:
            n_blocks = len(set(blocks.tolist()))
            return PenaltySplits("spatial", n_blocks, inner_splits(blocks, n_splits))
    return PenaltySplits("fixed", 1, [])
