"""`stamp sweep`: grid expansion and the table row read back from a finished run."""

from __future__ import annotations

import pytest

from stamp.errors import ConfigError
from stamp.train.sweep import expand_grid, setting_name, sweep_markdown, sweep_row


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


def test_a_finished_run_gives_its_row(tiny_run):
    _, result = tiny_run
    row = sweep_row("tiny", result.run)
    assert row.values["kept_step"] == 24
    assert row.values["gap_gain"] == pytest.approx(row.values["val_gap"] - row.values["base_gap"])
    assert 0 < row.values["drift"] < 1
    table = sweep_markdown([row])
    assert table.splitlines()[0].startswith("| setting | kept_step")
    assert "| tiny | 24 |" in table
