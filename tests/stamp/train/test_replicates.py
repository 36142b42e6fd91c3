"""Replicate seeds: every seed in its folder and in the summary (mean and spread), none chosen; controls by seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stamp.cli import app
from stamp.errors import RunError
from stamp.run_dir import RunFiles
from stamp.train import load_config
from stamp.train.replicates import (
    SeedRow,
    control_for,
    replicate_seeds,
    seed_dir,
    seeds_markdown,
    summarise_seeds,
)
from tests.conftest import run_info_json


def test_the_summary_keeps_every_seed_with_mean_and_sd_and_picks_none():
    gaps = [0.10, 0.14, 0.09]
    rows = [
        SeedRow(s, Path(f"seed-{s}"), {"val_gap": g, "beat_base.value": g - 0.1, "beat_base.passed": s != 5})
        for s, g in zip((4, 5, 6), gaps, strict=True)
    ]
    summary = summarise_seeds(rows)
    assert [s["seed"] for s in summary["seeds"]] == [4, 5, 6]
    spread = summary["over_seeds"]["val_gap"]
    assert spread["mean"] == pytest.approx(np.mean(gaps))
    assert spread["sd"] == pytest.approx(np.std(gaps, ddof=1))
    assert (spread["min"], spread["max"], spread["n"]) == (0.09, 0.14, 3)
    assert summary["over_seeds"]["beat_base.passed"] == {"passed": 2, "of": 3}
    text = seeds_markdown(summary)
    assert text.count("\n| ") == 3 + 2  # one row per seed, then mean and sd
    assert "| sd |" in text
    assert "2/3" in text
    assert "best" not in json.dumps(summary) + text
    with pytest.raises(Exception, match="at least 1"):
        replicate_seeds(0, 0)


def test_the_replicate_group_ignores_the_seed_and_where_the_run_goes_but_not_the_targets():
    base = load_config(None, {"atlas": "a", "out": "x", "seed": 1})
    same = load_config(None, {"atlas": "a", "out": "y", "seed": 2, "device": "cpu", "data.num_workers": 0})
    control = load_config(None, {"atlas": "a", "out": "x", "seed": 1, "data.targets": "random"})
    assert base.replicate_group() == same.replicate_group()
    assert base.replicate_group() != control.replicate_group()


def test_a_control_is_found_by_seed(tmp_path):
    for seed in (0, 1):
        folder = seed_dir(tmp_path / "ctrl", seed)
        folder.mkdir(parents=True)
        (folder / RunFiles.INFO).write_text(json.dumps(run_info_json(seed=seed)))
    assert control_for(tmp_path / "ctrl", 1) == tmp_path / "ctrl" / "seed-1"
    single = tmp_path / "one"
    single.mkdir()
    (single / RunFiles.INFO).write_text(json.dumps(run_info_json(seed=5)))
    assert control_for(single, 5) == single
    with pytest.raises(RunError, match="no finished control run of seed 2"):
        control_for(tmp_path / "ctrl", 2)
    with pytest.raises(RunError, match="no finished control run of seed 4"):
        control_for(single, 4)


@pytest.mark.slow  # four short fits (~1 min on 2 cores): `make test-all`
def test_fit_seeds_with_a_seeded_control_through_the_cli(demo_atlas, tmp_path):
    common = [
        "--atlas", str(demo_atlas), "--encoder", "vit-tiny-test", "--steps", "2", "--batch-size", "4", "--seed", "3",
        "--seeds", "2", "--set", "data.num_workers=0", "--set", "optim.warmup_steps=1", "--set", "log_every=1",
        "--set", "validation.every=2", "--set", "validation.train_spots=40", "--set", "validation.val_spots=40",
    ]  # fmt: skip
    runner = CliRunner()
    control = tmp_path / "control"
    done = runner.invoke(app, ["fit", *common, "--out", str(control), "--set", "data.targets=random"])
    assert done.exit_code == 0, done.output
    aligned = tmp_path / "aligned"
    done = runner.invoke(app, ["fit", *common, "--out", str(aligned), "--control", str(control)])
    assert done.exit_code == 0, done.output
    summary = json.loads((aligned / "seeds.json").read_text())
    assert [s["seed"] for s in summary["seeds"]] == [3, 4]
    for seed in (3, 4):
        info = json.loads((aligned / f"seed-{seed}" / RunFiles.INFO).read_text())
        assert info["seed"] == seed
        assert info["verdict"]["control"] == str(control / f"seed-{seed}")
        names = [c["name"] for c in info["verdict"]["checks"]]
        assert names == ["moved", "beat_base", "beat_base_gap", "beat_control", "beat_control_gap"]
        assert json.loads((control / f"seed-{seed}" / RunFiles.INFO).read_text())["targets"]["kind"] == "random"
    values = [s["beat_control.value"] for s in summary["seeds"]]
    assert summary["over_seeds"]["beat_control.value"]["mean"] == pytest.approx(np.mean(values))
    assert "| mean |" in (aligned / "seeds.md").read_text()
    # a rerun finds every seed finished and trains nothing
    again = runner.invoke(app, ["fit", *common, "--out", str(aligned), "--control", str(control)])
    assert again.exit_code == 0, again.output
    assert json.loads((aligned / "seeds.json").read_text()) == summary
