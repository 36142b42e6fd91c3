"""Standardise and project embeddings with a scaler and PCA fitted on training rows only."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

__all__ = ["standardise_pca"]


def standardise_pca(x: np.ndarray, fit_rows: np.ndarray, n_components: int, *, seed: int = 0) -> np.ndarray:
    """Return all rows of ``x`` standardised and projected on PCA(``n_components``), both fitted on ``fit_rows``.

    The width is capped at ``len(fit_rows) - 1`` and at the embedding width.
    """
    scaler = StandardScaler().fit(x[fit_rows])
    n = max(1, min(n_components, len(fit_rows) - 1, x.shape[1]))
    pca = PCA(n_components=n, random_state=seed).fit(scaler.transform(x[fit_rows]))
    return pca.transform(scaler.transform(x)).astype(np.float64)
