"""Per-spot out-of-fold predictions: parquet beside the result, referenced by sha256, consistent with the scores."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from benchmarks.errors import ResultError
from benchmarks.report.gains import patient_target_r
from benchmarks.schema import read_result
from benchmarks.spot.predictions import METADATA_KEY, read_predictions
from benchmarks.spot.runner import evaluate_cache


@pytest.fixture(scope="module")
def scored(prepared, informative_cache, tmp_path_factory):
    out = tmp_path_factory.mktemp("scored")
    result, path = evaluate_cache(prepared, informative_cache, kind="model", out=out)
    return result, path


def test_the_result_references_its_predictions_file_by_name_and_sha256(scored):
    result, path = scored
    ref = read_result(path).predictions
    assert ref is not None
    assert ref == result.predictions
    assert (path.parent / ref.file).is_file()
    assert ref.file == path.stem + ".predictions.parquet"
    preds = read_predictions(path.parent / ref.file, sha256=ref.sha256)
    assert preds.n_spots == ref.n_spots


def test_predictions_cover_each_held_out_spot_once_with_its_measured_values(scored, prepared):
    result, path = scored
    preds = read_predictions(path.parent / result.predictions.file)
    tested = np.unique(np.concatenate([f.test for f in prepared.folds]))
    data = prepared.data
    assert sorted(preds.row_keys()) == sorted(zip(data.sample_ids[tested], data.spot_ids[tested], strict=True))
    assert set(preds.patient_ids.tolist()) == {p for f in prepared.folds for p in f.test_patients}
    assert set(preds.folds.tolist()) == {f.name for f in prepared.folds}
    names, scores = data.pathways["hallmark"]
    block = preds.block("pathways:hallmark")
    assert block.targets == names
    index = {k: i for i, k in enumerate(data.row_keys())}
    rows = [index[k] for k in preds.row_keys()]
    np.testing.assert_allclose(block.measured, scores[rows], rtol=1e-6)
    assert np.isfinite(block.predicted).all()
    assert preds.block("random:hallmark").control_of == "pathways:hallmark"
    genes = preds.block("genes:top50")
    assert genes.measured.shape[1] >= 50  # union of each fold's top-50 genes; NaN where a fold did not predict one
    assert (np.isfinite(genes.predicted).sum(1) == 50).all()


def test_pearson_from_the_predictions_reproduces_the_result_scores(scored):
    result, path = scored
    preds = read_predictions(path.parent / result.predictions.file)
    for block in result.blocks:
        patients, r = patient_target_r(preds.block(block.name), preds.patient_ids)
        per_patient = np.nanmean(r, axis=1)
        for patient, value in zip(patients, per_patient, strict=True):
            assert value == pytest.approx(block.per_patient[patient], abs=1e-5)
        if block.kind != "genes":  # gene targets differ per fold; the pathway ones do not
            for j, target in enumerate(preds.block(block.name).targets):
                assert np.nanmean(r[:, j]) == pytest.approx(block.per_target[target], abs=1e-5)


def test_an_edited_predictions_file_is_refused(scored, tmp_path):
    result, path = scored
    source = path.parent / result.predictions.file
    table = pq.read_table(source)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    meta["blocks"][0]["targets"][0] = "HALLMARK_EDITED"
    edited = tmp_path / source.name
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()}), edited)
    with pytest.raises(ResultError, match="sha256 differs"):
        read_predictions(edited, sha256=result.predictions.sha256)
    assert read_predictions(edited).block(meta["blocks"][0]["name"]).targets[0] == "HALLMARK_EDITED"
    (tmp_path / "plain.parquet").write_bytes(b"not parquet")
    with pytest.raises(ResultError, match="not a readable per-spot predictions file"):
        read_predictions(tmp_path / "plain.parquet")


def test_results_written_before_predictions_were_kept_still_verify(scored, tmp_path):
    result, _ = scored
    doc = result.model_copy(update={"predictions": None, "digest": ""}).model_dump(mode="json")
    old_writer_lacked = ("predictions", "outcomes", "cohort", "adapter_source", "adapter_commit", "adapter_seed")
    for key in (*old_writer_lacked, "adapter_group"):
        del doc[key]
    del doc["task"]["negative_control_of"]  # nor the task's negative-control link
    doc["digest"] = hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    assert read_result(path).predictions is None
