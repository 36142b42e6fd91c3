"""Legacy ST (Ståhl 2016 arrays, as in the public HER2+ breast set): counts TSV, spot selection, H&E JPEG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from humanst.synth.expression import Footprint, simulate_counts
from humanst.synth.formats._registry import register_format
from humanst.synth.formats.images import write_picture
from humanst.synth.render import PixelFrame, render_he
from humanst.synth.sample import SynthSample, WrittenSample, write_truth

__all__ = ["ST_PITCH_UM", "ST_SPOT_UM", "write_legacy_st"]

ST_PITCH_UM = 200.0  # centre-to-centre on the array
ST_SPOT_UM = 100.0
TARGET_UMIS = 4000.0


@register_format("legacy_st", footprint_um=ST_SPOT_UM, description="ST counts .tsv.gz + spot selection .tsv + H&E .jpg")
def write_legacy_st(sample: SynthSample, root: Path) -> WrittenSample:
    """Write ``count-matrices/<id>.tsv.gz``, ``spot-selections/<id>_selection.tsv`` and ``images/HE/<id>.jpg``."""
    tissue, um_per_px = sample.tissue, sample.spec.um_per_px
    rng = sample.rng(4)
    # Array coordinates start at 1 (as on ST chips); the array sits at a small offset from the image origin.
    offset_um = np.array([60.0, 80.0])
    nx = int((tissue.width_um - offset_um[0] - ST_SPOT_UM / 2) // ST_PITCH_UM) + 1
    ny = int((tissue.height_um - offset_um[1] - ST_SPOT_UM / 2) // ST_PITCH_UM) + 1
    ax, ay = (a.ravel() + 1 for a in np.mgrid[0:nx, 0:ny])
    new_x = ax + rng.normal(0, 0.02, ax.size)  # fitted ("adjusted") array positions
    new_y = ay + rng.normal(0, 0.02, ay.size)
    x_um = offset_um[0] + (new_x - 1) * ST_PITCH_UM
    y_um = offset_um[1] + (new_y - 1) * ST_PITCH_UM
    selected = tissue.footprint_mean(tissue.tissue, x_um, y_um, ST_SPOT_UM / 2) > 0.5
    frame = PixelFrame.covering(tissue, um_per_px)
    pixel_x, pixel_y = frame.to_px(x_um, y_um)
    selection = pd.DataFrame(
        {
            "x": ax,
            "y": ay,
            "new_x": np.round(new_x, 2),
            "new_y": np.round(new_y, 2),
            "pixel_x": np.round(pixel_x, 2),
            "pixel_y": np.round(pixel_y, 2),
            "selected": selected.astype(int),
        }
    )
    sel_path = root / "spot-selections" / f"{sample.sample_id}_selection.tsv"
    sel_path.parent.mkdir(parents=True, exist_ok=True)
    selection.to_csv(sel_path, sep="\t", index=False)

    # Counts exist for every spot under tissue plus a few at the edge that the selection leaves out,
    # as in the public release (the reader inner-joins the two files).
    coverage = tissue.footprint_mean(tissue.tissue, x_um, y_um, ST_SPOT_UM / 2)
    edge = ~selected & (coverage > 0.15)
    if not edge.any() and (~selected).any():
        edge[np.flatnonzero(~selected)[np.argmax(coverage[~selected])]] = True
    rows = np.flatnonzero(selected | edge)
    counts, truth = simulate_counts(
        tissue,
        sample.genes,
        x_um[rows],
        y_um[rows],
        Footprint("disc", ST_SPOT_UM / 2),
        target_umis=TARGET_UMIS * sample.spec.depth,
        seed=sample.spec.seed,
    )
    spot_ids = [f"{ax[i]}x{ay[i]}" for i in rows]
    matrix = pd.DataFrame(counts.toarray(), index=pd.Index(spot_ids), columns=list(sample.genes.genes))
    counts_path = root / "count-matrices" / f"{sample.sample_id}.tsv.gz"
    counts_path.parent.mkdir(parents=True, exist_ok=True)
    matrix.to_csv(counts_path, sep="\t", compression={"method": "gzip", "mtime": 0})
    image_path = write_picture(root / "images" / "HE" / f"{sample.sample_id}.jpg", render_he(tissue, frame))
    truth["selected"] = selected[rows]
    files = [counts_path, sel_path, image_path]
    files += write_truth(
        sample,
        root,
        spot_ids,
        truth,
        counts,
        geometry={"um_per_px": um_per_px, "px_to_um": frame.matrix().tolist(), "pitch_um": ST_PITCH_UM},
    )
    return WrittenSample(
        sample.sample_id, "legacy_st", root, root, files, int(selected[rows].sum()), counts.shape[1], um_per_px
    )
