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
