"""``stamp-bench compare`` of several result sets: every pair (A before B on the command line), task by task."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from benchmarks.errors import BenchmarkError
from benchmarks.spot.compare import compare_pairs
from benchmarks.spot.result_sets import load_result_sets, pair_replicates
from benchmarks.terminal_tables import print_outcome_comparison, print_spot_comparison

__all__ = ["compare_all"]


def compare_all(paths: Sequence[Path], *, n_boot: int = 2000, seed: int = 0) -> int:
    """Print B - A of every pair of result sets on every task they share; return the number of tables printed.

    Raises
    ------
    BenchmarkError
        Two sets share no task, a folder mixes results that are not seeds of one fit, or seeds cannot be paired.
    """
    sets = {Path(p): load_result_sets(p) for p in paths}
    printed = 0
    for path_a, path_b in itertools.combinations(sets, 2):
        a, b = sets[path_a], sets[path_b]
        shared = sorted(set(a) & set(b))
        if not shared:
            msg = f"'{path_a}' and '{path_b}' have no task in common: {sorted(a)} vs {sorted(b)}"
            raise BenchmarkError(msg)
        for key in shared:
            pairs = pair_replicates(a[key], b[key])
            first_a, first_b = pairs[0][0].result, pairs[0][1].result
            if first_a.task.tier > 1:  # tiers 2-3: each seed pair on its own (no seed aggregation there)
                for x, y in pairs:
                    print_outcome_comparison(x.result, y.result, x.folder, y.folder, n_boot)
                    printed += 1
                continue
            seeds = f" ({len(pairs)} seed pairs)" if len(pairs) > 1 else ""
            names = f"A = {first_a.embedding_key} ({path_a}), B = {first_b.embedding_key} ({path_b})"
            title = f"{key[0]} ({key[1]}): {names}{seeds}"
            print_spot_comparison(compare_pairs(pairs, n_boot=n_boot, seed=seed), title)
            printed += 1
    return printed
