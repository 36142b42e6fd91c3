"""Registry of slide-level probes: ``@register_probe(name)`` files a function fitting on train bags, predicting test.

A probe gets the task kind, the training bags (tile features per patient) with their labels, the test bags, the
task's probe settings, a seed and a device, and returns its predictions for the test patients: the probability of
class 1 (classification), the targets (regression), or a risk score, higher meaning earlier events (survival); and
for every test patient one score per tile, from the same fitted model (what :attr:`ProbeSpec.tile_score` says: the
ABMIL attention, or the linear probe's score of each tile alone), which reports draw on the slides.
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
    """Predictions for the test patients (averaged over seeds), the per-seed ones, notes, and per-tile scores.

    ``tile_scores`` holds one ``(tiles, width)`` array per test bag, in the bag's tile order (empty when the probe
    gives none); ``width`` is 1, or the number of targets of a regression for a per-target score.
    """

    predictions: np.ndarray
    per_seed: list[np.ndarray] = field(default_factory=list)
    notes: dict[str, float] = field(default_factory=dict)
    tile_scores: list[np.ndarray] = field(default_factory=list)


@dataclass(frozen=True)
class ProbeSpec:
    """A probe: name, what it is, ``fit_predict(ProbeInput) -> ProbeOutput`` and what its per-tile score is."""

    name: str
    description: str
    fit_predict: Callable[[ProbeInput], ProbeOutput]
    tile_score: str = ""  # what ProbeOutput.tile_scores hold, in words (figure captions)


PROBES: Registry[str, ProbeSpec] = Registry("slide probe", error=TierError)


def register_probe(
    name: str, description: str, *, tile_score: str = ""
) -> Callable[[Callable[[ProbeInput], ProbeOutput]], Callable[..., ProbeOutput]]:
    """Register the decorated ``fit_predict`` as probe ``name`` (``tile_score``: its per-tile score, in words)."""

    def wrap(func: Callable[[ProbeInput], ProbeOutput]) -> Callable[[ProbeInput], ProbeOutput]:
        PROBES.add(name, ProbeSpec(name, description, func, tile_score))
        return func

    return wrap


def get_probe(name: str) -> ProbeSpec:
    """Return a registered probe; an unknown name lists the known ones."""
    return PROBES.get(name)
