"""Submissions are data only: hostile ones are refused with a clear message, valid ones are scored."""

from __future__ import annotations

import json
import pickle
import shutil

import numpy as np
import pytest
from safetensors.numpy import save_file

from benchmarks.errors import ResultError, SubmissionError
from benchmarks.leaderboard import SubmissionLimits, submit
from benchmarks.schema import read_result


def _embeddings_submission(folder, prepared, *, dim=8, name="my-model", nan=False, rows=None, card_extra=None):
    folder.mkdir(parents=True, exist_ok=True)
    data = prepared.data
    rng = np.random.default_rng(0)
    for sample in sorted(set(data.sample_ids.tolist())):
        spots = data.spot_ids[data.sample_ids == sample].tolist()
        x = rng.normal(size=(rows or len(spots), dim)).astype(np.float32)
        if nan:
            x[0, 0] = np.nan
        save_file({"embeddings": x}, str(folder / f"{sample}.safetensors"), metadata={"spot_ids": json.dumps(spots)})
    card = {"name": name, "embed_dim": dim, "license": "CC-BY-4.0", **(card_extra or {})}
    (folder / "model_card.json").write_text(json.dumps(card))
    return folder


def test_an_embeddings_submission_is_scored_by_the_evaluator(prepared, demo_atlas, tmp_path):
    sub = _embeddings_submission(tmp_path / "sub", prepared)
    (entry,) = submit(sub, tmp_path / "board", atlas=demo_atlas)
    result = read_result(tmp_path / "board" / entry.record.result_file)
    assert entry.record.verification == "verified"
    assert entry.record.submission_id == "my-model__demo-spot__default__v1"
    assert result.submitted_by == "my-model"
    assert result.encoder == "submitted:my-model"
    assert result.task.split_hash == prepared.split_hash
    assert not list((tmp_path / "board").glob(".staging*"))


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        ("pickle_file", "can hold pickled code"),
        ("pickle_renamed", "a Python pickle whatever its name"),
        ("dotdot_name", "unsafe name"),
        ("dotdot_card", "unsafe name"),
        ("symlink", "only regular files"),
        ("oversize", "over the"),
        ("nan", "NaN or infinite"),
        ("wrong_dim", "wrong shape"),
        ("too_few_rows", "wrong shape"),
        ("script", "not a data format"),
        ("card_extra_key", "model card schema"),
    ],
)
def test_hostile_embeddings_submissions_are_refused(prepared, demo_atlas, tmp_path, damage, match):
    sub = tmp_path / "sub"
    limits = SubmissionLimits()
    first = sorted(set(prepared.data.sample_ids.tolist()))[0]
    if damage == "nan":
        _embeddings_submission(sub, prepared, nan=True)
    elif damage == "too_few_rows":
        _embeddings_submission(sub, prepared, rows=2)
    elif damage == "dotdot_card":
        _embeddings_submission(sub, prepared, card_extra={"files": {first: "../../etc/passwd"}})
    elif damage == "card_extra_key":
        _embeddings_submission(sub, prepared, card_extra={"entry_point": "evil:main"})
    else:
        _embeddings_submission(sub, prepared)
    if damage == "pickle_file":
        (sub / "weights.pkl").write_bytes(pickle.dumps({"a": 1}))
    elif damage == "pickle_renamed":
        (sub / f"{first}.safetensors").write_bytes(pickle.dumps(np.zeros(3)))
    elif damage == "dotdot_name":
        shutil.copy(sub / f"{first}.safetensors", sub / "..hidden.safetensors")
    elif damage == "symlink":
        (sub / "link.safetensors").symlink_to(sub / f"{first}.safetensors")
    elif damage == "oversize":
        limits = SubmissionLimits(max_file_bytes=1000)
    elif damage == "wrong_dim":
        card = json.loads((sub / "model_card.json").read_text())
        (sub / "model_card.json").write_text(json.dumps({**card, "embed_dim": 9}))
    elif damage == "script":
        (sub / "run.py").write_text("import os; os.system('echo pwned')")
    with pytest.raises(SubmissionError, match=match) as info:
        submit(sub, tmp_path / "board", atlas=demo_atlas, limits=limits)
    assert str(tmp_path) in str(info.value) or "sub" in str(info.value)
    assert not (tmp_path / "board" / "entries").exists()


def test_a_results_file_is_reverified(demo_results, demo_atlas, tmp_path):
    source = demo_results / "colour-texture__demo-spot__default.json"
    (accepted,) = submit(source, tmp_path / "board", atlas=demo_atlas, cache=demo_results / "embeddings")
    assert accepted.result.encoder == "colour-texture"
    assert accepted.record.verification == "verified"
    doc = json.loads(source.read_text())
    doc["blocks"][0]["pearson"]["mean"] = 0.99
    (tmp_path / "edited.json").write_text(json.dumps(doc))
    with pytest.raises(ResultError, match="digest does not match"):
        submit(tmp_path / "edited.json", tmp_path / "board")


def test_a_result_from_another_split_or_task_is_refused(demo_results, demo_atlas, tmp_path):
    from benchmarks.leaderboard.submit import verify_result

    result = read_result(demo_results / "colour-texture__demo-spot__default.json")
    with pytest.raises(ResultError, match="split_hash"):
        verify_result(result, task_hash=result.task.task_hash, atlas_hash=None, split_hash="0" * 64)
    with pytest.raises(ResultError, match="task_hash"):
        verify_result(result, task_hash="f" * 64, atlas_hash=None, split_hash=None)


def test_a_non_json_single_file_is_refused(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SubmissionError, match="results JSON"):
        submit(path, tmp_path / "board")
