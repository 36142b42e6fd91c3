"""Pieces shared by the Space Ranger layouts (Visium, Visium HD) and HEST: spot grids, barcodes, spatial images."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from humanst.synth.expression import Footprint, simulate_counts
from humanst.synth.formats.images import downscale, write_picture
from humanst.synth.sample import SynthSample
from humanst.synth.tissue import Tissue

__all__ = [
    "VisiumSpots",
    "hex_spot_grid",
    "random_barcodes",
    "visium_spots",
    "write_scalefactors",
    "write_spatial_images",
]

VISIUM_PITCH_UM = 100.0  # centre-to-centre
VISIUM_SPOT_UM = 55.0
SPOT_DIAMETER_DEFINITION_UM = 65.0  # Space Ranger >= 1.3: spot_diameter_fullres spans a theoretical 65 um spot
FIDUCIAL_TO_SPOT = 1.615  # fiducial_diameter_fullres / spot_diameter_fullres on real slides


def hex_spot_grid(
    tissue: Tissue, *, pitch_um: float = VISIUM_PITCH_UM, margin_um: float = 40.0
) -> dict[str, np.ndarray]:
    """Visium hexagonal grid over the section: ``array_row``, ``array_col`` ((row + col) even), ``x_um``, ``y_um``."""
    col_um, row_um = pitch_um / 2.0, pitch_um * np.sqrt(3) / 2.0
    n_rows = int((tissue.height_um - 2 * margin_um) // row_um) + 1
    n_cols = int((tissue.width_um - 2 * margin_um) // col_um) + 1
    rows, cols = np.mgrid[0:n_rows, 0:n_cols]
    keep = (rows + cols) % 2 == 0
    rows, cols = rows[keep], cols[keep]
    return {
        "array_row": rows,
        "array_col": cols,
        "x_um": margin_um + cols * col_um,
        "y_um": margin_um + rows * row_um,
    }


def random_barcodes(n: int, rng: np.random.Generator, *, suffix: str = "-1") -> list[str]:
    """``n`` distinct 16-nt ACGT barcodes (as in Visium spot barcodes)."""
    out: dict[str, None] = {}
    alphabet = np.array(list("ACGT"))
    while len(out) < n:
        for row in alphabet[rng.integers(0, 4, size=(n - len(out), 16))]:
            out["".join(row) + suffix] = None
    return list(out)[:n]


def write_spatial_images(
    folder: Path, image: np.ndarray, *, hires_px: int = 2000, lowres_px: int = 600
) -> dict[str, float]:
    """Write ``tissue_hires_image.png`` and ``tissue_lowres_image.png``; return their scale factors."""
    longest = max(image.shape[:2])
    hires_scalef = min(1.0, hires_px / longest, 0.5)
    lowres_scalef = min(hires_scalef, lowres_px / longest, 0.2)
    write_picture(folder / "tissue_hires_image.png", downscale(image, hires_scalef))
    write_picture(folder / "tissue_lowres_image.png", downscale(image, lowres_scalef))
    return {"tissue_hires_scalef": hires_scalef, "tissue_lowres_scalef": lowres_scalef}


def write_scalefactors(path: Path, *, spot_diameter_fullres: float, scalefs: dict[str, float], **extra: float) -> Path:
    """Write ``scalefactors_json.json`` with the keys Space Ranger writes."""
    data = {
        "spot_diameter_fullres": spot_diameter_fullres,
        "tissue_hires_scalef": scalefs["tissue_hires_scalef"],
        "fiducial_diameter_fullres": spot_diameter_fullres * FIDUCIAL_TO_SPOT,
        "tissue_lowres_scalef": scalefs["tissue_lowres_scalef"],
        "regist_target_img_scalef": scalefs["tissue_hires_scalef"],
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4))
    return path


@dataclass(frozen=True)
class VisiumSpots:
    """The 55 um spots of a Visium capture area over a sample, with counts for those under tissue."""

    grid: dict[str, np.ndarray]  # every spot of the array
    in_tissue: np.ndarray  # bool per spot
    barcodes: list[str]  # per spot
    counts: sparse.csr_matrix  # in-tissue spots x genes
    truth: pd.DataFrame  # in-tissue spots

    @property
    def keep(self) -> np.ndarray:
        """Indices of the in-tissue spots (rows of ``counts``)."""
        return np.flatnonzero(self.in_tissue)

    @property
    def kept_barcodes(self) -> list[str]:
        """Barcodes of the in-tissue spots, in ``counts`` order."""
        return [self.barcodes[i] for i in self.keep]


def visium_spots(sample: SynthSample, *, target_umis: float) -> VisiumSpots:
    """Lay the Visium array over the sample and draw counts for the spots whose centre is on tissue."""
    tissue = sample.tissue
    grid = hex_spot_grid(tissue)
    in_tissue = tissue.sample(tissue.tissue, grid["x_um"], grid["y_um"]) > 0.5
    keep = np.flatnonzero(in_tissue)
    counts, truth = simulate_counts(
        tissue,
        sample.genes,
        grid["x_um"][keep],
        grid["y_um"][keep],
        Footprint("disc", VISIUM_SPOT_UM / 2),
        target_umis=target_umis * sample.spec.depth,
        seed=sample.spec.seed,
    )
    return VisiumSpots(grid, in_tissue, random_barcodes(len(in_tissue), sample.rng(1)), counts, truth)
