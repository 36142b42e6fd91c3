"""Synthetic tissue in microns: smooth region maps, stromal/epithelial structure, nuclei and hidden fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage, special

__all__ = ["REGIONS", "REGION_STYLES", "Nuclei", "RegionStyle", "Tissue", "make_tissue"]

REGIONS: tuple[str, ...] = ("tumour", "stroma", "immune", "necrosis", "normal_epithelium")


@dataclass(frozen=True)
class RegionStyle:
    """How nuclei of one region look: density at cellularity 1, size, shape and stain."""

    density_per_mm2: float
    radius_um: float  # mean semi-major axis
    radius_sd_um: float
    aspect: float  # semi-major / semi-minor
    hematoxylin: float  # stain concentration of a nucleus
    eosin: float  # stain concentration of the surrounding tissue
    logit_bias: float  # how common the region is


REGION_STYLES: dict[str, RegionStyle] = {
    "tumour": RegionStyle(5200, 5.0, 1.2, 1.35, 1.45, 0.32, 0.35),
    "stroma": RegionStyle(1300, 4.6, 0.8, 3.2, 1.10, 0.60, 0.25),
    "immune": RegionStyle(9000, 3.0, 0.3, 1.05, 1.70, 0.25, -0.25),
    "necrosis": RegionStyle(1800, 1.6, 0.5, 1.25, 1.30, 0.22, -0.35),
    "normal_epithelium": RegionStyle(3800, 3.8, 0.4, 1.20, 1.00, 0.36, -0.05),
}


@dataclass(frozen=True)
class Nuclei:
    """Nuclei as parallel arrays in microns (centre, semi-axes, angle in radians, region index, stain)."""

    x_um: np.ndarray
    y_um: np.ndarray
    a_um: np.ndarray
    b_um: np.ndarray
    angle: np.ndarray
    region: np.ndarray
    hematoxylin: np.ndarray

    def __len__(self) -> int:
        return int(self.x_um.size)


@dataclass(frozen=True)
class Tissue:
    """A synthetic tissue section; all fields live on a grid of ``grid_um`` microns per cell."""

    width_um: float
    height_um: float
    grid_um: float
    seed: int
    region_prob: np.ndarray  # (R, Hg, Wg) soft region fractions, sum to 1
    tissue: np.ndarray  # (Hg, Wg) 1 = tissue, 0 = background or lumen
    hypoxia: np.ndarray  # (Hg, Wg) in [0, 1], 1 inside and next to necrosis
    subvisual: np.ndarray  # (Hg, Wg) in [0, 1], drives chromatin texture only
    lipid: np.ndarray  # (Hg, Wg) in [0, 1], pales the eosin: the positive control's programme
    cellularity: np.ndarray  # (Hg, Wg) multiplier of nuclear density, mean ~1
    nuclei: Nuclei

    def sample(self, field: np.ndarray, x_um: np.ndarray, y_um: np.ndarray) -> np.ndarray:
        """Bilinear value of a grid field (2-D, or 3-D with channels first) at micron positions."""
        rows = np.asarray(y_um, dtype=np.float64) / self.grid_um - 0.5
        cols = np.asarray(x_um, dtype=np.float64) / self.grid_um - 0.5
        coords = np.stack([rows.ravel(), cols.ravel()])
        if field.ndim == 2:
            out = ndimage.map_coordinates(field, coords, order=1, mode="nearest")
            return out.reshape(np.shape(x_um))
        return np.stack(
            [ndimage.map_coordinates(f, coords, order=1, mode="nearest").reshape(np.shape(x_um)) for f in field]
        )

    def footprint_mean(self, field: np.ndarray, x_um: np.ndarray, y_um: np.ndarray, radius_um: float) -> np.ndarray:
        """Mean of a field over discs (or squares for ``radius_um`` of a bin) centred at the given points."""
        offsets = _disc_offsets(radius_um, step_um=max(self.grid_um, radius_um / 4))
        x = np.asarray(x_um, dtype=np.float64)[..., None] + offsets[:, 0]
        y = np.asarray(y_um, dtype=np.float64)[..., None] + offsets[:, 1]
        values = self.sample(field, x, y)
        return values.mean(axis=-1)

    def nuclear_density(self) -> np.ndarray:
        """Return the expected nuclei per mm² on the grid (region mix x cellularity x tissue)."""
        dens = np.array([REGION_STYLES[r].density_per_mm2 for r in REGIONS], dtype=np.float64)
        return np.tensordot(dens, self.region_prob, axes=1) * self.cellularity * self.tissue

    def region_labels(self) -> np.ndarray:
        """Return the dominant region index of every grid cell."""
        return self.region_prob.argmax(axis=0)


def _disc_offsets(radius_um: float, step_um: float) -> np.ndarray:
    r = np.arange(-radius_um, radius_um + 1e-9, step_um)
    xx, yy = np.meshgrid(r, r)
    keep = xx**2 + yy**2 <= radius_um**2 + 1e-9
    pts = np.stack([xx[keep], yy[keep]], axis=1)
    return pts if len(pts) else np.zeros((1, 2))


def _smooth(shape: tuple[int, int], sigma_cells: float, rng: np.random.Generator) -> np.ndarray:
    """Draw a standardised smooth Gaussian random field."""
    field = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_cells, mode="reflect")
    return (field - field.mean()) / (field.std() + 1e-12)


def make_tissue(
    width_um: float,
    height_um: float,
    *,
    seed: int,
    grid_um: float = 4.0,
    feature_um: float = 180.0,
    region_shift: Mapping[str, float] | None = None,
    subvisual_shift: float = 0.0,
) -> Tissue:
    """Draw a tissue section: region map, outline with lumens, hypoxia, sub-visual, lipid, cellularity, nuclei.

    ``region_shift`` adds to a region's logit (a section richer or poorer in, say, immune cells) and
    ``subvisual_shift`` to the sub-visual field before its probit (a section whose sub-visual programme runs high
    or low overall): patient-level differences for slide cohorts. Both default to none, the atlas's tissue.
    """
    rng = np.random.default_rng(seed)
    shape = (max(8, round(height_um / grid_um)), max(8, round(width_um / grid_um)))
    sigma = feature_um / grid_um
    shift = dict(region_shift or {})
    unknown = sorted(set(shift) - set(REGIONS))
    if unknown:
        msg = f"region_shift names unknown regions {unknown}; regions: {', '.join(REGIONS)}"
        raise ValueError(msg)

    logits = np.stack([_smooth(shape, sigma, rng) + REGION_STYLES[r].logit_bias + shift.get(r, 0.0) for r in REGIONS])
    region_prob = special.softmax(logits / 0.12, axis=0).astype(np.float32)

    # Outline: a blob that fills most of the field, with an irregular edge.
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    radial = ((yy / shape[0] - 0.5) ** 2 + (xx / shape[1] - 0.5) ** 2) / 0.5**2
    outline = special.expit((1.25 - radial + 0.35 * _smooth(shape, sigma * 1.5, rng)) / 0.04)
    # Lumens: small round holes inside glandular regions (tumour and normal epithelium).
    glandular = region_prob[REGIONS.index("tumour")] + region_prob[REGIONS.index("normal_epithelium")]
    lumen = special.expit((_smooth(shape, 18.0 / grid_um, rng) - 2.1) / 0.08) * glandular
    tissue = np.clip(outline * (1.0 - lumen), 0.0, 1.0).astype(np.float32)

    necrotic = region_prob.argmax(axis=0) == REGIONS.index("necrosis")
    if necrotic.any():
        dist_um = ndimage.distance_transform_edt(~necrotic) * grid_um
        hypoxia = np.exp(-dist_um / 90.0)
    else:
        hypoxia = np.zeros(shape)
    hypoxia = (hypoxia * outline).astype(np.float32)

    subvisual = special.ndtr(_smooth(shape, 140.0 / grid_um, rng) + subvisual_shift).astype(np.float32)
    cellularity = np.exp(0.35 * _smooth(shape, 110.0 / grid_um, rng) - 0.5 * 0.35**2).astype(np.float32)

    # Lipid: its own random stream (adding it left every other field and every nucleus as it was), and no linear
    # trace of the region mix or the other fields in the section, so seeing the regions tells nothing of it.
    lipid_z = _smooth(shape, 120.0 / grid_um, np.random.default_rng([seed, 17]))
    lipid = special.ndtr(_orthogonal(lipid_z, [*region_prob[1:], hypoxia, subvisual, cellularity], tissue > 0.5))
    lipid = lipid.astype(np.float32)

    fields = (region_prob, tissue, hypoxia, subvisual, lipid, cellularity)
    nuclei = _draw_nuclei(Tissue(width_um, height_um, grid_um, seed, *fields, _empty_nuclei()), rng)
    return Tissue(width_um, height_um, grid_um, seed, *fields, nuclei)


def _orthogonal(field: np.ndarray, others: list[np.ndarray], where: np.ndarray) -> np.ndarray:
    """Return ``field`` minus its least-squares fit on ``others`` and a constant over ``where``, standardised."""
    design = np.column_stack([np.ones(int(where.sum())), *(o[where] for o in others)])
    coef, *_ = np.linalg.lstsq(design, field[where], rcond=None)
    full = np.stack([np.ones_like(field), *others], axis=-1)
    residual = field - full @ coef
    return (residual - residual[where].mean()) / (residual[where].std() + 1e-12)


def _empty_nuclei() -> Nuclei:
    z = np.zeros(0)
    return Nuclei(z, z, z, z, z, z.astype(np.int8), z)


def _draw_nuclei(tissue: Tissue, rng: np.random.Generator) -> Nuclei:
    """Inhomogeneous Poisson nuclei by thinning; region drawn from the local region mix."""
    density = tissue.nuclear_density()
    peak = float(density.max()) * 1.05 + 1e-9
    area_mm2 = tissue.width_um * tissue.height_um / 1e6
    n = rng.poisson(peak * area_mm2)
    x = rng.uniform(0, tissue.width_um, n)
    y = rng.uniform(0, tissue.height_um, n)
    keep = rng.uniform(0, peak, n) < tissue.sample(density, x, y)
    x, y = x[keep], y[keep]
    prob = tissue.sample(tissue.region_prob, x, y)  # (R, n)
    cum = np.cumsum(prob / prob.sum(axis=0, keepdims=True), axis=0)
    region = (rng.uniform(size=x.size)[None, :] > cum).sum(axis=0).clip(0, len(REGIONS) - 1).astype(np.int8)
    styles = [REGION_STYLES[r] for r in REGIONS]
    mean_a = np.array([s.radius_um for s in styles])[region]
    sd_a = np.array([s.radius_sd_um for s in styles])[region]
    aspect = np.array([s.aspect for s in styles])[region]
    a = np.clip(mean_a + sd_a * rng.standard_normal(x.size), 0.8, None)
    b = a / np.clip(aspect * np.exp(0.15 * rng.standard_normal(x.size)), 1.0, None)
    angle = rng.uniform(0, np.pi, x.size)
    stain = np.array([s.hematoxylin for s in styles])[region] * np.exp(0.08 * rng.standard_normal(x.size))
    return Nuclei(x, y, a, b, angle, region, stain)
