from __future__ import annotations

from pathlib import Path

import pytest

from stamp.errors import ConfigError
from stamp.train import TrainConfig, load_config

CONFIGS = sorted((Path(__file__).resolve().parents[3] / "configs" / "fit").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_loads(path):
    config = load_config(path, {"atlas": "A"})
    assert isinstance(config, TrainConfig)
    assert config.lora.r >= 1


def test_overrides_and_sets_win_over_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("encoder: uni\noptim:\n  lr: 0.1\n")
    config = load_config(path, {"atlas": "A", "optim.steps": 5}, ["optim.lr=3e-4", "lora.blocks=2"])
    assert (config.encoder, config.optim.steps, config.optim.lr, config.lora.blocks) == ("uni", 5, 3e-4, 2)
    assert "lr: 0.0003" in config.to_yaml()


def test_unknown_keys_and_bad_values_name_their_location(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("optim:\n  lrr: 0.1\n")
    with pytest.raises(ConfigError, match=r"optim\.lrr"):
        load_config(path, {"atlas": "A"})
    with pytest.raises(ConfigError, match=r"lora\.r"):
        load_config(None, {"atlas": "A"}, ["lora.r=0"])
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(None, {"atlas": "A"}, ["lora.r"])


@pytest.mark.parametrize("patients", [["synth-breast:P2", " "], ["synth-breast:P2", "synth-breast:P2"]])
def test_a_bad_val_patients_value_names_the_flag_the_user_typed(tmp_path, patients):
    from typer.testing import CliRunner

    from stamp.cli import app

    args = ["fit", "--atlas", str(tmp_path / "atlas"), "--out", str(tmp_path / "run")]
    args += [a for p in patients for a in ("--val-patients", p)]
    result = CliRunner().invoke(app, args, terminal_width=400)
    assert result.exit_code == 1, result.output
    assert 'error: "--val-patients [' in result.output
    assert "validation.patients" in result.output
    assert "--patients" not in result.output.replace("--val-patients", "")
    assert "Traceback" not in result.output


def test_an_override_without_a_named_flag_is_reported_under_its_leaf_key():
    with pytest.raises(ConfigError, match="'--steps 0'"):
        load_config(None, {"atlas": "A", "optim.steps": 0})
