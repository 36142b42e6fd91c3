"""Result sets for ``stamp-bench compare``: a folder's model results per task, replicate seeds of one fit kept together.

A folder (or file) names one encoder, e.g. the base, the aligned encoder or the random-aligned control. A folder may
hold several model results for one task only when they are replicate seeds of one fit (``stamp fit --seeds N``
embedded seed by seed): the same encoder and ``adapter_group``, each with its own ``adapter_seed``. Two sets are
then compared seed by seed: seed ``s`` of B against seed ``s`` of A when both have seeds (the aligned fit against
the control of the same seed), or every seed against the one result of the other side (a base encoder).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.errors import ResultError
from benchmarks.schema import Result, read_result

__all__ = ["LoadedResult", "load_result_sets", "pair_replicates", "replicate_sets"]

Key = tuple[str, str]  # (task, protocol)


@dataclass(frozen=True)
class LoadedResult:
    """A result and the folder it was read from (its predictions file lies beside it)."""

    result: Result
    folder: Path

    @property
    def seed(self) -> int | None:
        """The adapter run's seed (``None``: not a replicate of a seeded fit)."""
        return self.result.adapter_seed


def _replicates(results: Sequence[LoadedResult]) -> bool:
    """Whether several results of one task are distinct seeds of one fit."""
    groups = {(r.result.encoder, r.result.adapter_group) for r in results}
    seeds = [r.seed for r in results]
    return len(groups) == 1 and next(iter(groups))[1] != "" and None not in seeds and len(set(seeds)) == len(seeds)


def replicate_sets(results: Sequence[LoadedResult]) -> list[list[LoadedResult]]:
    """Split one folder's model results of one task into sets: the seeds of one fit together, every other alone.

    Results of one encoder and ``adapter_group`` with distinct seeds form one set (seeds sorted); a result without
    a group or seed, or whose seed repeats in its group, is a set of its own. Sets come in the order of their first
    result. (``stamp-bench compare`` refuses such a mixed folder instead: :func:`load_result_sets`.)
    """
    groups: dict[tuple[str, ...], list[LoadedResult]] = {}
    for item in results:
        seeded = item.result.adapter_group != "" and item.seed is not None
        key = ("seeds", item.result.encoder, item.result.adapter_group) if seeded else ("one", str(id(item)))
        groups.setdefault(key, []).append(item)
    out: list[list[LoadedResult]] = []
    for items in groups.values():
        if _replicates(items):
            out.append(sorted(items, key=lambda i: i.seed if i.seed is not None else -1))
        else:
            out += [[item] for item in items]
    return out


def load_result_sets(path: Path) -> dict[Key, list[LoadedResult]]:
    """Read a result file, or a folder's model (non-baseline) results, keyed by (task, protocol), seeds sorted.

    Raises
    ------
    ResultError
        Nothing to compare, or a folder holds several model results for one task that are not replicate seeds of
        one fit (pass files instead).
    """
    path = Path(path)
    files = [path] if path.is_file() else sorted(path.glob("*.json"))
    loaded = [LoadedResult(read_result(f), f.parent) for f in files]
    if path.is_dir():
        loaded = [r for r in loaded if r.result.kind == "model"]
    out: dict[Key, list[LoadedResult]] = {}
    for item in loaded:
        out.setdefault((item.result.task.name, item.result.task.protocol), []).append(item)
    for key, items in out.items():
        if len(items) > 1 and not _replicates(items):
            names = ", ".join(i.result.embedding_key for i in items)
            msg = (
                f"several model results for task {key[0]!r} ({key[1]}) that are not replicate seeds of one fit: "
                f"{names}; pass the result files to compare instead of folders"
            )
            raise ResultError(msg, path=path)
        items.sort(key=lambda i: -1 if i.seed is None else i.seed)
    if not out:
        msg = "no model results to compare (baselines are skipped in folders; pass a file to compare one)"
        raise ResultError(msg, path=path)
    return out


def pair_replicates(a: Sequence[LoadedResult], b: Sequence[LoadedResult]) -> list[tuple[LoadedResult, LoadedResult]]:
    """Pair two sets' results: seed with seed when both have several, else each result with the other's only one.

    Raises
    ------
    ResultError
        Both sides have several seeds, and not the same ones.
    """
    if len(a) == 1 or len(b) == 1:
        return [(x, y) for x in a for y in b]
    seeds_a, seeds_b = [x.seed for x in a], [y.seed for y in b]
    if seeds_a != seeds_b:
        msg = (
            f"A has seeds {seeds_a} and B seeds {seeds_b}: replicates are paired seed by seed (a fit and its "
            "control of the same seed); evaluate the same seeds on both sides"
        )
        raise ResultError(msg)
    return list(zip(a, b, strict=True))
