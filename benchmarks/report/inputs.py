"""What a report is made of: result files (with their kept predictions), grouped by task, and STAMP run folders.

Tier-1 results bring their per-spot predictions (:mod:`benchmarks.spot.predictions`), tier-2/3 results their
per-patient out-of-fold predictions and per-tile scores (:mod:`benchmarks.slide.predictions`). Nothing is dropped
silently: a file that does not read, a result without predictions or a run that matches no result becomes a line
in :attr:`ReportInputs.notes`, printed by the command and shown on the page.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.errors import BenchmarkError, ResultError
from benchmarks.schema import Result, read_result
from benchmarks.slide.predictions import OutcomePredictions
from benchmarks.spot.predictions import SpotPredictions, read_predictions
from stamp.run_info import Check, RunInfo

__all__ = ["LoadedResult", "ReportInputs", "RunFolder", "TaskGroup", "load_inputs"]


@dataclass(frozen=True)
class LoadedResult:
    """One result file, its predictions (``None`` when absent, see ``problem``) and a short label.

    ``predictions`` are a tier-1 result's per-spot predictions, ``outcomes`` a tier-2/3 result's per-patient ones;
    ``source`` is the position of the folder or file it came from on the command line.
    """

    path: Path
    result: Result
    predictions: SpotPredictions | None
    problem: str = ""
    outcomes: OutcomePredictions | None = None
    source: int = 0

    @property
    def label(self) -> str:
        """The entry's name in tables and figures: the embedding key (encoder[+adapter hash][@random])."""
        return self.result.embedding_key

    @property
    def aligned(self) -> bool:
        """Whether the encoder carries a STAMP adapter."""
        return bool(self.result.adapter_hash)


@dataclass(frozen=True)
class RunFolder:
    """A ``stamp fit`` run folder: its ``run.json``, resolved config text and metrics file."""

    path: Path
    info: RunInfo
    config_text: str
    metrics: Path | None

    @property
    def adapter_hash(self) -> str:
        """The adapter hash recorded by ``stamp fit``."""
        return self.info.adapter_hash

    @property
    def targets(self) -> str:
        """What the run was aligned to (``data.targets``: ``pathways``, ``random`` for a negative control, ...)."""
        return self.info.targets_kind

    @property
    def checks(self) -> list[Check]:
        """The run's own verdict rows (``run.json`` ``verdict.checks``; empty for a run written before them)."""
        return self.info.verdict.checks


@dataclass
class TaskGroup:
    """The results of one (task, protocol): the reference A, the entries compared with it, and the baselines."""

    task: str
    protocol: str
    results: list[LoadedResult]
    reference: LoadedResult | None = None
    compared: list[LoadedResult] = field(default_factory=list)

    @property
    def tier(self) -> int:
        """The task's tier (1: spots; 2: slides; 3: patients)."""
        return self.results[0].result.task.tier

    @property
    def models(self) -> list[LoadedResult]:
        """The reference, then the compared entries."""
        return ([self.reference] if self.reference is not None else []) + self.compared


@dataclass
class ReportInputs:
    """Task groups in argument order, runs matched to aligned results, and every problem met on the way."""

    groups: list[TaskGroup]
    runs: dict[str, RunFolder]  # adapter hash -> run, for the runs that match a result
    notes: list[str] = field(default_factory=list)
    every_run: list[RunFolder] = field(default_factory=list)  # every --run, matched or not (their verdict rows)

    @property
    def control_adapters(self) -> set[str]:
        """Adapter hashes of the runs given that were aligned to random targets (negative controls)."""
        return {run.adapter_hash for run in self.every_run if run.targets == "random"}


def _result_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(path.glob("*.json"))
    msg = "no such result file or folder; pass folders written by `stamp-bench run` or their JSON files"
    raise ResultError(msg, path=path)


def _load_one(path: Path) -> LoadedResult:
    result = read_result(path)
    ref = result.predictions
    if result.task.tier > 1:
        return _load_outcomes(path, result)
    if ref is None:
        problem = f"{path.name}: no per-spot predictions (written before they were kept); rerun `stamp-bench run`"
        return LoadedResult(path, result, None, problem)
    try:
        predictions = read_predictions(path.parent / ref.file, sha256=ref.sha256)
    except ResultError as exc:
        return LoadedResult(path, result, None, str(exc))
    return LoadedResult(path, result, predictions)


def _load_outcomes(path: Path, result: Result) -> LoadedResult:
    from benchmarks.slide.compare import outcome_predictions_of

    try:
        outcomes = outcome_predictions_of(result, path.parent)
    except ResultError as exc:
        return LoadedResult(path, result, None, str(exc))
    problem = ""
    if outcomes.tiles is None:
        problem = (
            f"{path.name}: its predictions file (v{outcomes.version}) keeps no per-tile scores, so no heatmaps for it; "
            "rerun `stamp-bench run` (cached slide features make it quick)"
        )
    return LoadedResult(path, result, None, problem, outcomes)


def _group(results: list[LoadedResult], notes: list[str]) -> list[TaskGroup]:
    groups: dict[tuple[str, str], TaskGroup] = {}
    for loaded in results:
        key = (loaded.result.task.name, loaded.result.task.protocol)
        group = groups.setdefault(key, TaskGroup(key[0], key[1], []))
        if group.results and group.results[0].result.task.split_hash != loaded.result.task.split_hash:
            first = group.results[0]
            notes.append(
                f"{loaded.path.name}: task {key[0]!r} on another split than {first.path.name} "
                f"({loaded.result.task.split_hash[:12]} vs {first.result.task.split_hash[:12]}); left out"
            )
            continue
        group.results.append(loaded)
    for group in groups.values():
        models = [r for r in group.results if r.result.kind == "model"]
        plain = [r for r in models if not r.aligned]
        group.reference = plain[0] if plain else (models[0] if models else None)
        group.compared = [r for r in models if r is not group.reference]
    return list(groups.values())


def read_run(path: Path) -> RunFolder:
    """Read a ``stamp fit`` run folder (``run.json``, ``config.yaml``, ``metrics.csv``).

    Raises
    ------
    BenchmarkError
        Not a finished run folder.
    """
    from stamp.errors import RunError
    from stamp.run_dir import RunFiles, read_run_info

    path = Path(path)
    try:
        info = read_run_info(path)
    except RunError as exc:
        msg = f"{exc}; pass a finished `stamp fit` run folder"
        raise BenchmarkError(msg) from exc
    config = path / RunFiles.CONFIG
    metrics = path / RunFiles.METRICS
    return RunFolder(
        path=path,
        info=info,
        config_text=config.read_text(encoding="utf-8") if config.is_file() else "",
        metrics=metrics if metrics.is_file() else None,
    )


def run_folders(path: Path) -> list[Path]:
    """Return the run folders of a ``--run``: itself, or every seed of a ``stamp fit --seeds`` folder."""
    from stamp.run_dir import RunFiles
    from stamp.train.replicates import SUMMARY_JSON, seed_dir

    path = Path(path)
    summary = path / SUMMARY_JSON
    if (path / RunFiles.INFO).is_file() or not summary.is_file():
        return [path]
    try:
        seeds = [int(row["seed"]) for row in json.loads(summary.read_text(encoding="utf-8"))["seeds"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"run '{path}': {SUMMARY_JSON} is unreadable ({exc}); rerun `stamp fit --seeds N --out {path}`"
        raise BenchmarkError(msg) from exc
    return [seed_dir(path, seed) for seed in seeds]


def load_inputs(paths: Sequence[Path], runs: Sequence[Path] = ()) -> ReportInputs:
    """Read every result file under ``paths`` and every run folder in ``runs``; match runs to results by adapter hash.

    A ``--run`` that is a ``stamp fit --seeds`` folder stands for each of its seeds' runs.

    Raises
    ------
    BenchmarkError
        No readable result at all, or a run folder that is not a finished run.
    """
    notes: list[str] = []
    loaded: list[LoadedResult] = []
    seen: set[Path] = set()
    for source, path in enumerate(paths):
        for file in _result_files(Path(path)):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            try:
                item = dataclasses.replace(_load_one(file), source=source)
            except ResultError as exc:
                notes.append(f"skipped: {exc}")
                continue
            if item.problem:
                notes.append(item.problem)
            loaded.append(item)
    if not loaded:
        msg = f"no readable result files under {[str(p) for p in paths]}; write them with `stamp-bench run`"
        raise ResultError(msg)
    matched: dict[str, RunFolder] = {}
    every: list[RunFolder] = []
    hashes = {r.result.adapter_hash for r in loaded if r.aligned}
    for run_path in (folder for given in runs for folder in run_folders(Path(given))):
        run = read_run(run_path)
        every.append(run)
        if run.adapter_hash not in hashes:
            notes.append(
                f"run '{run_path}' (adapter {run.adapter_hash}) matches no result given; only its own verdict is shown"
            )
            continue
        matched[run.adapter_hash] = run
    for adapter in sorted(hashes - set(matched)):
        notes.append(f"adapter {adapter}: no run folder given (--run), so no training curves or run card for it")
    return ReportInputs(_group(loaded, notes), matched, notes, every)
