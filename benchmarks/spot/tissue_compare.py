"""B - A within the held-out patients' tissue: a paired spatial block bootstrap from two results' predictions.

Below ``min_patients`` held-out patients a bootstrap over patients measures nothing, but the two encoders
predicted the very same spots. Both results' per-spot predictions (:mod:`benchmarks.spot.predictions`) are
scored per patient on the same tiles of neighbouring spots, drawn once per replicate for both
(:mod:`stamp.probe.paired_blocks`); the tiles are the ones the tier-1 intervals resampled (the side per slide
recorded in ``intervals.block_um``). The interval of B - A holds the tissue-sampling noise of the difference
only: within these patients' tissue, paired, no population claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from benchmarks.errors import ResultError
from benchmarks.spot.predictions import SpotPredictions, read_predictions
from benchmarks.spot.result_sets import LoadedResult
from stamp.probe import BlockLayout, PatientScores, block_layouts, patient_scores

__all__ = ["TissuePair", "gap_name", "paired_tissue", "spot_predictions", "target_name"]


def gap_name(pathways: str, control: str) -> str:
    """Name of a gap row in a comparison (the pathway block minus its random-set control)."""
    return f"gap {pathways} - {control}"


def target_name(block: str, target: str) -> str:
    """Name of a one-target row in a comparison (one pathway of a block, e.g. a focus pathway)."""
    return f"{block}: {target}"


@dataclass(frozen=True)
class TissuePair:
    """A's and B's per-patient scores with tile replicates, per comparison target, and the tiles they share."""

    scores: dict[str, tuple[PatientScores, PatientScores]]
    layouts: dict[str, BlockLayout]


def spot_predictions(item: LoadedResult) -> SpotPredictions:
    """Read the per-spot predictions a result kept beside it (checked against its recorded sha256)."""
    ref = item.result.predictions
    if ref is None:
        msg = f"{item.result.embedding_key}: no per-spot predictions kept; rerun `stamp-bench run`"
        raise ResultError(msg, path=item.folder)
    return read_predictions(item.folder / ref.file, sha256=ref.sha256)


def paired_tissue(
    a: LoadedResult, b: LoadedResult, *, n_boot: int, seed: int, focus: Sequence[str] = ()
) -> TissuePair | str:
    """Score both results' predictions on the same tiles; a string says why no tissue interval can be made.

    ``focus``: targets (e.g. one pathway) also scored alone, as :func:`target_name` rows, in every block holding them.
    """
    try:
        pa, pb = spot_predictions(a), spot_predictions(b)
    except ResultError as exc:
        return str(exc)
    if pa.coords_um is None:
        return "the predictions have no spot coordinates (written before schema 2); rerun `stamp-bench run`"
    if pa.row_keys() != pb.row_keys():
        return "A and B predicted different spots"
    layouts = block_layouts(pa.coords_um, pa.patient_ids, pa.sample_ids, side_um=a.result.intervals.block_um or None)
    patients = np.asarray(pa.patient_ids).astype(str)
    scores: dict[str, tuple[PatientScores, PatientScores]] = {}
    for name, block_a in pa.blocks.items():
        block_b = pb.blocks.get(name)
        if block_b is None or block_b.targets != block_a.targets:
            continue
        if not np.allclose(block_a.measured, block_b.measured, equal_nan=True):
            return f"A and B measured different values for block {name!r} (another atlas build?)"
        scores[name] = tuple(  # type: ignore[assignment]
            patient_scores(block_a.measured, block.predicted, patients, layouts, n_boot=n_boot, seed=seed)
            for block in (block_a, block_b)
        )
        for target in (t for t in focus if t in block_a.targets):
            j = block_a.targets.index(target)
            scores[target_name(name, target)] = tuple(  # type: ignore[assignment]
                patient_scores(
                    block_a.measured[:, [j]], block.predicted[:, [j]], patients, layouts, n_boot=n_boot, seed=seed
                )
                for block in (block_a, block_b)
            )
    for name, block in pa.blocks.items():
        if block.control_of in scores and name in scores:
            real, control = scores[block.control_of], scores[name]
            scores[gap_name(block.control_of, name)] = (real[0] - control[0], real[1] - control[1])
    return TissuePair(scores, layouts)
