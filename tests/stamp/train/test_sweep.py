"""`stamp sweep`: grid expansion, negative controls and seeds, and the table read back from finished runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stamp.cli import app
from stamp.errors import ConfigError
from stamp.run_dir import RunFiles, read_run_config
from stamp.train import load_config
from stamp.train.replicates import SeedRow, seed_row, summarise_seeds
from stamp.train.sweep import (
    Setting,
    SettingRow,
    expand_grid,
    plan_settings,
    setting_name,
    sweep_csv,
    sweep_markdown,
    sweep_row,
    warning_heads,
)

ABLATION = ["loss.contrastive=soft,none", "data.targets=genes"]


def test_grid_is_the_product_or_one_key_at_a_time():
    grid = ["lora.r=4,16", "optim.head_lr=null,0.003"]
    product = expand_grid(grid)
    assert len(product) == 4
    assert ["lora.r=4", "optim.head_lr=null"] in product
    single = expand_grid(grid, one_at_a_time=True)
    assert single == [[], ["lora.r=4"], ["lora.r=16"], ["optim.head_lr=null"], ["optim.head_lr=0.003"]]
    assert setting_name([]) == "config"
    assert setting_name(["lora.r=4", "lora.blocks=1"]) == "lora.r=4__lora.blocks=1"
    with pytest.raises(ConfigError, match="KEY=V1,V2"):
        expand_grid(["lora.r"])


def test_every_setting_gets_one_control_shared_by_settings_that_differ_only_in_targets():
    plan = plan_settings(ABLATION, one_at_a_time=True, controls=True)
    controls = [s.name for s in plan if s.is_control]
    settings = {s.name: s.control for s in plan if not s.is_control}
    assert controls == ["data.targets=random", "loss.contrastive=soft__data.targets=random",
                        "loss.contrastive=none__data.targets=random"]  # fmt: skip
    assert settings == {
        "config": "data.targets=random",
        "loss.contrastive=soft": "loss.contrastive=soft__data.targets=random",
        "loss.contrastive=none": "loss.contrastive=none__data.targets=random",
        "data.targets=genes": "data.targets=random",  # shares the config's control
    }
    assert [s.name for s in plan_settings(ABLATION, one_at_a_time=True)] == list(settings)  # no controls asked
    heads = warning_heads(["the encoder barely moved: 1 - CKA 0.0001", "no step beat the base (0.15 at step 0; x): y"])
    assert heads == ["the encoder barely moved", "no step beat the base"]
    # a grid value that already is a control is fitted once, as the control of its pathway twin
    product = plan_settings(["data.targets=pathways,random", "lora.r=4"], controls=True)
    assert [(s.name, s.is_control, s.control) for s in product] == [
        ("data.targets=random__lora.r=4", True, None),
        ("data.targets=pathways__lora.r=4", False, "data.targets=random__lora.r=4"),
    ]


def test_a_control_differs_from_its_setting_only_in_the_targets():
    plan = {s.name: s for s in plan_settings(ABLATION, one_at_a_time=True, controls=True)}
    for setting in (s for s in plan.values() if not s.is_control):
        mine = load_config(None, {"atlas": "a", "out": "x"}, list(setting.overrides)).model_dump()
        theirs = load_config(None, {"atlas": "a", "out": "x"}, list(plan[setting.control].overrides)).model_dump()
        assert theirs["data"].pop("targets") == "random"
        assert mine["data"].pop("targets") != "random"
        assert mine == theirs, setting.name


def test_the_table_gives_mean_sd_and_n_over_seeds_and_the_gain_over_the_control():
    values = [{"val_r": 0.30, "beat_control.value": 0.02}, {"val_r": 0.34, "beat_control.value": 0.04}]
    rows = [SeedRow(s, Path(f"seed-{s}"), v) for s, v in zip((0, 1), values, strict=True)]
    setting = SettingRow(Setting("soft", ("loss.contrastive=soft",), control="ctrl"), [r.run for r in rows],
                         summarise_seeds(rows))  # fmt: skip
    control = SettingRow(Setting("ctrl", (), is_control=True), [Path("c")], summarise_seeds(rows[:1]))
    table = sweep_markdown([setting, control])
    lines = table.splitlines()
    assert lines[0].startswith("| setting | role | control | seeds | kept_step | val_r")
    assert "| soft | setting | ctrl | 2 |" in table
    assert "0.3200 ± 0.0283" in table  # mean ± sd (n - 1) over the two seeds
    assert "0.0300 ± 0.0141" in table  # vs_control_r: the verdicts' beat_control, paired by seed
    assert "| ctrl | control |  | 1 |" in table
    assert "best" not in table
    csv = sweep_csv([setting, control]).splitlines()
    head = csv[0].split(",")
    assert head[:4] == ["setting", "role", "control", "seeds"]
    soft = dict(zip(head, csv[1].split(","), strict=True))
    assert (soft["val_r_mean"], soft["val_r_sd"], soft["vs_control_r_mean"]) == ("0.3200", "0.0283", "0.0300")


def test_a_finished_run_gives_its_row(tiny_run):
    _, result = tiny_run
    row = sweep_row("tiny", result.run)
    assert row.values["kept_step"] == 24
    assert row.values["gap_gain"] == pytest.approx(row.values["val_gap"] - row.values["base_gap"])
    assert 0 < row.values["drift"] < 1
    one = SettingRow(Setting("tiny", ()), [result.run], summarise_seeds([seed_row(7, result.run)]))
    table = sweep_markdown([one])
    assert "| tiny | setting |  | 1 | 24 |" in table
    assert f"{row.values['val_gap']:.4f} |" in table  # one seed: the value, no spread


@pytest.mark.slow  # six short fits (~1.5 min on 2 cores): `make test-all`
def test_sweep_with_seeds_and_controls_then_the_heldout_table(demo_atlas, tmp_path):
    from benchmarks.sweep_heldout import main as heldout_main

    out = tmp_path / "ablation"
    args = [
        "sweep", "--atlas", str(demo_atlas), "--encoder", "vit-tiny-test", "--out", str(out), "--one-at-a-time",
        "--grid", "data.targets=genes", "--seeds", "2", "--controls", "--set", "seed=3", "--set", "optim.steps=2",
        "--set", "optim.batch_size=4", "--set", "data.num_workers=0", "--set", "optim.warmup_steps=1",
        "--set", "log_every=1", "--set", "validation.every=2", "--set", "validation.train_spots=40",
        "--set", "validation.val_spots=40",
    ]  # fmt: skip
    runner = CliRunner()
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    expected = {"config", "data.targets=genes", "data.targets=random"}  # one shared control
    assert {p.name for p in out.iterdir() if p.is_dir()} == expected
    for name in expected:
        assert sorted(p.name for p in (out / name).glob("seed-*")) == ["seed-3", "seed-4"]
    for setting in ("config", "data.targets=genes"):
        for seed in (3, 4):
            run, control = out / setting / f"seed-{seed}", out / "data.targets=random" / f"seed-{seed}"
            mine, theirs = read_run_config(run).model_dump(), read_run_config(control).model_dump()
            assert theirs["data"].pop("targets") == "random"
            assert mine["data"].pop("targets") in {"pathways", "genes"}
            mine.pop("out"), theirs.pop("out")
            assert mine == theirs
            verdict = json.loads((run / RunFiles.INFO).read_text())["verdict"]
            assert verdict["control"] == str(control)
    table = (out / "sweep.md").read_text()
    assert "| config | setting | data.targets=random | 2 |" in table
    assert " ± " in table
    summary = json.loads((out / "sweep.json").read_text())["settings"]
    assert [s["role"] for s in summary] == ["setting", "setting", "control"]
    weights = out / "config" / "seed-3" / RunFiles.ADAPTER / RunFiles.ADAPTER_WEIGHTS
    stamp = weights.stat().st_mtime_ns
    again = runner.invoke(app, args)  # a rerun finds every run finished and trains nothing
    assert again.exit_code == 0, again.output
    assert weights.stat().st_mtime_ns == stamp
    assert json.loads((out / "sweep.json").read_text())["settings"] == summary

    heldout_main(["--atlas", str(demo_atlas), "--encoder", "vit-tiny-test", "--sweep", str(out),
                  "--pathway", "HALLMARK_OXIDATIVE_PHOSPHORYLATION"])  # fmt: skip
    report = json.loads((out / "heldout.json").read_text())
    rows = {r["setting"]: r for r in report["settings"]}
    assert rows["config"]["seeds"] == [3, 4]
    assert rows["config"]["over_seeds"]["HALLMARK_OXIDATIVE_PHOSPHORYLATION"]["n"] == 2
    assert rows["config"]["minus_control"]["HALLMARK_OXIDATIVE_PHOSPHORYLATION"]["seeds"]["n"] == 2
    assert rows["data.targets=random"]["minus_control"] is None
    assert "VALIDATION table (sweep.md)" in (out / "heldout.md").read_text()
