"""``run.json`` is a typed, versioned file: today's files read, a newer one is refused in one line (CLI too)."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from typer.testing import CliRunner

from stamp.cli import app
from stamp.errors import RunError
from stamp.run_dir import RunFiles, read_run_info
from stamp.run_info import RUN_FORMAT_VERSION, RunInfo

# run.json as `stamp fit` on main wrote it before the typed model (keys and values of a real run, shortened)
TODAYS_RUN_JSON = {
    "format_version": 1, "finished": "2026-12-06T10:00:00+00:00", "encoder": "vit-tiny-test", "weights_id": "random",
    "n_train_rows": 96, "n_train_samples": 6, "train_patients": ["synth-breast:P1", "synth-lung:P3"],
    "train_samples": ["S1", "S2"], "data_licenses": {"CC-BY-4.0": ["S1", "S2"]}, "n_pathways": 50,
    "targets": {"kind": "pathways", "collections": ["hallmark"], "n_targets": 50}, "contrastive": "soft", "seed": 0,
    "replicate_group": "0123456789ab", "n_lora_modules": 24, "trainable_params": 12345, "world_size": 1,
    "final_loss": float("nan"), "wall_s": 12.5, "stamp_version": "0.1.0.dev0", "freeze_norm": True,
    "validation": {
        "enabled": True, "select": "best-val-gap", "collection": "hallmark", "val_patients": ["synth-breast:P2"],
        "probe_patients": ["synth-breast:P1"], "n_val_spots": 40, "n_probe_spots": 60, "n_pathways": 50,
        "n_random_sets": 50, "left_out_samples": {}, "penalty": "inner CV",
        "base": {"step": 0, "val_hallmark_r": 0.1, "val_random_r": 0.05, "val_gap": 0.05},
        "selected": {"step": 4, "val_hallmark_r": 0.2, "val_gap": 0.1, "drift_cka": 0.98},
        "history": [{"step": 0, "val_gap": 0.05}, {"step": 4, "val_gap": 0.1}], "warnings": [],
    },
    "verdict": {"checks": [{"name": "moved", "question": "Did the encoder move?", "metric": "1 - CKA", "a_label": "",
                            "a": None, "b_label": "", "b": None, "value": 0.02, "ci_low": None, "ci_high": None,
                            "rule": "above 0.01", "passed": True, "resampled": ""}], "control": None},
    "adapter_hash": "abcdef012345",
}  # fmt: skip


def test_a_run_json_written_by_todays_main_reads_with_the_same_keys(tmp_path):
    (tmp_path / RunFiles.INFO).write_text(json.dumps(TODAYS_RUN_JSON))
    info = read_run_info(tmp_path)
    assert isinstance(info, RunInfo)
    assert (info.seed, info.targets_kind, info.replicate_group) == (0, "pathways", "0123456789ab")
    assert info.validation.selected["step"] == 4
    assert info.verdict.checks[0].passed is True
    assert math.isnan(info.final_loss or 0.0) or info.final_loss is None
    written = tmp_path / "again"
    written.mkdir()
    from stamp.run_dir import write_run_info

    write_run_info(written, info)
    again = json.loads((written / RunFiles.INFO).read_text())
    assert list(again) == list(TODAYS_RUN_JSON)  # the same keys, in the same order
    assert again["validation"]["selected"]["step"] == 4  # an int stays an int


def test_a_run_json_from_before_the_newer_keys_still_reads(tmp_path):
    old = {k: v for k, v in TODAYS_RUN_JSON.items() if k not in ("train_samples", "data_licenses", "targets",
                                                                "contrastive", "seed", "replicate_group",
                                                                "freeze_norm", "verdict")}  # fmt: skip
    (tmp_path / RunFiles.INFO).write_text(json.dumps(old))
    info = read_run_info(tmp_path)
    assert (info.seed, info.targets_kind, info.verdict.checks) == (None, "", [])


def test_a_newer_run_json_is_refused_in_one_line_saying_to_upgrade(tiny_run, tmp_path):
    _, result = tiny_run
    run = tmp_path / "future"
    shutil.copytree(result.run, run)
    info = json.loads((run / RunFiles.INFO).read_text())
    (run / RunFiles.INFO).write_text(json.dumps({**info, "format_version": 9}))
    expected = (
        f"{run / RunFiles.INFO} has format_version 9, newer than this stamp reads ({RUN_FORMAT_VERSION}): "
        "upgrade stamp (pip install -U humanst)"
    )
    with pytest.raises(RunError) as err:
        read_run_info(run)
    assert str(err.value) == expected
    cli = CliRunner().invoke(app, ["verdict", str(run)], terminal_width=400)
    assert cli.exit_code == 1
    lines = [line for line in cli.output.splitlines() if line.strip()]
    assert len(lines) == 1, cli.output
    assert "format_version 9, newer than this stamp reads" in lines[0]
    assert "Traceback" not in cli.output
