"""Render a :class:`Tissue` as an H&E-like RGB image (Beer-Lambert stain mixing) or a DAPI image."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from humanst.synth.tissue import REGION_STYLES, REGIONS, Tissue

__all__ = ["EOSIN_OD", "HEMATOXYLIN_OD", "PixelFrame", "render_dapi", "render_he"]

# Optical density of one unit of stain in R, G, B (Ruifrok & Johnston, 2001).
HEMATOXYLIN_OD = np.array([0.650, 0.704, 0.286])
EOSIN_OD = np.array([0.072, 0.990, 0.105])
_GLASS_OD = np.array([0.020, 0.025, 0.020])
_CHROMATIN_AMPLITUDE = 0.45
# Lipid-laden cytoplasm takes up less eosin (foamy, pale cells): eosin x (1 - _LIPID_PALLOR x lipid).
_LIPID_PALLOR = 0.35


class PixelFrame:
    """Where an image lies in the tissue: pixel (col, row) -> micron (x, y) by a similarity transform."""

    def __init__(
        self,
        shape: tuple[int, int],
        um_per_px: float,
        *,
        origin_um: tuple[float, float] = (0.0, 0.0),
        rotation_rad: float = 0.0,
    ) -> None:
        self.shape = shape
        self.um_per_px = float(um_per_px)
        self.origin_um = (float(origin_um[0]), float(origin_um[1]))
        self.rotation_rad = float(rotation_rad)

    @classmethod
    def covering(cls, tissue: Tissue, um_per_px: float) -> PixelFrame:
        """Make an axis-aligned frame covering the whole tissue at ``um_per_px``."""
        shape = (int(np.ceil(tissue.height_um / um_per_px)), int(np.ceil(tissue.width_um / um_per_px)))
        return cls(shape, um_per_px)

    def matrix(self) -> np.ndarray:
        """3x3 homogeneous matrix mapping pixel (x=col, y=row, 1) to microns (x, y, 1)."""
        c, s = np.cos(self.rotation_rad), np.sin(self.rotation_rad)
        k = self.um_per_px
        return np.array([[k * c, -k * s, self.origin_um[0]], [k * s, k * c, self.origin_um[1]], [0, 0, 1.0]])

    def to_px(self, x_um: np.ndarray, y_um: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Micron positions -> pixel (col, row) positions (pixel centres at integer + 0.5)."""
        inv = np.linalg.inv(self.matrix())
        col = inv[0, 0] * x_um + inv[0, 1] * y_um + inv[0, 2]
        row = inv[1, 0] * x_um + inv[1, 1] * y_um + inv[1, 2]
        return col, row

    def pixel_microns(self) -> tuple[np.ndarray, np.ndarray]:
        """Micron coordinates of every pixel centre, each of shape ``self.shape``."""
        rows, cols = np.mgrid[0 : self.shape[0], 0 : self.shape[1]].astype(np.float32) + 0.5
        m = self.matrix()
        return m[0, 0] * cols + m[0, 1] * rows + m[0, 2], m[1, 0] * cols + m[1, 1] * rows + m[1, 2]


def _stamp_nuclei(tissue: Tissue, frame: PixelFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rasterise nuclei: returns (stain concentration, index+1 of the nucleus covering each pixel)."""
    h = np.zeros(frame.shape, dtype=np.float32)
    owner = np.zeros(frame.shape, dtype=np.int32)
    nuc = tissue.nuclei
    cols, rows = frame.to_px(nuc.x_um, nuc.y_um)
    a_px = nuc.a_um / frame.um_per_px
    b_px = nuc.b_um / frame.um_per_px
    angle = nuc.angle - frame.rotation_rad
    height, width = frame.shape
    for i in np.flatnonzero((cols > -a_px) & (cols < width + a_px) & (rows > -a_px) & (rows < height + a_px)):
        reach = int(np.ceil(a_px[i])) + 1
        r0, r1 = max(0, int(rows[i]) - reach), min(height, int(rows[i]) + reach + 1)
        c0, c1 = max(0, int(cols[i]) - reach), min(width, int(cols[i]) + reach + 1)
        if r0 >= r1 or c0 >= c1:
            continue
        yy, xx = np.mgrid[r0:r1, c0:c1].astype(np.float32) + 0.5
        dx, dy = xx - cols[i], yy - rows[i]
        ca, sa = np.cos(angle[i]), np.sin(angle[i])
        u, v = dx * ca + dy * sa, -dx * sa + dy * ca
        dist = np.sqrt((u / a_px[i]) ** 2 + (v / b_px[i]) ** 2)
        cover = np.clip((1.0 - dist) * b_px[i] + 0.5, 0.0, 1.0)
        value = cover * nuc.hematoxylin[i]
        patch = h[r0:r1, c0:c1]
        take = value > patch
        patch[take] = value[take]
        owner[r0:r1, c0:c1][take & (cover > 0.5)] = i + 1
    return h, owner


def _chromatin_texture(tissue: Tissue, frame: PixelFrame, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Zero-mean, unit-variance texture whose spatial grain (not its histogram) follows the sub-visual field.

    ``T = sqrt(a) * S + sqrt(1 - a) * W`` with ``S`` a smooth (clumped chromatin) and ``W`` a white
    standard normal field: the marginal distribution of ``T`` is N(0, 1) whatever ``a`` is, so colour
    histograms cannot see ``a``; only the spatial correlation (coarse vs fine chromatin) changes.
    """
    rng = np.random.default_rng([tissue.seed, 7, round(frame.um_per_px * 1e4)])
    clump_px = max(0.6, 0.9 / frame.um_per_px)
    smooth = ndimage.gaussian_filter(rng.standard_normal(frame.shape, dtype=np.float32), clump_px)
    smooth /= smooth.std() + 1e-12
    white = rng.standard_normal(frame.shape, dtype=np.float32)
    a = np.clip(tissue.sample(tissue.subvisual, xs, ys), 0.0, 1.0).astype(np.float32)
    return np.sqrt(a) * smooth + np.sqrt(1.0 - a) * white


def render_he(tissue: Tissue, frame: PixelFrame) -> np.ndarray:
    """Render the H&E-like RGB image (uint8, rows x cols x 3) of the tissue seen through ``frame``."""
    rng = np.random.default_rng([tissue.seed, 3, round(frame.um_per_px * 1e4)])
    xs, ys = frame.pixel_microns()
    eosin_grid = np.tensordot(
        np.array([REGION_STYLES[r].eosin for r in REGIONS], dtype=np.float32), tissue.region_prob, axes=1
    )
    stroma_grid = tissue.region_prob[REGIONS.index("stroma")]
    necrosis_grid = tissue.region_prob[REGIONS.index("necrosis")]
    eosin_level, stroma, necrosis, inside, lipid = tissue.sample(
        np.stack([eosin_grid, stroma_grid, necrosis_grid, tissue.tissue, tissue.lipid]), xs, ys
    )
    inside = np.clip(inside, 0.0, 1.0)

    # Collagen fibres: anisotropic noise in two orientations blended by a smooth field, strongest in stroma.
    fibre_px = (max(0.8, 0.8 / frame.um_per_px), max(3.0, 8.0 / frame.um_per_px))
    noise = rng.standard_normal(frame.shape, dtype=np.float32)
    horiz = ndimage.gaussian_filter(noise, fibre_px)
    vert = ndimage.gaussian_filter(noise, fibre_px[::-1])
    blend = tissue.sample(tissue.cellularity, xs * 0.7, ys * 0.7)
    blend = (blend - blend.min()) / (np.ptp(blend) + 1e-9)
    fibres = blend * horiz + (1 - blend) * vert
    fibres /= fibres.std() + 1e-9
    # Necrosis: pale, granular debris rather than fibres.
    granules = ndimage.gaussian_filter(
        rng.standard_normal(frame.shape, dtype=np.float32), max(0.7, 1.2 / frame.um_per_px)
    )
    granules /= granules.std() + 1e-9
    eosin = eosin_level * (1.0 + 0.35 * stroma * fibres) * (1.0 + 0.3 * necrosis * np.clip(granules, -2.5, 2.5))
    eosin *= 1.0 - _LIPID_PALLOR * np.clip(lipid, 0.0, 1.0)

    nuclear, owner = _stamp_nuclei(tissue, frame)
    texture = _chromatin_texture(tissue, frame, xs, ys)
    hematoxylin = nuclear * (1.0 + _CHROMATIN_AMPLITUDE * np.clip(texture, -2.0, 2.0)) + 0.06 * inside
    hematoxylin *= owner > 0
    hematoxylin += 0.05 * inside  # faint haematoxylin of cytoplasm and matrix
    od = (
        hematoxylin[..., None] * HEMATOXYLIN_OD + (np.clip(eosin, 0.0, None) * inside)[..., None] * EOSIN_OD + _GLASS_OD
    )
    rgb = 255.0 * np.exp(-od) + rng.normal(0.0, 2.0, size=(*frame.shape, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def render_dapi(tissue: Tissue, frame: PixelFrame, *, max_value: int = 4000) -> np.ndarray:
    """Render a DAPI-like nuclear stain image (uint16) of the tissue seen through ``frame``."""
    rng = np.random.default_rng([tissue.seed, 5, round(frame.um_per_px * 1e4)])
    nuclear, owner = _stamp_nuclei(tissue, frame)
    xs, ys = frame.pixel_microns()
    texture = _chromatin_texture(tissue, frame, xs, ys)
    stained = nuclear * (1.0 + 0.3 * np.clip(texture, -2.0, 2.0) * (owner > 0))
    signal = ndimage.gaussian_filter(stained, 0.7) / 1.7 * max_value + rng.normal(60.0, 15.0, size=frame.shape)
    return np.clip(signal, 0, np.iinfo(np.uint16).max).astype(np.uint16)
