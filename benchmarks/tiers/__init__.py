"""Benchmark tiers, one module per protocol, filed in a registry (tier 1: ``spot`` and ``spot_hest``)."""

from __future__ import annotations

from benchmarks.tiers import spot, spot_hest  # noqa: F401  (register the tiers)
from benchmarks.tiers._registry import TIERS, TierSpec, get_tier, register_tier, tier_names

__all__ = ["TIERS", "TierSpec", "get_tier", "register_tier", "tier_names"]
