"""The verdict of a run: its rows match the validation table, and a control pairs on the very same spots."""

from __future__ import annotations

import json
import shutil

import pytest
from safetensors.numpy import load_file, save_file
from typer.testing import CliRunner

from stamp.cli import app
from stamp.errors import RunError
from stamp.run_dir import RunFiles
from stamp.train.verdict import read_validation_record, write_verdict


def _checks(run):
    return {c["name"]: c for c in json.loads((run / RunFiles.INFO).read_text())["verdict"]["checks"]}


def test_a_finished_run_says_whether_it_moved_and_beat_its_base(tiny_run):
    _, result = tiny_run
    info = json.loads((result.run / RunFiles.INFO).read_text())
    checks = _checks(result.run)
    assert list(checks) == ["moved", "beat_base", "beat_base_gap"]
    base, kept = info["validation"]["base"], info["validation"]["selected"]
    # the rows are the validation table's numbers (the record re-embeds the base and the kept step)
    assert checks["moved"]["value"] == pytest.approx(1 - kept["drift_cka"])
    assert checks["moved"]["passed"] == (checks["moved"]["value"] > 0.01)
    assert checks["beat_base"]["a"] == pytest.approx(base["val_hallmark_r"], abs=1e-6)
    assert checks["beat_base"]["b"] == pytest.approx(kept["val_hallmark_r"], abs=1e-6)
    assert checks["beat_base_gap"]["a"] == pytest.approx(base["val_gap"], abs=1e-6)
    assert checks["beat_base_gap"]["b"] == pytest.approx(kept["val_gap"], abs=1e-6)
    for name in ("beat_base", "beat_base_gap"):
        row = checks[name]
        assert row["value"] == pytest.approx(row["b"] - row["a"])
        assert row["ci_low"] < row["ci_high"]
        assert row["passed"] == (row["ci_low"] > 0)
        assert "within these patients' tissue, paired, no population claim" in row["resampled"]
    record = read_validation_record(result.run)
    assert record is not None
    assert record.y.shape == record.pred_base.shape == record.pred_kept.shape
    card = (result.run / RunFiles.CARD).read_text()
    assert "## Verdict" in card
    assert "| beat_base_gap: Did it beat its base on validation? |" in card


def _control(run, tmp_path, name, *, kept_from: str | None = None, reorder: bool = False, kind: str = "random"):
    """A copy of ``run`` posing as a control: its kept predictions replaced, its spots reordered, its kind set."""
    control = tmp_path / name
    shutil.copytree(run, control)
    info = json.loads((control / RunFiles.INFO).read_text())
    info["targets"]["kind"] = kind
    (control / RunFiles.INFO).write_text(json.dumps(info))
    path = control / RunFiles.VALIDATION
    arrays = load_file(str(path))
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        meta = handle.metadata()
    if kept_from is not None:
        arrays["pred_kept"] = arrays[kept_from]
    if reorder:
        record = json.loads(meta["record"])
        record["spot_ids"] = record["spot_ids"][::-1]
        meta = {"record": json.dumps(record)}
    save_file(arrays, str(path), metadata=meta)
    return control


def test_a_control_is_paired_on_the_same_spots_and_tiles(tiny_run, tmp_path):
    _, result = tiny_run
    run = tmp_path / "run"
    shutil.copytree(result.run, run)
    # a control that is the base encoder: beating it is beating the base, number for number (same tiles drawn)
    write_verdict(run, _control(result.run, tmp_path, "as-base", kept_from="pred_base"))
    checks = _checks(run)
    for suffix in ("", "_gap"):
        base, control = checks[f"beat_base{suffix}"], checks[f"beat_control{suffix}"]
        for key in ("a", "b", "value", "ci_low", "ci_high", "passed"):
            assert control[key] == base[key], key
    # a control equal to this run: a difference of exactly zero, and a zero-width interval (paired replicates)
    out = CliRunner().invoke(app, ["verdict", str(run), "--control", str(_control(result.run, tmp_path, "same"))])
    assert out.exit_code == 0, out.output
    assert "beat_control: no" in out.output
    same = _checks(run)["beat_control"]
    assert same["value"] == 0.0
    assert same["ci_low"] == same["ci_high"] == 0.0
    assert json.loads((run / RunFiles.INFO).read_text())["verdict"]["control"].endswith("same")
    assert "random-aligned run" in (run / RunFiles.CARD).read_text()


def test_a_control_on_other_spots_or_of_another_kind_is_refused(tiny_run, tmp_path):
    _, result = tiny_run
    run = tmp_path / "run"
    shutil.copytree(result.run, run)
    with pytest.raises(RunError, match="validation spots or pathway targets differ"):
        write_verdict(run, _control(result.run, tmp_path, "moved-spots", reorder=True))
    with pytest.raises(RunError, match=r"a control is a data\.targets=random run"):
        write_verdict(run, _control(result.run, tmp_path, "pathways", kind="pathways"))
    assert "beat_control" not in _checks(run)  # nothing half-written


def test_validation_off_gives_rows_that_say_not_measured():
    from stamp.run_info import ValidationSummary
    from stamp.train.verdict import verdict_checks

    rows = verdict_checks(ValidationSummary(enabled=False, select="last"), None, min_drift=0.01, seed=0)
    assert [r.name for r in rows] == ["moved", "beat_base"]
    assert all(r.passed is None and r.value is None for r in rows)
