"""Registry of benchmark tiers: ``@register_tier`` files a frozen :class:`TierSpec` per (tier, protocol)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.errors import TierError

__all__ = ["TierSpec", "get_tier", "register_tier", "tier_names"]

PLANNED = {2: "slide (ABMIL on slide-level status)", 3: "patient (survival, treatment response)"}


@dataclass(frozen=True)
class TierSpec:
    """A tier protocol: its number, protocol name, what it computes, its targets and its evaluation.

    ``targets(data, task)`` builds the target blocks once per task (shared by every encoder);
    ``evaluate(x, blocks, folds, data, task, trace=None, progress=None)`` scores one encoder's embeddings.
    """

    tier: int
    protocol: str
    name: str
    description: str
    reference: str
    targets: Callable[..., Any]
    evaluate: Callable[..., Any]


_REGISTRY: dict[tuple[int, str], TierSpec] = {}


def register_tier(
    tier: int, protocol: str, *, name: str, description: str, targets: Callable[..., Any], reference: str = ""
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated evaluation function as tier ``tier`` under ``protocol``; a duplicate raises."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        key = (tier, protocol)
        if key in _REGISTRY:
            msg = f"tier {tier} protocol {protocol!r} is already registered ({_REGISTRY[key].evaluate.__qualname__})"
            raise TierError(msg)
        _REGISTRY[key] = TierSpec(tier, protocol, name, description, reference, targets, func)
        return func

    return wrap


def get_tier(tier: int, protocol: str = "default") -> TierSpec:
    """Return a registered tier; an unbuilt tier or an unknown protocol says what exists."""
    try:
        return _REGISTRY[(tier, protocol)]
    except KeyError:
        if tier in PLANNED:
            msg = f"tier {tier} ({PLANNED[tier]}) is not built yet; built tiers: {tier_names()}"
        else:
            msg = f"no tier {tier} with protocol {protocol!r}; registered: {tier_names()}"
        raise TierError(msg) from None


def tier_names() -> list[str]:
    """``<tier>:<protocol>`` of every registered tier."""
    return [f"{t}:{p}" for t, p in sorted(_REGISTRY)]
