"""Fixtures of the stamp tests: a short vit-tiny-test fit on the demo atlas, run once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from stamp.train import fit, load_config


def tiny_config(atlas: Path, out: Path, **overrides: object):
    """A few-second vit-tiny-test configuration on the demo atlas."""
    base = {
        "atlas": atlas,
        "encoder": "vit-tiny-test",
        "out": out,
        "optim.steps": 24,
        "optim.batch_size": 16,
        "optim.warmup_steps": 2,
        "optim.lr": 1e-3,
        "data.num_workers": 0,
        "log_every": 2,
        "checkpoint_every": 8,
        "seed": 7,
        "validation.train_spots": 200,
        "validation.val_spots": 100,
    }
    base.update(overrides)
    return load_config(None, base)


@pytest.fixture(scope="session")
def tiny_run(demo_atlas: Path, tmp_path_factory: pytest.TempPathFactory):
    """A finished short fit: (config, FitResult)."""
    config = tiny_config(demo_atlas, tmp_path_factory.mktemp("runs") / "tiny")
    return config, fit(config, progress=False)
