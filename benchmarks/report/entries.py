"""The entries the verdict compares, and every pair of them.

An entry is what one folder (or file) given on the command line holds for a task: one model result, or the replicate
seeds of one fit (``stamp fit --seeds N`` evaluated seed by seed: one encoder and ``adapter_group``, distinct
``adapter_seed``; :func:`benchmarks.spot.result_sets.replicate_sets`). A folder holding several unrelated model results
(base and aligned in one folder) gives one entry per result. Baselines are not compared.

Entries are ordered, and every pair is compared B - A with A the earlier entry: first the encoders without an adapter
(the base), then the negative controls (adapters whose ``--run`` says ``data.targets: random``), then the others,
each kind in command-line order. So ``base aligned random-aligned`` gives aligned - base, random-aligned - base and
aligned - random-aligned: the claimed gain is the aligned encoder minus its random-aligned control.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection
from dataclasses import dataclass

from benchmarks.report.inputs import LoadedResult, TaskGroup
from benchmarks.spot.result_sets import LoadedResult as SetItem
from benchmarks.spot.result_sets import replicate_sets

__all__ = ["Entry", "entry_pairs", "task_entries"]

BASE, CONTROL, OTHER = 0, 1, 2  # the order of entries' kinds


@dataclass(frozen=True)
class Entry:
    """One compared entry of one task: a model result, or the replicate seeds of one fit (seeds sorted)."""

    results: tuple[LoadedResult, ...]
    kind: int  # BASE, CONTROL or OTHER

    @property
    def seeds(self) -> list[int]:
        """The adapter seeds of a replicate entry (empty for one result)."""
        if len(self.results) == 1:
            return []
        return [r.result.adapter_seed for r in self.results if r.result.adapter_seed is not None]

    @property
    def label(self) -> str:
        """The entry's name: the embedding key, or for seeds ``<encoder> seeds 0, 1, 2 (<folder>)``."""
        first = self.results[0]
        if not self.seeds:
            return first.label
        return f"{first.result.encoder} seeds {', '.join(map(str, self.seeds))} ({first.path.parent.name})"

    @property
    def source(self) -> int:
        """Position on the command line of the folder the entry came from."""
        return self.results[0].source

    def set_items(self) -> list[SetItem]:
        """Return the results as :mod:`benchmarks.spot.result_sets` items (result, folder of its predictions)."""
        return [SetItem(r.result, r.path.parent) for r in self.results]


def _kind(results: list[LoadedResult], controls: Collection[str]) -> int:
    if not any(r.aligned for r in results):
        return BASE
    return CONTROL if any(r.result.adapter_hash in controls for r in results) else OTHER


def task_entries(group: TaskGroup, controls: Collection[str] = ()) -> list[Entry]:
    """Return the task's model results as entries in comparison order; ``controls``: control runs' adapters."""
    models = [r for r in group.results if r.result.kind == "model"]
    entries: list[tuple[tuple[int, int, int], Entry]] = []
    for source in dict.fromkeys(r.source for r in models):
        wrapped = [(SetItem(r.result, r.path.parent), r) for r in models if r.source == source]
        back = {id(item): loaded for item, loaded in wrapped}
        for position, found in enumerate(replicate_sets([item for item, _ in wrapped])):
            results = [back[id(item)] for item in found]
            kind = _kind(results, controls)
            entries.append(((kind, source, position), Entry(tuple(results), kind)))
    return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]


def entry_pairs(entries: list[Entry]) -> list[tuple[Entry, Entry]]:
    """Every pair (A, B) of entries, A the earlier one."""
    return list(itertools.combinations(entries, 2))
