"""CLI consistency: `stamp fit` needs --out, a bad --set is blamed on the flag, --resume on nothing says so."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from benchmarks.cli import app as bench_app
from stamp.cli import app

runner = CliRunner()
DEMO_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "fit" / "demo.yaml"


def _text(result) -> str:
    return " ".join(result.output.split())


def test_fit_requires_a_run_directory(tmp_path):
    result = runner.invoke(app, ["fit", "--atlas", str(tmp_path), "--encoder", "vit-tiny-test"])
    assert result.exit_code == 1
    assert "stamp fit needs a run directory: pass --out RUN" in _text(result)
    assert not (Path.cwd() / "run").exists()


def test_a_bad_set_is_blamed_on_the_flag_not_the_config_file(tmp_path):
    args = ["fit", "--config", str(DEMO_CONFIG), "--atlas", str(tmp_path), "--out", str(tmp_path / "r")]
    result = runner.invoke(app, [*args, "--set", "lora.r=abc"])
    assert result.exit_code == 1
    text = _text(result)
    assert "'--set lora.r=abc': lora.r:" in text
    assert "demo.yaml" not in text
    file_error = tmp_path / "bad.yaml"
    file_error.write_text("lora:\n  r: abc\n")
    result = runner.invoke(app, ["fit", "--config", str(file_error), "--atlas", str(tmp_path), "--out", str(tmp_path)])
    assert f"config '{file_error}': lora.r:" in _text(result)  # the file's own mistake still names the file


def test_resume_on_an_empty_folder_says_it_starts_fresh(tmp_path):
    args = ["fit", "--atlas", str(tmp_path / "no-atlas"), "--encoder", "vit-tiny-test", "--out", str(tmp_path / "run")]
    result = runner.invoke(app, [*args, "--resume"])
    assert "--resume: no checkpoint in" in _text(result)
    assert "so this starts a fresh run" in _text(result)
    assert result.exit_code == 1  # then the missing atlas is reported


def test_fetch_cohort_is_built_and_listed_in_help():
    text = _text(runner.invoke(bench_app, ["--help"]))
    assert "fetch-cohort" in text
    assert "not built" not in _text(runner.invoke(bench_app, ["fetch-cohort", "--help"]))
