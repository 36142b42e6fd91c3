"""Benchmark tiers filed in one registry; each tier family registers its protocols from its own subpackage.

Tier 1 (:mod:`benchmarks.spot`): ``spot`` and ``spot_hest``; tiers 2 and 3 (:mod:`benchmarks.slide`): ``slide`` and
``patient``.
"""

from __future__ import annotations

from benchmarks.slide import tiers as _slide_tiers  # noqa: F401  (register tiers 2 and 3)
from benchmarks.spot import hest_protocol as _hest_protocol  # noqa: F401  (register tier 1, hest protocol)
from benchmarks.spot import protocol as _spot_protocol  # noqa: F401  (register tier 1, default protocol)
from benchmarks.tiers._registry import TIERS, TierSpec, get_tier, parse_tiers, register_tier, tier_names

__all__ = ["TIERS", "TierSpec", "get_tier", "parse_tiers", "register_tier", "tier_names"]
