"""The contrastive terms: the soft-target loss against InfoNCE, and the registry that picks one by name."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from stamp.errors import ConfigError
from stamp.losses import CONTRASTIVE, ContrastiveBatch, contrastive_loss, info_nce, soft_info_nce, soft_targets


def _batch(n: int = 6, dim: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, dim, generator=gen), torch.randn(n, dim, generator=gen), torch.tensor(math.log(1 / 0.07))


def test_soft_targets_equal_infonce_when_the_profiles_are_orthogonal():
    image, pathway, scale = _batch()
    profiles = torch.eye(6, 10) * torch.tensor([2.0, 0.5, 1.0, 3.0, 1.0, 0.1])[:, None]  # orthogonal, any length
    mask = torch.ones_like(profiles, dtype=torch.bool)
    # the targets are exactly one-hot once exp(-1 / T) underflows, and InfoNCE's loss follows
    torch.testing.assert_close(soft_targets(profiles, mask, 0.01), torch.eye(6))
    soft = soft_info_nce(image, pathway, scale, profiles, mask, 0.01)
    torch.testing.assert_close(soft, info_nce(image, pathway, scale), rtol=0, atol=1e-6)
    # at the default temperature each other row gets exp(-1 / T) of the mass of the spot itself, as documented
    q = soft_targets(profiles, mask, 0.1)
    expected_self = 1 / (1 + 5 * math.exp(-10))
    torch.testing.assert_close(q.diagonal(), torch.full((6,), expected_self))
    assert (
        abs(float(soft_info_nce(image, pathway, scale, profiles, mask, 0.1) - info_nce(image, pathway, scale))) < 0.01
    )


def test_identical_profiles_share_the_target_and_the_soft_loss_stops_pushing_them_apart():
    profiles = torch.eye(4, 6)
    profiles[1] = profiles[0]  # spots 0 and 1 have the same pathway profile
    mask = torch.ones_like(profiles, dtype=torch.bool)
    q = soft_targets(profiles, mask, 0.01)
    torch.testing.assert_close(q[0, :2], torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(q[1, :2], torch.tensor([0.5, 0.5]))
    torch.testing.assert_close(q[2], F.one_hot(torch.tensor(2), 4).float())
    # embeddings where the twins coincide, and where spot 1 sits apart from spot 0 (every other pair far apart)
    scale = torch.tensor(math.log(100.0))
    together = torch.eye(4, 6)
    together[1] = together[0]
    apart = torch.eye(4, 6)
    apart[1] = torch.eye(6)[5]

    def losses(z):
        return float(soft_info_nce(z, z, scale, profiles, mask, 0.01)), float(info_nce(z, z, scale))

    soft_together, hard_together = losses(together)
    soft_apart, hard_apart = losses(apart)
    # InfoNCE calls the twin a negative: it rewards pulling spots with the same profile apart (log 2 per twin row
    # when together); the soft loss rewards keeping them together, where it reaches its floor, the targets' entropy
    assert hard_together == pytest.approx(2 * math.log(2) / 4, abs=1e-4)
    assert hard_apart == pytest.approx(0.0, abs=1e-4)
    assert soft_apart > soft_together + 10
    entropy = float(-(q * q.clamp_min(1e-30).log()).sum(-1).mean())
    assert soft_together == pytest.approx(entropy, abs=1e-4)
    # and it is the cross-entropy against those targets, computed by hand
    logits = scale.exp() * F.normalize(apart, dim=-1) @ F.normalize(apart, dim=-1).T
    by_hand = float(-(q * logits.log_softmax(-1)).sum(-1).mean())
    assert soft_apart == pytest.approx(by_hand, abs=1e-5)


def test_masked_profile_entries_do_not_count_and_an_empty_profile_keeps_itself():
    profiles = torch.tensor([[1.0, 5.0], [1.0, -5.0], [0.0, 0.0]])
    mask = torch.tensor([[True, False], [True, False], [False, False]])
    q = soft_targets(profiles, mask, 0.01)
    torch.testing.assert_close(q[0, :2], torch.tensor([0.5, 0.5]))  # equal once the masked entry is gone
    assert float(q[2, 2]) > 0.99


def test_the_loss_is_picked_by_name_and_none_is_a_zero_that_keeps_the_heads_in_the_graph():
    assert CONTRASTIVE.names() == ["infonce", "none", "soft"]
    image, pathway, scale = _batch()
    image.requires_grad_(True)
    batch = ContrastiveBatch(image, pathway, scale, torch.randn(6, 4), torch.ones(6, 4, dtype=torch.bool))
    torch.testing.assert_close(contrastive_loss("infonce")(batch, 0.1), info_nce(image, pathway, scale))
    zero = contrastive_loss("none")(batch, 0.1)
    assert float(zero.detach()) == 0.0
    zero.backward()
    assert image.grad is not None
    assert float(image.grad.abs().max()) == 0.0
    with pytest.raises(ConfigError, match="known: infonce, none, soft"):
        contrastive_loss("soft-target")
