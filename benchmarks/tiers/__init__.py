"""Benchmark tiers, one module per protocol, filed in a registry.

Tier 1: ``spot`` and ``spot_hest``; tier 2: ``slide``; tier 3: ``patient``.
"""

from __future__ import annotations

from benchmarks.tiers import patient, slide, spot, spot_hest  # noqa: F401  (register the tiers)
from benchmarks.tiers._registry import TIERS, TierSpec, get_tier, register_tier, tier_names

__all__ = ["TIERS", "TierSpec", "get_tier", "register_tier", "tier_names"]
