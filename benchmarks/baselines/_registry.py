"""Registry of image-statistics baselines: ``@register_baseline(name)`` on a cache-writing function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import BenchmarkError

__all__ = ["BaselineSpec", "baseline_names", "get_baseline", "register_baseline"]

# (atlas, out folder of the cache key, samples) -> cache folder
BaselineFunc = Callable[[Path, Path, Sequence[str]], Path]


@dataclass(frozen=True)
class BaselineSpec:
    """A registered baseline: its name (also its cache key), what it computes, and the writer."""

    name: str
    description: str
    func: BaselineFunc


_REGISTRY: dict[str, BaselineSpec] = {}


def register_baseline(name: str, description: str) -> Callable[[BaselineFunc], BaselineFunc]:
    """Register a baseline writer under ``name``; a duplicate name raises."""

    def wrap(func: BaselineFunc) -> BaselineFunc:
        if name in _REGISTRY:
            msg = f"baseline {name!r} is already registered; pick another name"
            raise BenchmarkError(msg)
        _REGISTRY[name] = BaselineSpec(name, description, func)
        return func

    return wrap


def get_baseline(name: str) -> BaselineSpec:
    """Return a registered baseline; an unknown name lists the valid ones."""
    try:
        return _REGISTRY[name]
    except KeyError:
        msg = f"unknown baseline {name!r}; registered: {', '.join(sorted(_REGISTRY))}"
        raise BenchmarkError(msg) from None


def baseline_names() -> list[str]:
    """Names of the registered baselines."""
    return sorted(_REGISTRY)
