from __future__ import annotations

import pytest
from typer.testing import CliRunner

from benchmarks.cli import app

runner = CliRunner()


@pytest.mark.parametrize(
    "command", ["run", "compare", "submit", "leaderboard", "tasks", "report", "fetch-cohort", "cohorts"]
)
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_run_on_an_existing_cache_then_leaderboard_and_compare(demo_atlas, informative_cache, demo_results, tmp_path):
    out = tmp_path / "R"
    done = runner.invoke(
        app, ["run", "--atlas", str(demo_atlas), "--embeddings", str(informative_cache), "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert (out / "good-encoder__demo-spot__default.json").exists()
    done = runner.invoke(app, ["compare", str(demo_results), str(out), "--n-boot", "200"])
    assert done.exit_code == 0, done.output
    assert "B - A" in done.output
    done = runner.invoke(app, ["leaderboard", str(out), "--html", str(tmp_path / "lb.html")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "lb.html").exists()
    assert (out / "leaderboard.csv").exists()


def test_errors_are_one_clear_line(demo_atlas, tmp_path):
    done = runner.invoke(app, ["run", "--atlas", str(demo_atlas), "--task", "nope", "--out", str(tmp_path)])
    assert done.exit_code == 1
    assert "shipped tasks: " in done.output
    assert "demo-spot" in done.output
    done = runner.invoke(app, ["run", "--atlas", str(demo_atlas), "--tiers", "2", "--out", str(tmp_path)])
    assert done.exit_code == 1
    assert "pass --cohort DIR" in " ".join(done.output.split())
    done = runner.invoke(app, ["run", "--atlas", str(demo_atlas), "--tiers", "4", "--out", str(tmp_path)])
    assert done.exit_code == 1
    assert "unknown tier" in done.output


def test_tasks_lists_the_demo_task():
    done = runner.invoke(app, ["tasks"])
    assert done.exit_code == 0
    assert "demo-spot" in done.output
    assert "1:hest" in done.output


@pytest.mark.parametrize(
    ("tiers", "says"), [("2,x", "unknown tier 'x'"), ("", "names no tier"), (" , ", "names no tier")]
)
def test_a_tier_list_that_names_no_tier_is_one_line(tiers, says, tmp_path):
    done = runner.invoke(app, ["run", "--tiers", tiers, "--out", str(tmp_path / "R")])
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    text = " ".join(done.output.split())
    assert f"--tiers {tiers!r}" in text
    assert says in text
    assert "tiers are 1, 2, 3" in text
    assert not (tmp_path / "R").exists()  # nothing ran
