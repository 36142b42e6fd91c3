"""Training N steps equals training N/2, stopping, and resuming (same losses to 1e-5 on CPU)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from stamp.train import fit
from tests.stamp.conftest import tiny_config


def test_resume_replays_the_uninterrupted_run(demo_atlas, tmp_path):
    full = fit(tiny_config(demo_atlas, tmp_path / "full", **{"optim.steps": 8, "checkpoint_every": 4}), progress=False)
    config = tiny_config(demo_atlas, tmp_path / "split", **{"optim.steps": 8, "checkpoint_every": 4})
    first = fit(config, stop_after=4, progress=False)
    assert first.step == 4
    assert not (tmp_path / "split" / "run.json").exists()
    second = fit(config, resume=True, progress=False)
    assert second.step == 8
    np.testing.assert_allclose(first.losses + second.losses, full.losses, atol=1e-5, rtol=0)
    rows = list(csv.DictReader((tmp_path / "split" / "metrics.csv").open()))
    assert [int(r["step"]) for r in rows] == [0, 2, 4, 6, 8]
    # the resumed run validates the same encoder against the same base (recomputed with the adapter disabled)
    full_rows = list(csv.DictReader((tmp_path / "full" / "metrics.csv").open()))
    for key in ("val_gap", "drift_cosine", "drift_cka"):
        assert float(rows[-1][key]) == pytest.approx(float(full_rows[-1][key]), abs=1e-5)
