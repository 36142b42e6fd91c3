"""Registry of image-statistics baselines: ``@register_baseline(name)`` on a cache-writing function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import BenchmarkError
from humanst.registry import Registry

__all__ = ["BASELINES", "BaselineSpec", "baseline_names", "get_baseline", "register_baseline"]

# (atlas, out folder of the cache key, samples) -> cache folder
BaselineFunc = Callable[[Path, Path, Sequence[str]], Path]


@dataclass(frozen=True)
class BaselineSpec:
    """A registered baseline: its name (also its cache key), what it computes, and the writer."""

    name: str
    description: str
    func: BaselineFunc


BASELINES: Registry[str, BaselineSpec] = Registry("baseline", error=BenchmarkError)


def register_baseline(name: str, description: str) -> Callable[[BaselineFunc], BaselineFunc]:
    """Register a baseline writer under ``name``; a duplicate name raises."""

    def wrap(func: BaselineFunc) -> BaselineFunc:
        BASELINES.add(name, BaselineSpec(name, description, func))
        return func

    return wrap


def get_baseline(name: str) -> BaselineSpec:
    """Return a registered baseline; an unknown name lists the valid ones."""
    return BASELINES.get(name)


def baseline_names() -> list[str]:
    """Names of the registered baselines."""
    return BASELINES.names()
