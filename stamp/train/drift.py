"""Encoder drift: how far the current embeddings of the same spots moved from the base encoder's.

Two views: the mean cosine between each spot's base and current embedding (1 = no spot moved), and linear
CKA between the two embedding matrices (1 = the same geometry up to rotation and scale, which is what a
linear probe sees). ``drift = 1 - CKA`` is what ``stamp fit`` warns about when it stays near zero.
"""

from __future__ import annotations

import numpy as np

__all__ = ["drift_metrics", "linear_cka", "mean_cosine"]


def mean_cosine(base: np.ndarray, current: np.ndarray) -> float:
    """Mean over rows of the cosine similarity between ``base[i]`` and ``current[i]``."""
    a = np.asarray(base, dtype=np.float64)
    b = np.asarray(current, dtype=np.float64)
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (a * b).sum(1) / norms
    return float(np.nanmean(cos)) if np.isfinite(cos).any() else float("nan")


def linear_cka(base: np.ndarray, current: np.ndarray) -> float:
    """Linear centred kernel alignment (Kornblith et al., 2019) between two row-aligned embedding matrices."""
    a = np.asarray(base, dtype=np.float64)
    b = np.asarray(current, dtype=np.float64)
    a = a - a.mean(0)
    b = b - b.mean(0)
    cross = np.linalg.norm(a.T @ b, "fro") ** 2
    denom = np.linalg.norm(a.T @ a, "fro") * np.linalg.norm(b.T @ b, "fro")
    return float(cross / denom) if denom > 0 else float("nan")


def drift_metrics(base: np.ndarray, current: np.ndarray) -> dict[str, float]:
    """``drift_cosine`` and ``drift_cka`` of the current embeddings against the base's (same rows)."""
    return {"drift_cosine": mean_cosine(base, current), "drift_cka": linear_cka(base, current)}
