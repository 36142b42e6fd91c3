"""Below 5 held-out patients, compare adds a paired spatial block bootstrap of B - A from the kept predictions."""

from __future__ import annotations

import pytest

from benchmarks.spot.compare import compare_pairs
from benchmarks.spot.predictions import read_predictions
from benchmarks.spot.result_sets import load_result_sets
from stamp.probe import PAIRED_LABEL


def _one(folder):
    (items,) = load_result_sets(folder).values()
    return items


def test_the_tissue_interval_is_paired_and_scores_what_the_results_scored(replicate_results):
    (base,) = _one(replicate_results["base"])
    aligned = _one(replicate_results["aligned"])[0]
    rows = {r.target: r for r in compare_pairs([(base, aligned)], n_boot=200)}
    assert list(rows) == ["pathways:hallmark", "random:hallmark", "gap pathways:hallmark - random:hallmark"]
    for name, row in rows.items():
        assert not row.population  # the demo task holds out 2 patients
        tissue = row.tissue
        assert tissue is not None, row.tissue_note
        assert tissue.n_patients == 2
        assert tissue.n_boot == 200
        assert PAIRED_LABEL in tissue.resampled
        # the tiles score what the results scored: each patient's pooled r, from the float32 predictions
        for patient, (a, b, _) in tissue.per_patient.items():
            assert a == pytest.approx(row.per_patient[patient][0], abs=1e-4), name
            assert b == pytest.approx(row.per_patient[patient][1], abs=1e-4), name
        assert tissue.diff == pytest.approx(row.diff, abs=1e-4)
        assert tissue.ci_low < tissue.diff < tissue.ci_high
    assert rows["pathways:hallmark"].tissue.ci_low > 0  # the aligned embeddings carry the pathways
    # the tiles are the ones the tier-1 intervals resampled (their recorded sides)
    sides = base.result.intervals.block_um
    assert sides
    predictions = read_predictions(base.folder / base.result.predictions.file)
    assert predictions.coords_um is not None
    assert predictions.coords_um.shape == (predictions.n_spots, 2)


def test_a_result_against_itself_has_a_zero_width_interval_because_the_draws_are_paired(replicate_results):
    aligned = _one(replicate_results["aligned"])[0]
    for row in compare_pairs([(aligned, aligned)], n_boot=200):
        assert row.tissue is not None
        assert row.tissue.diff == 0.0
        assert row.tissue.ci_low == row.tissue.ci_high == 0.0


def test_without_predictions_the_row_says_why_there_is_no_tissue_interval(replicate_results, tmp_path):
    import shutil

    (base,) = _one(replicate_results["base"])
    folder = tmp_path / "base"
    shutil.copytree(base.folder, folder)
    for parquet in folder.glob("*.parquet"):
        parquet.unlink()
    (moved,) = _one(folder)
    aligned = _one(replicate_results["aligned"])[0]
    row = compare_pairs([(moved, aligned)], n_boot=100)[0]
    assert row.tissue is None
    assert "predictions file not found" in row.tissue_note
