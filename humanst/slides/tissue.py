"""Tissue detection on a low-resolution image: saturation / Otsu, pen marks and glass out, holes filled, specks gone.

H&E tissue is pink-to-purple and saturated, glass is bright and grey: a pixel is tissue when its HSV saturation
is above Otsu's threshold, clipped to ``[min_saturation, max_saturation]`` (on a slide that tissue fills, Otsu
splits pale from dense tissue instead of tissue from glass; the cap keeps pale necrosis and fat edges in).
Marker pen is not tissue: green and blue ink (hues H&E never has, at saturations stain rarely reaches) and
near-black ink are cut out, with a small margin. Then
scikit-image morphology: a closing, holes smaller than ``max_hole_mm2`` filled, objects under ``min_area_mm2``
removed. Areas are in mm^2, so the result does not depend on the scan resolution.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["TissueMask", "TissueSettings", "detect_tissue"]

_PEN_GREEN_BLUE_HUE = (0.20, 0.66)  # H&E hues lie in 0.66-1.0 and 0-0.1 (haematoxylin ~0.7, eosin ~0.9)
_PEN_MIN_SATURATION = 0.30
_PEN_MAX_VALUE_BLACK = 0.25


@dataclass(frozen=True)
class TissueSettings:
    """How tissue is found.

    Parameters
    ----------
    mask_um_per_px
        Resolution of the detection image and the saved mask.
    min_area_mm2
        Tissue pieces smaller than this are dropped (dust, debris).
    max_hole_mm2
        Holes (lumens, tears) smaller than this are filled.
    min_saturation, max_saturation
        Bounds of the Otsu threshold on HSV saturation (a blank slide must not become tissue; pale tissue stays).
    exclude_pen
        Cut out green, blue and black marker ink.
    """

    mask_um_per_px: float = 8.0
    min_area_mm2: float = 0.01
    max_hole_mm2: float = 0.05
    min_saturation: float = 0.05
    max_saturation: float = 0.15
    exclude_pen: bool = True

    def to_json(self) -> dict[str, object]:
        """Plain-JSON form for provenance and settings hashes."""
        return asdict(self)


@dataclass(frozen=True)
class TissueMask:
    """A boolean tissue mask on a grid of ``um_per_px`` microns (row 0, column 0 at the slide's top-left corner)."""

    mask: np.ndarray
    um_per_px: float
    saturation_threshold: float
    pen_px: int

    @property
    def area_mm2(self) -> float:
        """Tissue area in mm^2."""
        return float(self.mask.sum()) * self.um_per_px**2 / 1e6

    def fraction(self, x0_um: np.ndarray, y0_um: np.ndarray, x1_um: np.ndarray, y1_um: np.ndarray) -> np.ndarray:
        """Exact tissue fraction of each rectangle ``[x0, x1) x [y0, y1)`` (microns), outside the mask = no tissue.

        The integral of the piecewise-constant mask over ``[0, x) x [0, y)`` is the bilinear interpolation of its
        summed-area table, so four interpolated lookups give each rectangle's covered area.
        """
        from scipy import ndimage

        table = np.zeros((self.mask.shape[0] + 1, self.mask.shape[1] + 1), dtype=np.float64)
        table[1:, 1:] = self.mask.astype(np.float64).cumsum(0).cumsum(1)
        height, width = self.mask.shape

        def integral(x_um: np.ndarray, y_um: np.ndarray) -> np.ndarray:
            cols = np.clip(np.asarray(x_um, dtype=np.float64) / self.um_per_px, 0, width)
            rows = np.clip(np.asarray(y_um, dtype=np.float64) / self.um_per_px, 0, height)
            return ndimage.map_coordinates(table, np.stack([rows.ravel(), cols.ravel()]), order=1, mode="nearest")

        area_px = (np.asarray(x1_um) - np.asarray(x0_um)) * (np.asarray(y1_um) - np.asarray(y0_um)) / self.um_per_px**2
        covered = integral(x1_um, y1_um) - integral(x0_um, y1_um) - integral(x1_um, y0_um) + integral(x0_um, y0_um)
        return np.clip(covered / np.maximum(area_px.ravel(), 1e-12), 0.0, 1.0).astype(np.float32)


def _pen_mask(hsv: np.ndarray) -> np.ndarray:
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    coloured = (hue >= _PEN_GREEN_BLUE_HUE[0]) & (hue <= _PEN_GREEN_BLUE_HUE[1]) & (sat >= _PEN_MIN_SATURATION)
    return coloured | (val <= _PEN_MAX_VALUE_BLACK)


def detect_tissue(rgb: np.ndarray, um_per_px: float, settings: TissueSettings | None = None) -> TissueMask:
    """Return the tissue mask of an RGB uint8 image whose pixels are ``um_per_px`` microns wide."""
    from scipy import ndimage
    from skimage import color, filters, morphology

    settings = settings or TissueSettings()
    hsv = color.rgb2hsv(rgb[..., :3])
    saturation = hsv[..., 1]
    threshold = float(filters.threshold_otsu(saturation)) if np.ptp(saturation) > 0 else 1.0
    threshold = min(max(threshold, settings.min_saturation), settings.max_saturation)
    tissue = saturation > threshold
    pen = np.zeros_like(tissue)
    if settings.exclude_pen:
        pen = ndimage.binary_dilation(_pen_mask(hsv), morphology.disk(2))
        tissue &= ~pen
    px_per_mm2 = 1e6 / um_per_px**2
    tissue = ndimage.binary_closing(tissue, morphology.disk(1), border_value=0)
    tissue = morphology.remove_small_holes(tissue, max_size=max(1, int(settings.max_hole_mm2 * px_per_mm2)))
    if settings.exclude_pen:
        tissue &= ~pen  # filling must not bring the ink back
    tissue = morphology.remove_small_objects(tissue, max_size=max(0, int(settings.min_area_mm2 * px_per_mm2) - 1))
    return TissueMask(tissue, float(um_per_px), threshold, int(pen.sum()))
