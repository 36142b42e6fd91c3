"""Registry of slide-level probes: ``@register_probe(name)`` files a function fitting on train bags, predicting test.

A probe gets the task kind, the training bags (tile features per patient) with their labels, the test bags, the
task's probe settings, a seed and a device, and returns its predictions for the test patients: the probability of
class 1 (classification), the targets (regression), or a risk score, higher meaning earlier events (survival).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from benchmarks.errors import TierError
from benchmarks.slide.task import ProbeSettings
from humanst.registry import Registry

__all__ = ["PROBES", "ProbeInput", "ProbeOutput", "ProbeSpec", "get_probe", "register_probe"]


@dataclass(frozen=True)
class ProbeInput:
    """One fold of one target block."""

    kind: str
    train: list[np.ndarray]
    y_train: np.ndarray
    test: list[np.ndarray]
    settings: ProbeSettings
    seed: int = 0
    device: str = "cpu"


@dataclass(frozen=True)
class ProbeOutput:
    """Predictions for the test patients (averaged over seeds), the per-seed ones, and notes (chosen penalties)."""

    predictions: np.ndarray
    per_seed: list[np.ndarray] = field(default_factory=list)
    notes: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ProbeSpec:
    """A probe: name, what it is, and ``fit_predict(ProbeInput) -> ProbeOutput``."""

    name: str
    description: str
    fit_predict: Callable[[ProbeInput], ProbeOutput]


PROBES: Registry[str, ProbeSpec] = Registry("slide probe", error=TierError)


def register_probe(
    name: str, description: str
) -> Callable[[Callable[[ProbeInput], ProbeOutput]], Callable[..., ProbeOutput]]:
    """Register the decorated ``fit_predict`` as probe ``name``; a duplicate raises."""

    def wrap(func: Callable[[ProbeInput], ProbeOutput]) -> Callable[[ProbeInput], ProbeOutput]:
        PROBES.add(name, ProbeSpec(name, description, func))
        return func

    return wrap


def get_probe(name: str) -> ProbeSpec:
    """Return a registered probe; an unknown name lists the known ones."""
    return PROBES.get(name)
