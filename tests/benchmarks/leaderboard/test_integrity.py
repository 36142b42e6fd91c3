"""Leaderboard integrity: forged summaries refused, self-reported entries marked, names owned, nothing replaced."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from benchmarks.errors import ResultError, SubmissionError
from benchmarks.leaderboard import build_table, collect_board, render_all, submit
from benchmarks.schema import Result, canonical_digest, read_result

MODEL = "vit-tiny-test__demo-spot__default.json"


def _reseal(doc: dict, path: Path) -> Path:
    """Write ``doc`` with a freshly computed digest: what anyone can do, since the digest is unkeyed."""
    result = Result.model_validate({**doc, "digest": ""})
    path.write_text(result.model_copy(update={"digest": canonical_digest(result)}).model_dump_json(indent=2))
    return path


def _shift(metric: dict, delta: float) -> None:
    for key in ("mean", "ci_low", "ci_high"):
        if metric[key] is not None:
            metric[key] += delta


def _forge_consistently(doc: dict, delta: float) -> dict:
    """Add ``delta`` to every r of every block, everywhere it appears: a forgery that is internally consistent."""
    for block in doc["blocks"]:
        for targets in block["per_patient_target"].values():
            for t in targets:
                targets[t] = None if targets[t] is None else targets[t] + delta
        for table in ("per_patient", "per_patient_slide", "per_slide", "per_target"):
            block[table] = {k: None if v is None else v + delta for k, v in block[table].items()}
        block["per_patient_ci"] = {k: [v[0] + delta, v[1] + delta] for k, v in block["per_patient_ci"].items()}
        _shift(block["pearson"], delta)
        _shift(block["pearson_slide"], delta)
    return doc


def _snapshot(board: Path) -> dict[str, bytes]:
    return {str(p.relative_to(board)): p.read_bytes() for p in sorted(board.rglob("*")) if p.is_file()}


def _embeddings(folder: Path, prepared, *, name: str, seed: int, dim: int = 8) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = prepared.data
    rng = np.random.default_rng(seed)
    for sample in sorted(set(data.sample_ids.tolist())):
        spots = data.spot_ids[data.sample_ids == sample].tolist()
        x = rng.normal(size=(len(spots), dim)).astype(np.float32)
        save_file({"embeddings": x}, str(folder / f"{sample}.safetensors"), metadata={"spot_ids": json.dumps(spots)})
    (folder / "model_card.json").write_text(json.dumps({"name": name, "embed_dim": dim}))
    return folder


def test_a_forged_mean_with_a_recomputed_digest_is_refused(demo_results, tmp_path):
    doc = json.loads((demo_results / MODEL).read_text())
    doc["encoder"] = doc["embedding_key"] = "my-encoder"
    doc["blocks"][0]["pearson"]["mean"] = 0.999  # the case of the issue: ranked #1 at 0.999
    forged = _reseal(doc, tmp_path / "forged.json")
    assert read_result(forged).digest  # the digest alone does not catch it
    with pytest.raises(ResultError, match="not the mean of its 2 per-patient values") as info:
        submit(forged, tmp_path / "board")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "board" / "entries").exists()


def test_an_interval_of_the_wrong_kind_or_not_holding_its_mean_is_refused(demo_results, tmp_path):
    doc = json.loads((demo_results / MODEL).read_text())
    doc["encoder"] = doc["embedding_key"] = "my-encoder"
    doc["blocks"][0]["pearson"]["interval"] = "patient_bootstrap"  # 2 patients: a patient bootstrap is not allowed
    with pytest.raises(ResultError, match="prescribes spatial_block_bootstrap"):
        submit(_reseal(doc, tmp_path / "kind.json"), tmp_path / "board")
    doc = json.loads((demo_results / MODEL).read_text())
    doc["encoder"] = doc["embedding_key"] = "my-encoder"
    doc["blocks"][0]["pearson"]["ci_high"] = doc["blocks"][0]["pearson"]["mean"] - 0.01
    with pytest.raises(ResultError, match="does not contain the mean"):
        submit(_reseal(doc, tmp_path / "ci.json"), tmp_path / "board")


def test_a_consistent_forgery_is_self_reported_and_ranked_after_verified_entries(demo_results, demo_atlas, tmp_path):
    board = tmp_path / "board"
    cache = demo_results / "embeddings"
    entries = [
        entry
        for path in sorted(demo_results.glob("*.json"))
        for entry in submit(path, board, atlas=demo_atlas, cache=cache, submitter="evaluator")
    ]
    assert {e.record.verification for e in entries} == {"verified"}
    assert all("reproduced" in e.record.how for e in entries)
    doc = _forge_consistently(json.loads((demo_results / MODEL).read_text()), 0.3)
    doc["encoder"] = doc["embedding_key"] = "my-encoder"
    (forged,) = submit(_reseal(doc, tmp_path / "forged.json"), board, atlas=demo_atlas, submitter="mallory")
    assert forged.record.verification == "self-reported"
    items, problems = collect_board(board)
    assert problems == []
    table = build_table(items)
    ranks = {row["encoder"][0] + ("+r" if "random" in row["entry"][0] else ""): row for row in table.rows}
    best_verified = max(r.result.blocks[0].pearson.mean for r in items if r.record.verification == "verified")
    assert forged.result.blocks[0].pearson.mean > best_verified  # it would have been #1
    assert ranks["my-encoder"]["rank"][0] == len(table.rows)  # ranked after every verified entry
    assert ranks["my-encoder"]["rank"][1].endswith("\u2020")
    assert ranks["my-encoder"]["verification"][1].startswith("self-reported")
    paths = render_all(table, board)
    md = paths["md"].read_text()
    assert "self-reported" in md
    assert "spatial block bootstrap within patients (no population claim)" in md
    assert "| 2 |" in md  # the number of held-out patients
    assert 'class="self-reported"' in paths["html"].read_text()


def test_a_registered_encoder_name_needs_a_reproduced_result(demo_results, demo_atlas, prepared, tmp_path):
    with pytest.raises(SubmissionError, match="'vit-tiny-test' is named after a registered encoder or baseline"):
        submit(demo_results / MODEL, tmp_path / "board", atlas=demo_atlas)  # no --cache: cannot be reproduced
    with pytest.raises(SubmissionError, match="registered encoder or baseline"):
        submit(_embeddings(tmp_path / "sub", prepared, name="vit-tiny-test", seed=0), tmp_path / "board",
               atlas=demo_atlas)  # fmt: skip
    assert not (tmp_path / "board" / "entries").exists()


def test_names_belong_to_their_first_submitter_and_versions_are_kept(demo_atlas, prepared, tmp_path):
    board = tmp_path / "board"
    (first,) = submit(_embeddings(tmp_path / "a1", prepared, name="my-model", seed=1), board, atlas=demo_atlas,
                      submitter="alice")  # fmt: skip
    assert (first.record.version, first.record.verification) == (1, "verified")
    before = _snapshot(board)
    with pytest.raises(SubmissionError, match="belongs to another submitter"):
        submit(_embeddings(tmp_path / "b1", prepared, name="My-Model", seed=2), board, atlas=demo_atlas,
               submitter="bob")  # fmt: skip
    assert _snapshot(board) == before  # nothing replaced, nothing added
    (again,) = submit(tmp_path / "a1", board, atlas=demo_atlas, submitter="alice")
    assert again.record.submission_id == first.record.submission_id  # the same files again: the same entry
    (second,) = submit(_embeddings(tmp_path / "a2", prepared, name="my-model", seed=3), board, atlas=demo_atlas,
                       submitter="alice")  # fmt: skip
    assert second.record.version == 2
    after = _snapshot(board)
    assert all(after[k] == v for k, v in before.items())  # version 1 kept byte for byte
    items, _ = collect_board(board)
    table = build_table(items)
    assert [row["entry"][0] for row in table.rows] == ["submitted v2"]
    assert any(first.record.submission_id in note for note in table.notes)


def test_a_v1_results_file_is_refused_with_what_to_do(demo_results, tmp_path):
    doc = json.loads((demo_results / MODEL).read_text())
    doc["schema_version"] = 1
    (tmp_path / "old.json").write_text(json.dumps(doc))
    with pytest.raises(ResultError, match=r"schema v1 is no longer read.*rerun `stamp-bench run`"):
        read_result(tmp_path / "old.json")


def test_a_path_as_task_name_is_refused_not_filed_as_a_task(demo_results, demo_atlas, tmp_path):
    from benchmarks.tasks import tasks_dir

    genuine = read_result(demo_results / MODEL)
    for name in (str(tasks_dir() / "demo-spot.yaml"), "../demo-spot", "/etc/passwd"):
        task = genuine.task.model_copy(update={"name": name})  # model_copy does not validate: what an attacker writes
        forged = genuine.model_copy(update={"encoder": "my-encoder", "embedding_key": "my-encoder", "task": task,
                                            "digest": ""})  # fmt: skip
        path = tmp_path / "forged.json"
        path.write_text(forged.model_copy(update={"digest": canonical_digest(forged)}).model_dump_json())
        with pytest.raises(ResultError, match=r"task\.name: String should match pattern") as info:
            submit(path, tmp_path / "board", atlas=demo_atlas)
        assert name not in str(info.value)
        assert "root:" not in str(info.value)
    assert not (tmp_path / "board").exists()


def test_a_result_filed_under_another_name_than_its_encoder_is_refused(demo_results, tmp_path):
    doc = _forge_consistently(json.loads((demo_results / MODEL).read_text()), 0.3)
    doc["encoder"], doc["embedding_key"] = "vit-tiny-test", "my-encoder"  # shown as one name, filed as another
    with pytest.raises(SubmissionError, match="do not make its embedding_key"):
        submit(_reseal(doc, tmp_path / "forged.json"), tmp_path / "board")
    doc["encoder"], doc["embedding_key"] = "colour-texture", "colour-texture"  # a baseline's name, not reproduced
    doc["kind"] = "baseline"
    with pytest.raises(SubmissionError, match="'colour-texture' is named after a registered encoder or baseline"):
        submit(_reseal(doc, tmp_path / "forged.json"), tmp_path / "board")
    assert not (tmp_path / "board" / "entries").exists()
