from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from benchmarks.cli import app as bench_app
from humanst.cli import app as humanst_app
from stamp.cli import app as stamp_app

runner = CliRunner()
APPS = {"humanst": humanst_app, "stamp": stamp_app, "stamp-bench": bench_app}


@pytest.mark.parametrize("name", sorted(APPS))
def test_help_works_and_lists_commands(name):
    result = runner.invoke(APPS[name], ["--help"])
    assert result.exit_code == 0, result.output
    assert "Commands" in result.output


@pytest.mark.parametrize("name", sorted(APPS))
def test_console_scripts_are_installed(name):
    script = Path(sys.executable).parent / name
    exe = str(script) if script.exists() else shutil.which(name)
    assert exe, f"console script {name} is not installed"
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0
    assert "Usage" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "--encoder", "vit-tiny-test", "--out", "r"], "atlas"),
        (
            ["fit", "--atlas", "nowhere", "--encoder", "vit-tiny-test", "--set", "optim.stepz=3", "--out", "r"],
            "optim.stepz",
        ),
        (["embed", "--atlas", "nowhere", "--encoder", "uni3"], "unknown encoder 'uni3'"),
        (["export", "not-a-run", "--out", "x"], "is not a run directory"),
    ],
)
def test_stamp_errors_are_one_clear_line_with_exit_code_1(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(stamp_app, args)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_stamp_encoders_lists_every_registered_encoder():
    from stamp.encoders import encoder_names

    result = runner.invoke(stamp_app, ["encoders"])
    assert result.exit_code == 0
    for name in encoder_names():
        assert name in result.output


def test_a_planned_command_says_so_with_exit_code_2():
    import typer

    from humanst.console import new_app, not_built

    planned = new_app("planned", "An app with a planned command.")

    @planned.command()
    def later() -> None:
        not_built("planned later", "a later issue")

    @planned.command()
    def other() -> None:  # a second command, so typer keeps `later` as a subcommand
        raise typer.Exit(0)

    result = runner.invoke(planned, ["later"])
    assert result.exit_code == 2
    assert "is not built yet" in result.output
    assert "Traceback" not in result.output


def test_validate_manifest_good_and_bad(tmp_path: Path, demo_manifest_path: Path):
    ok = runner.invoke(humanst_app, ["validate-manifest", str(demo_manifest_path)])
    assert ok.exit_code == 0
    assert "valid" in ok.output
    assert "5 patients" in ok.output
    data = yaml.safe_load(demo_manifest_path.read_text())
    data["samples"][2]["platform"] = "merscope"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = runner.invoke(humanst_app, ["validate-manifest", str(bad)])
    assert result.exit_code == 1
    assert f"sample '{data['samples'][2]['id']}' field 'platform'" in result.output
    assert "Traceback" not in result.output


def _small_demo_manifest(tmp_path: Path, demo_manifest_path: Path) -> Path:
    data = yaml.safe_load(demo_manifest_path.read_text())
    picked, seen = [], set()
    for sample in data["samples"]:
        if sample["platform"] not in seen:
            seen.add(sample["platform"])
            size = 1000 if sample["platform"] == "legacy_st" else 300  # ST spots are 200 um apart: a few dozen
            sample["synth"].update(width_um=size, height_um=size, um_per_px=2.0)
            picked.append(sample)
    data["samples"] = picked
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_demo_writes_raw_data_and_prints_a_table(tmp_path: Path, demo_manifest_path: Path):
    manifest = _small_demo_manifest(tmp_path, demo_manifest_path)
    result = runner.invoke(humanst_app, ["demo", "--out", str(tmp_path / "out"), "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "5/5 samples ready" in result.output
    for platform in ("visium", "visium_hd", "xenium", "legacy_st", "hest"):
        assert platform in result.output
    assert len(list((tmp_path / "out" / "raw").glob("*/truth/obs.parquet"))) == 5
    assert "Hallmark scores in the atlas vs the planted truth" in result.output
    assert "valid atlas" in result.output
    assert (tmp_path / "out" / "atlas" / "hf" / "dataset_info.json").is_file()


def test_synth_reports_unknown_sample_ids(tmp_path: Path, demo_manifest_path: Path):
    result = runner.invoke(humanst_app, ["synth", str(demo_manifest_path), "--out", str(tmp_path), "-s", "nope"])
    assert result.exit_code == 1
    assert "no sample 'nope'" in result.output
    assert "valid ids" in result.output


def test_atlas_commands_report_a_missing_atlas_or_manifest_plainly(tmp_path: Path):
    for args in (
        ["validate", str(tmp_path)],
        ["info", str(tmp_path)],
        ["export", str(tmp_path), "--to", str(tmp_path / "x")],
    ):
        result = runner.invoke(humanst_app, args)
        assert result.exit_code == 1, args
        assert "Traceback" not in result.output
        assert str(tmp_path) in result.output
    result = runner.invoke(humanst_app, ["build", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "atlas")])
    assert result.exit_code == 1
    assert "not found" in result.output
