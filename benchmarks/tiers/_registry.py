"""Registry of benchmark tiers: ``@register_tier`` files a frozen :class:`TierSpec` per (tier, protocol)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from benchmarks.errors import TierError
from humanst.registry import Registry

__all__ = ["TIERS", "TierSpec", "get_tier", "parse_tiers", "register_tier", "tier_names"]

PLANNED: dict[int, str] = {}  # tier number -> what it will be, for tiers announced but not built (none now)


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


F = TypeVar("F", bound=Callable[..., object])

TIERS: Registry[tuple[int, str], TierSpec] = Registry("tier (number, protocol)", error=TierError)


def register_tier(
    tier: int, protocol: str, *, name: str, description: str, targets: Callable[..., object], reference: str = ""
) -> Callable[[F], F]:
    """Register the decorated evaluation function as tier ``tier`` under ``protocol``; a duplicate raises."""

    def wrap(func: F) -> F:
        TIERS.add((tier, protocol), TierSpec(tier, protocol, name, description, reference, targets, func))
        return func

    return wrap


def get_tier(tier: int, protocol: str = "default") -> TierSpec:
    """Return a registered tier; an unbuilt tier or an unknown protocol says what exists."""
    if (tier, protocol) not in TIERS and tier in PLANNED:
        msg = f"tier {tier} ({PLANNED[tier]}) is not built yet; built tiers: {tier_names()}"
        raise TierError(msg)
    return TIERS.get((tier, protocol))


def tier_names() -> list[str]:
    """``<tier>:<protocol>`` of every registered tier."""
    return [f"{t}:{p}" for t, p in TIERS.names()]


def parse_tiers(text: str, *, flag: str = "--tiers") -> list[int]:
    """Return the tier numbers of a comma-separated list (``"1,2"``), sorted and unique.

    Raises
    ------
    TierError
        An empty list, or an item that is not a registered tier number; one line naming the flag.
    """
    built = sorted({t for t, _ in TIERS.names()})
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        msg = f"{flag} {text!r} names no tier; tiers are {', '.join(map(str, built))} (comma-separated)"
        raise TierError(msg)
    wrong = [item for item in items if not item.isdigit() or int(item) not in {*built, *PLANNED}]
    if wrong:
        msg = f"{flag} {text!r}: unknown tier {', '.join(map(repr, wrong))}; tiers are {', '.join(map(str, built))}"
        raise TierError(msg)
    return sorted({int(item) for item in items})
