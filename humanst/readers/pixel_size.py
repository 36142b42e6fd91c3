"""Pixel sizes from platform geometry: spot-lattice fits, nearest-neighbour pitch, alignment matrices."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "PixelSize",
    "alignment_um_per_px",
    "apply_affine",
    "fit_lattice_um_per_px",
    "nearest_neighbour_pitch_px",
    "relative_difference",
    "with_override",
]


@dataclass(frozen=True)
class PixelSize:
    """A pixel size in microns and the words that say where it comes from."""

    um_per_px: float
    source: str


def fit_lattice_um_per_px(xy_px: np.ndarray, lattice_um: np.ndarray) -> float:
    """Fit pixel positions on their nominal lattice positions (microns) by least squares; return um per pixel.

    The fitted 2x2 linear part ``A`` (pixels per micron) absorbs rotation and offset; the pixel size is
    ``1 / sqrt(|det A|)`` (isotropic pixels assumed).
    """
    xy_px = np.asarray(xy_px, dtype=np.float64)
    lattice_um = np.asarray(lattice_um, dtype=np.float64)
    if len(xy_px) < 3:
        return float("nan")
    design = np.column_stack([lattice_um, np.ones(len(lattice_um))])
    coef, *_ = np.linalg.lstsq(design, xy_px, rcond=None)
    det = abs(float(np.linalg.det(coef[:2, :2])))
    return float(1.0 / np.sqrt(det)) if det > 0 else float("nan")


def nearest_neighbour_pitch_px(xy_px: np.ndarray, *, tolerance: float = 0.2) -> float:
    """Centre-to-centre pitch of a regular spot grid in pixels: mean nearest-neighbour distance near the median.

    Distances more than ``tolerance`` (relative) away from the median (gaps at tissue edges) are ignored; the
    mean of the many remaining distances averages out the rounding of integer pixel coordinates.
    """
    from scipy.spatial import cKDTree

    xy_px = np.asarray(xy_px, dtype=np.float64)
    if len(xy_px) < 2:
        return float("nan")
    dist, _ = cKDTree(xy_px).query(xy_px, k=2)
    nearest = dist[:, 1]
    median = float(np.median(nearest))
    inliers = nearest[np.abs(nearest - median) <= tolerance * median]
    return float(inliers.mean()) if inliers.size else median


def alignment_um_per_px(matrix: np.ndarray, target_um_per_px: float) -> float:
    """Pixel size of a source image whose 3x3 ``matrix`` maps its pixels to target pixels of ``target_um_per_px``.

    One source pixel spans ``sqrt(|det M[:2, :2]|)`` target pixels (the mean scale of the linear part).
    """
    linear = np.asarray(matrix, dtype=np.float64)[:2, :2]
    return float(np.sqrt(abs(np.linalg.det(linear))) * target_um_per_px)


def apply_affine(matrix: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Apply a 3x3 homogeneous ``matrix`` to ``(n, 2)`` points ``(x, y)``."""
    matrix = np.asarray(matrix, dtype=np.float64)
    xy = np.asarray(xy, dtype=np.float64)
    return xy @ matrix[:2, :2].T + matrix[:2, 2]


def relative_difference(a: float, b: float) -> float:
    """Return ``|a - b| / b`` (inf when ``b`` is zero or either is nan)."""
    if not np.isfinite(a) or not np.isfinite(b) or b == 0:
        return float("inf")
    return abs(a - b) / abs(b)


def with_override(measured: PixelSize, um_per_px: float | None, source: str | None) -> PixelSize:
    """Let a manifest override win over the measured pixel size; the source says both."""
    if um_per_px is None:
        return measured
    given = source or "manifest um_per_px"
    return PixelSize(float(um_per_px), f"manifest override ({given}); measured {measured.um_per_px:.4g} um/px")
