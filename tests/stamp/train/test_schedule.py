"""The learning-rate schedule: linear warm-up, cosine decay to a floor, LoRA held at 0 during a heads-only start."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace

import pytest

from stamp.train.loop import group_lr, lr_at


def test_warmup_is_linear_then_cosine_reaches_the_floor():
    peak, total, warmup, floor = 1e-3, 100, 10, 0.1
    assert [lr_at(s, peak, total, warmup, floor) for s in range(3)] == pytest.approx([1e-4, 2e-4, 3e-4])
    assert lr_at(warmup - 1, peak, total, warmup, floor) == pytest.approx(peak)
    assert lr_at(warmup, peak, total, warmup, floor) == pytest.approx(peak)  # cosine starts at its top
    middle = warmup + (total - warmup) // 2
    assert lr_at(middle, peak, total, warmup, floor) == pytest.approx(peak * (floor + (1 - floor) * 0.5))
    assert lr_at(total, peak, total, warmup, floor) == pytest.approx(peak * floor)
    assert lr_at(total + 50, peak, total, warmup, floor) == pytest.approx(peak * floor), "stays at the floor"
    rates = [lr_at(s, peak, total, warmup, floor) for s in range(warmup, total + 1)]
    assert all(a >= b for a, b in itertools.pairwise(rates)), "monotone decay after warm-up"


def test_no_warmup_starts_at_the_peak():
    assert lr_at(0, 2.0, 10, 0, 0.0) == pytest.approx(2.0)
    assert lr_at(5, 2.0, 10, 0, 0.0) == pytest.approx(2.0 * 0.5 * (1 + math.cos(math.pi * 0.5)))


def test_lora_waits_for_the_heads_only_steps_then_warms_up():
    optim = SimpleNamespace(heads_only_steps=20, steps=120, warmup_steps=10, min_lr_ratio=0.0)
    lora, heads = {"name": "lora", "peak_lr": 1e-3}, {"name": "heads", "peak_lr": 1e-2}
    assert [group_lr(lora, s, optim) for s in (0, 19)] == [0.0, 0.0]
    assert group_lr(lora, 20, optim) == pytest.approx(1e-4)  # first warm-up step of LoRA
    assert group_lr(heads, 0, optim) == pytest.approx(1e-3)  # the heads warm up from step 0
    assert group_lr(lora, 120, optim) == pytest.approx(0.0)
