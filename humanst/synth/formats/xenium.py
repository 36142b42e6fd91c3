"""Xenium Onboard Analysis 2.x bundle: experiment, cells, matrix, boundaries, transcripts, DAPI and aligned H&E."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import zarr
from scipy import sparse

from humanst.synth.expression import PROGRAMMES, Footprint, simulate_counts
from humanst.synth.formats._registry import register_format
from humanst.synth.formats.images import write_ome_tiff
from humanst.synth.formats.tenx_h5 import write_10x_h5
from humanst.synth.render import PixelFrame, render_dapi, render_he
from humanst.synth.sample import SynthSample, WrittenSample, write_truth

__all__ = ["MORPHOLOGY_UM_PER_PX", "cell_id_strings", "write_xenium"]

MORPHOLOGY_UM_PER_PX = 0.2125
SOFTWARE_VERSION = "xenium-2.0.0.10"
TARGET_UMIS = 120.0  # per cell of a ~300-gene panel
N_NEG_PROBES, N_NEG_CODEWORDS, N_BLANK = 20, 41, 100
CELL_TO_NUCLEUS_AREA = 3.0
SUMMARY_COLUMNS = [
    "cell_centroid_x",
    "cell_centroid_y",
    "cell_area",
    "nucleus_centroid_x",
    "nucleus_centroid_y",
    "nucleus_area",
    "z_level",
    "nucleus_count",
]


def cell_id_strings(prefixes: np.ndarray, suffix: int = 1) -> list[str]:
    """Xenium cell ids: the 8 hex digits of a uint32 prefix mapped 0->'a' ... 15->'p', then ``-<suffix>``."""
    letters = np.array(list("abcdefghijklmnop"))
    digits = (prefixes[:, None].astype(np.uint64) >> (4 * np.arange(7, -1, -1, dtype=np.uint64))) & 0xF
    return ["".join(row) + f"-{suffix}" for row in letters[digits.astype(int)]]


def _panel(sample: SynthSample, rng: np.random.Generator) -> list[str]:
    """Pick a targeted panel: some genes of each programme (uneven coverage, as on real panels) + random genes."""
    genes = sample.genes.genes
    chosen: dict[str, None] = {}
    for p_idx, _ in enumerate(PROGRAMMES):
        members = np.flatnonzero(sample.genes.effects[:, p_idx] > 0)
        take = rng.choice(members, size=min(len(members), 12 + 4 * p_idx), replace=False)
        chosen.update((genes[i], None) for i in sorted(take))
    rest = [g for g in genes if g not in chosen]
    extra = rng.choice(len(rest), size=max(0, min(len(rest), sample.spec.panel_size - len(chosen))), replace=False)
    chosen.update((rest[i], None) for i in sorted(extra))
    return sorted(chosen)


def _ring(x: np.ndarray, y: np.ndarray, radius: np.ndarray, n_vertices: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """Draw closed polygon rings (first vertex repeated) around each centre, contiguous per cell."""
    theta = np.linspace(0, 2 * np.pi, n_vertices)
    return (x[:, None] + radius[:, None] * np.cos(theta)).ravel(), (
        y[:, None] + radius[:, None] * np.sin(theta)
    ).ravel()


def _write_cells_zarr(path: Path, prefixes: np.ndarray, summary: np.ndarray) -> Path:
    store = zarr.storage.ZipStore(path, mode="w")
    root = zarr.group(store=store, zarr_format=2)
    root.create_array("cell_id", data=np.stack([prefixes, np.ones_like(prefixes)], axis=1).astype(np.uint32))
    root.create_array("cell_summary", data=summary, attributes={"column_names": SUMMARY_COLUMNS})
    store.close()
    return path


@register_format("xenium", footprint_um=15.0, description="Xenium Onboard Analysis 2.0 bundle (cells, 0.2125 um/px)")
def write_xenium(sample: SynthSample, root: Path) -> WrittenSample:
    """Write ``root/outs/``: the Xenium bundle; the H&E is rotated and registered by ``*_he_imagealignment.csv``."""
    outs = root / "outs"
    outs.mkdir(parents=True, exist_ok=True)
    tissue, nuclei = sample.tissue, sample.tissue.nuclei
    rng = sample.rng(3)
    inside = tissue.sample(tissue.tissue, nuclei.x_um, nuclei.y_um) > 0.5
    cells = np.flatnonzero(inside)
    x, y = nuclei.x_um[cells], nuclei.y_um[cells]
    nucleus_area = np.pi * nuclei.a_um[cells] * nuclei.b_um[cells]
    cell_area = nucleus_area * CELL_TO_NUCLEUS_AREA * np.exp(0.2 * rng.standard_normal(cells.size))
    panel = _panel(sample, rng)
    model = sample.genes.subset(panel)
    counts, truth = simulate_counts(
        tissue,
        model,
        x,
        y,
        Footprint("cell"),
        target_umis=TARGET_UMIS * sample.spec.depth,
        seed=sample.spec.seed,
        cell_region=nuclei.region[cells],
    )
    prefixes = np.sort(rng.choice(2**32 - 1, size=cells.size, replace=False)).astype(np.uint32)
    ids = cell_id_strings(prefixes)

    controls = (
        [f"NegControlProbe_{i:05d}" for i in range(N_NEG_PROBES)],
        [f"NegControlCodeword_{i:04d}" for i in range(500, 500 + N_NEG_CODEWORDS)],
        [f"BLANK_{i:04d}" for i in range(N_BLANK)],
    )
    control_types = (
        ["Negative Control Probe"] * N_NEG_PROBES
        + ["Negative Control Codeword"] * N_NEG_CODEWORDS
        + ["Unassigned Codeword"] * N_BLANK
    )
    control_names = [n for group in controls for n in group]
    control_counts = sparse.csr_matrix(rng.poisson(0.01, size=(cells.size, len(control_names))).astype(np.int32))
    matrix = sparse.hstack([counts, control_counts], format="csr")
    h5 = write_10x_h5(
        outs / "cell_feature_matrix.h5",
        matrix,
        ids,
        [*model.gene_ids, *control_names],
        [*panel, *control_names],
        feature_types=["Gene Expression"] * len(panel) + control_types,
        attrs={"software_version": SOFTWARE_VERSION},
    )
    total = np.asarray(counts.sum(axis=1)).ravel()
    n_control = np.asarray(control_counts.sum(axis=1)).ravel()
    cells_df = pd.DataFrame(
        {
            "cell_id": ids,
            "x_centroid": x,
            "y_centroid": y,
            "transcript_counts": total,
            "control_probe_counts": n_control,
            "control_codeword_counts": 0,
            "unassigned_codeword_counts": 0,
            "deprecated_codeword_counts": 0,
            "total_counts": total + n_control,
            "cell_area": cell_area,
            "nucleus_area": nucleus_area,
            "nucleus_count": 1,
            "segmentation_method": "Segmented by nucleus expansion of 5.0µm",
        }
    )
    cells_df.to_parquet(outs / "cells.parquet", index=False)
    summary = np.column_stack([x, y, cell_area, x, y, nucleus_area, np.zeros_like(x), np.ones_like(x)])
    zarr_path = _write_cells_zarr(outs / "cells.zarr.zip", prefixes, summary)
    files = [h5, outs / "cells.parquet", zarr_path]

    labels = np.arange(1, cells.size + 1, dtype=np.uint32)
    for name, radius in (("cell", np.sqrt(cell_area / np.pi)), ("nucleus", np.sqrt(nucleus_area / np.pi))):
        vx, vy = _ring(x, y, radius)
        frame = pd.DataFrame(
            {
                "cell_id": np.repeat(ids, 13),
                "vertex_x": vx.astype(np.float32),
                "vertex_y": vy.astype(np.float32),
                "label_id": np.repeat(labels, 13),
            }
        )
        frame.to_parquet(outs / f"{name}_boundaries.parquet", index=False)
        files.append(outs / f"{name}_boundaries.parquet")
    files.append(
        _write_transcripts(outs / "transcripts.parquet", counts, panel, ids, x, y, np.sqrt(cell_area / np.pi), rng)
    )

    morph_frame = PixelFrame.covering(tissue, MORPHOLOGY_UM_PER_PX)
    dapi = render_dapi(tissue, morph_frame)
    files.append(
        write_ome_tiff(
            outs / "morphology_focus" / "morphology_focus_0000.ome.tif",
            dapi,
            um_per_px=MORPHOLOGY_UM_PER_PX,
            channel_names=["DAPI"],
        )
    )
    he_frame = PixelFrame(
        (int(tissue.height_um / sample.spec.um_per_px), int(tissue.width_um / sample.spec.um_per_px)),
        sample.spec.um_per_px,
        origin_um=(0.03 * tissue.width_um, -0.02 * tissue.height_um),
        rotation_rad=np.deg2rad(2.0),
    )
    he_path = write_ome_tiff(
        outs / f"{sample.sample_id}_he_image.ome.tif", render_he(tissue, he_frame), um_per_px=sample.spec.um_per_px
    )
    he_to_morph = np.diag([1 / MORPHOLOGY_UM_PER_PX, 1 / MORPHOLOGY_UM_PER_PX, 1.0]) @ he_frame.matrix()
    alignment = outs / f"{sample.sample_id}_he_imagealignment.csv"
    pd.DataFrame(he_to_morph).to_csv(alignment, header=False, index=False)
    experiment = {
        "major_version": 5,
        "minor_version": 0,
        "run_name": f"synthetic {sample.sample_id}",
        "region_name": sample.sample_id,
        "panel_name": "humanst synthetic panel",
        "panel_num_targets_predesigned": len(panel),
        "panel_num_targets_custom": 0,
        "pixel_size": MORPHOLOGY_UM_PER_PX,
        "instrument_sw_version": "2.0.0.10",
        "analysis_sw_version": SOFTWARE_VERSION,
        "num_cells": int(cells.size),
        "images": {"morphology_focus_filepath": "morphology_focus/morphology_focus_0000.ome.tif"},
    }
    (outs / "experiment.xenium").write_text(json.dumps(experiment, indent=2))
    files += [he_path, alignment, outs / "experiment.xenium"]
    files += write_truth(
        sample,
        root,
        ids,
        truth,
        counts,
        geometry={
            "um_per_px": MORPHOLOGY_UM_PER_PX,
            "he_um_per_px": sample.spec.um_per_px,
            "he_px_to_um": he_frame.matrix().tolist(),
            "image": he_path.name,
        },
    )
    return WrittenSample(
        sample.sample_id, "xenium", root, outs, files, counts.shape[0], counts.shape[1], MORPHOLOGY_UM_PER_PX
    )


def _write_transcripts(
    path: Path,
    counts: sparse.csr_matrix,
    panel: list[str],
    ids: list[str],
    x: np.ndarray,
    y: np.ndarray,
    radius: np.ndarray,
    rng: np.random.Generator,
) -> Path:
    """One row per counted molecule, scattered inside its cell (microns), plus a few unassigned ones."""
    coo = counts.tocoo()
    reps = coo.data.astype(np.int64)
    cell = np.repeat(coo.row, reps)
    gene = np.repeat(coo.col, reps)
    n = cell.size
    r = radius[cell] * np.sqrt(rng.uniform(size=n))
    theta = rng.uniform(0, 2 * np.pi, n)
    names = np.asarray(panel, dtype=object)
    frame = pd.DataFrame(
        {
            "transcript_id": np.arange(n, dtype=np.uint64) + 281474976710657,
            "cell_id": np.asarray(ids, dtype=object)[cell],
            "overlaps_nucleus": (r < radius[cell] / np.sqrt(3)).astype(np.uint8),
            "feature_name": names[gene],
            "x_location": (x[cell] + r * np.cos(theta)).astype(np.float32),
            "y_location": (y[cell] + r * np.sin(theta)).astype(np.float32),
            "z_location": rng.normal(12.0, 1.5, n).astype(np.float32),
            "qv": rng.uniform(20, 40, n).astype(np.float32),
        }
    )
    frame.to_parquet(path, index=False)
    return path
