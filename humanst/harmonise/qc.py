"""Quality control of a sample's spots: counts checked, low-count and off-image spots dropped and counted."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from humanst.errors import SampleError

__all__ = ["QcReport", "check_counts", "spot_filter"]


@dataclass
class QcReport:
    """Spots kept and dropped, by reason."""

    n_input: int
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def n_kept(self) -> int:
        """Spots that passed every filter."""
        return self.n_input - sum(self.dropped.values())


def check_counts(x: sparse.spmatrix, *, sample_id: str) -> sparse.csr_matrix:
    """Return ``x`` as CSR int32 raw counts; NaN, negative or non-integer values raise :class:`SampleError`."""
    x = sparse.csr_matrix(x)
    data = x.data
    problems = []
    if np.issubdtype(data.dtype, np.floating):
        n_nan = int(np.count_nonzero(~np.isfinite(data)))
        if n_nan:
            problems.append(f"{n_nan} NaN or infinite value(s)")
        finite = data[np.isfinite(data)]
        n_frac = int(np.count_nonzero(finite != np.round(finite)))
        if n_frac:
            problems.append(f"{n_frac} non-integer value(s) such as {finite[finite != np.round(finite)][:2].tolist()}")
    n_neg = int(np.count_nonzero(data < 0))
    if n_neg:
        problems.append(f"{n_neg} negative value(s)")
    if problems:
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        bad = ~np.isfinite(data) | (data < 0) if np.issubdtype(data.dtype, np.floating) else data < 0
        where = f" (first at spot #{int(rows[np.argmax(bad)])})" if bad.any() else ""
        msg = (
            f"counts matrix has {', '.join(problems)}{where}; expected raw UMI counts (non-negative integers). "
            "Use the platform's raw/filtered count matrix, not normalised values."
        )
        raise SampleError(msg, sample_id=sample_id)
    if data.size and data.max() > np.iinfo(np.int32).max:
        msg = f"counts up to {data.max()} do not fit int32; expected UMI counts"
        raise SampleError(msg, sample_id=sample_id)
    out = sparse.csr_matrix((data.astype(np.int32), x.indices, x.indptr), shape=x.shape)
    out.eliminate_zeros()
    return out


def spot_filter(
    x: sparse.csr_matrix, xy_px: np.ndarray, image_shape: tuple[int, int], *, min_counts: int
) -> tuple[np.ndarray, QcReport]:
    """Return the mask of spots to keep (centre inside the image, total counts >= ``min_counts``) and a report."""
    report = QcReport(n_input=x.shape[0])
    height, width = image_shape
    finite = np.isfinite(xy_px).all(axis=1)
    inside = finite & (xy_px[:, 0] >= 0) & (xy_px[:, 0] < width) & (xy_px[:, 1] >= 0) & (xy_px[:, 1] < height)
    totals = np.asarray(x.sum(axis=1)).ravel()
    enough = totals >= min_counts
    report.dropped["outside_image"] = int((~inside).sum())
    report.dropped["low_counts"] = int((inside & ~enough).sum())
    return inside & enough, report
