"""The balanced, step-indexed batch sampler: equal weight per group, resumable, ranks take disjoint slices."""

from __future__ import annotations

import numpy as np
import pytest

from stamp.data import BalancedBatchSampler


def test_groups_get_equal_weight_whatever_their_size():
    groups = np.array(["big"] * 900 + ["small"] * 100)
    sampler = BalancedBatchSampler(groups, groups.size, batch_size=64, num_steps=200, seed=3)
    rows = np.array([row for batch in sampler for row, _ in batch])
    share_small = np.mean(groups[rows] == "small")
    assert 0.45 < share_small < 0.55  # uniform over rows would give 0.10


def test_a_batch_depends_only_on_seed_and_step():
    full = BalancedBatchSampler(None, 50, batch_size=8, num_steps=10, seed=1)
    resumed = BalancedBatchSampler(None, 50, batch_size=8, num_steps=10, seed=1, start_step=6)
    assert list(resumed) == list(full)[6:]
    assert len(resumed) == 4
    other_seed = BalancedBatchSampler(None, 50, batch_size=8, num_steps=10, seed=2)
    assert list(other_seed) != list(full)


def test_ranks_split_the_global_batch():
    single = BalancedBatchSampler(None, 100, batch_size=8, num_steps=3, seed=5, world_size=1)
    ranks = [BalancedBatchSampler(None, 100, batch_size=4, num_steps=3, seed=5, rank=r, world_size=2) for r in (0, 1)]
    for step in range(3):
        assert ranks[0].batch(step) + ranks[1].batch(step) == single.batch(step)


def test_an_empty_split_is_refused():
    with pytest.raises(ValueError, match="no rows"):
        BalancedBatchSampler(None, 0, batch_size=4, num_steps=1)
