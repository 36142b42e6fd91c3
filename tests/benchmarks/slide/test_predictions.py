"""Per-patient predictions files: version 2 keeps every tile's place and score; version-1 files still read, without."""

from __future__ import annotations

import numpy as np

from benchmarks.prediction_files import float_rows, string_column
from benchmarks.slide.predictions import (
    FORMAT,
    OutcomePredictions,
    _PatientBlockMeta,
    _PatientFileMeta,
    read_outcome_predictions,
    write_outcome_predictions,
)
from benchmarks.slide.tiles import TilePlaces


def _predictions() -> OutcomePredictions:
    rng = np.random.default_rng(0)
    places = [
        TilePlaces.join(["P1-S1", "P1-S2"], [np.array([[0, 0], [224, 0]]), np.array([[448, 224]])], [224, 448]),
        TilePlaces.join(["P2-S1"], [np.array([[0, 448], [224, 448], [448, 448]])], [224]),
    ]
    return OutcomePredictions(
        kind="regression", patients=np.asarray(["P1", "P2"], dtype=object),
        folds=np.asarray(["f0", "f1"], dtype=object),
        targets={"label": ["A", "B"]}, measured={"label": rng.normal(size=(2, 2))},
        predicted={("mean-linear", "label"): rng.normal(size=(2, 2)), ("abmil", "label"): rng.normal(size=(2, 2))},
        tiles=places,
        tile_scores={"mean-linear": [rng.normal(size=(3, 2)), rng.normal(size=(3, 2))],
                     "abmil": [np.full((3, 1), 1 / 3), np.array([[0.2], [0.3], [0.5]])]},
        tile_what={"mean-linear": "linear score", "abmil": "attention"},
    )  # fmt: skip


def test_tiles_and_their_scores_round_trip(tmp_path):
    written = _predictions()
    write_outcome_predictions(written, tmp_path / "x.outcomes.parquet")
    read = read_outcome_predictions(tmp_path / "x.outcomes.parquet")
    assert read.version == 2
    assert read.tile_what == written.tile_what
    for a, b in zip(read.tiles, written.tiles, strict=True):
        assert a.slides == b.slides
        np.testing.assert_array_equal(a.xy_px, b.xy_px)
        np.testing.assert_array_equal(a.slide_of_tile, b.slide_of_tile)
        np.testing.assert_array_equal(a.tile_px, b.tile_px)
    for probe, scores in written.tile_scores.items():
        for a, b in zip(read.tile_scores[probe], scores, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-6)
    assert read.tiles[0].of_slide("P1-S2").tolist() == [2]
    assert read.tiles[1].of_slide("P1-S2").size == 0


def test_a_version_1_file_reads_without_tiles(tmp_path):
    written = _predictions()
    columns = {"patient_id": string_column(written.patients), "fold": string_column(written.folds),
               "measured/label": float_rows(written.measured["label"])}  # fmt: skip
    for (probe, block), values in written.predicted.items():
        columns[f"predicted/{probe}/{block}"] = float_rows(values)
    meta = _PatientFileMeta(schema_version=1, kind="regression", probes=["abmil", "mean-linear"],
                            blocks=[_PatientBlockMeta(name="label", targets=["A", "B"])])  # fmt: skip
    FORMAT.write(columns, meta, tmp_path / "old.outcomes.parquet")
    read = read_outcome_predictions(tmp_path / "old.outcomes.parquet")
    assert (read.version, read.tiles, read.tile_scores) == (1, None, {})
    np.testing.assert_allclose(read.predicted[("abmil", "label")], written.predicted[("abmil", "label")], rtol=1e-6)
