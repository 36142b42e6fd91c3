"""Validation inside `stamp fit`: drift near zero when LoRA cannot learn (and the warning), best-step selection."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import pytest
import torch

from stamp.run_dir import RunFiles, load_run_encoder
from stamp.train import fit, loop
from stamp.train.drift import linear_cka, mean_cosine
from tests.stamp.conftest import tiny_config


def test_drift_metrics_see_rotation_and_scale_differently():
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(200, 16, generator=gen).double().numpy()
    rotation = torch.linalg.qr(torch.randn(16, 16, generator=gen).double())[0].numpy()
    assert mean_cosine(a, a) == pytest.approx(1.0)
    assert linear_cka(a, a) == pytest.approx(1.0)
    assert linear_cka(a, 3.0 * a @ rotation) == pytest.approx(1.0)  # CKA ignores rotation and scale...
    assert mean_cosine(a, a @ rotation) < 0.5  # ...the per-spot cosine does not
    assert linear_cka(a, torch.randn(200, 16, generator=gen).double().numpy()) < 0.3


def test_lora_learning_rate_near_zero_gives_no_drift_and_the_warning(demo_atlas, tmp_path):
    config = tiny_config(
        demo_atlas,
        tmp_path / "frozen",
        **{"optim.steps": 4, "optim.lr": 1e-12, "optim.head_lr": 1e-3, "validation.every": 4},
    )
    result = fit(config, progress=False)
    info = json.loads((result.run / RunFiles.INFO).read_text())
    kept = info["validation"]["selected"]
    assert kept["step"] == 4
    assert 1.0 - kept["drift_cka"] < 1e-6
    assert 1.0 - kept["drift_cosine"] < 1e-6
    assert any("barely moved" in text for text in info["validation"]["warnings"])
    assert "barely moved" in (result.run / RunFiles.CARD).read_text()


def test_a_learning_lora_moves_the_encoder_and_the_warning_follows_the_threshold(tiny_run):
    config, result = tiny_run
    info = json.loads((result.run / RunFiles.INFO).read_text())
    drift = 1.0 - info["validation"]["selected"]["drift_cka"]
    assert drift > 1e-3  # orders of magnitude above the frozen-LoRA run
    warned = any("barely moved" in text for text in info["validation"]["warnings"])
    assert warned == (drift < config.validation.min_drift)


PLANTED = {0: 0.10, 2: 0.20, 4: 0.90, 6: 0.30, 8: 0.40}


@pytest.mark.parametrize(("select", "kept"), [("best-val-gap", 4), ("last", 8)])
def test_selection_keeps_the_planted_best_step_or_the_last(demo_atlas, tmp_path, monkeypatch, select, kept):
    seen: dict[int, dict[str, torch.Tensor]] = {}

    class PlantedValidator:
        """Stands in for the probe: planted gaps per step, and a record of the LoRA weights it was shown."""

        penalty = "planted"
        data = SimpleNamespace(
            collection="hallmark",
            describe=lambda: {
                "collection": "hallmark",
                "val_patients": ["P"],
                "probe_patients": ["Q"],
                "n_probe_spots": 1,
            },
        )

        def evaluate(self, encoder, step):
            seen[step] = {n: p.detach().clone() for n, p in encoder.named_parameters() if "lora_" in n}
            gap = PLANTED[step]
            return {
                "val_hallmark_r": gap + 0.1,
                "val_random_r": 0.1,
                "val_gap": gap,
                "drift_cosine": 0.9,
                "drift_cka": 0.5,
            }

    monkeypatch.setattr(loop, "_validation", lambda *args, **kwargs: PlantedValidator())
    monkeypatch.setattr("stamp.train.verdict.record_validation", lambda *args, **kwargs: None)  # no probe to record
    config = tiny_config(
        demo_atlas, tmp_path / select, **{"optim.steps": 8, "validation.every": 2, "validation.select": select}
    )
    result = fit(config, progress=False)
    info = json.loads((result.run / RunFiles.INFO).read_text())
    assert info["validation"]["selected"]["step"] == kept
    assert info["validation"]["selected"]["val_gap"] == pytest.approx(PLANTED[kept])
    rows = list(csv.DictReader((result.run / RunFiles.METRICS).open()))
    assert [int(r["step"]) for r in rows if r["val_gap"]] == sorted(PLANTED)
    # the adapter the run exports (and `stamp embed --adapter` loads) is the kept step's, not another's
    exported = {n: p for n, p in load_run_encoder(result.run).named_parameters() if "lora_" in n}
    assert exported.keys() == seen[kept].keys()
    for name, value in exported.items():
        torch.testing.assert_close(value, seen[kept][name])
    other = 8 if kept == 4 else 4
    assert any(not torch.equal(exported[n], seen[other][n]) for n in exported)
