"""Tier 1: prepare a task on an atlas once, embed (or read the cache), score, write results and predictions.

One result file per (encoder, adapter, task, protocol). A task's data, folds and target blocks (random-set
controls included) are prepared once and shared by every encoder scored on it.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import numpy as np

from benchmarks.cache import aligned_embeddings, embeddings_hash, read_cache_info
from benchmarks.errors import BenchmarkError
from benchmarks.runner import EncoderRun, check_adapter_unseen, code_version, hardware
from benchmarks.schema import (
    BlockResult,
    GapResult,
    PredictionsRef,
    Result,
    TaskRef,
    finite,
    result_filename,
    write_result,
)
from benchmarks.splits import Fold, split_hash
from benchmarks.spot.data import SpotData, atlas_hash, load_spot_data
from benchmarks.spot.folds import patient_folds
from benchmarks.spot.intervals import IntervalPlan, plan_intervals
from benchmarks.spot.predictions import write_predictions
from benchmarks.spot.probe import BlockOutcome, FitTrace, TargetBlock
from benchmarks.spot.task import Task
from benchmarks.tasks import task_hash
from benchmarks.tiers import get_tier

__all__ = ["PreparedTask", "evaluate_cache", "prepare_embeddings", "prepare_task", "run_benchmark"]

Advance = Callable[[int], None]


@dataclass
class PreparedTask:
    """A task ready to score: its data, folds, target blocks and the hashes pinning them."""

    task: Task
    protocol: str
    data: SpotData
    folds: list[Fold]
    blocks: list[TargetBlock]
    atlas_hash: str
    split_hash: str
    task_hash: str


def prepare_task(atlas: Path, task: Task, protocol: str = "default") -> PreparedTask:
    """Load the task's spots, make the patient folds and build the target blocks of ``protocol``."""
    spec = get_tier(task.tier, protocol)
    data = load_spot_data(Path(atlas), task)
    folds = patient_folds(data.patient_ids, task.folds)
    blocks = spec.targets(data, task)
    return PreparedTask(
        task=task,
        protocol=protocol,
        data=data,
        folds=folds,
        blocks=blocks,
        atlas_hash=atlas_hash(data.input_hashes),
        split_hash=split_hash([f"{a}/{b}" for a, b in data.row_keys()], folds),
        task_hash=task_hash(task),
    )


def prepare_embeddings(
    atlas: Path, run: EncoderRun, emb_root: Path, samples: Sequence[str], *, device: str = "auto", batch_size: int = 64
) -> Path:
    """Fill the embedding cache for ``run`` (a baseline computed here, an encoder through ``stamp embed``).

    Raises
    ------
    BenchmarkError
        The encoder cannot be built or embedded (stamp's error, e.g. a gated model without access).
    """
    from benchmarks.baselines import baseline_names, get_baseline
    from stamp.embed import embed_atlas
    from stamp.errors import StampError

    if run.encoder in baseline_names():
        return get_baseline(run.encoder).func(Path(atlas), Path(emb_root) / run.encoder, list(samples))
    try:
        folder = embed_atlas(
            Path(atlas),
            run.encoder,
            out=Path(emb_root),
            adapter=run.adapter,
            weights=run.weights,
            random_init=run.random_init,
            samples=list(samples),
            batch_size=batch_size,
            device=device,
            progress=False,
        )
    except StampError as exc:
        raise BenchmarkError(str(exc)) from exc
    return Path(folder)


def block_result(outcome: BlockOutcome, plan: IntervalPlan) -> BlockResult:
    """Turn a tier's per-patient outcome into the result model, with the plan's intervals (patients or blocks)."""
    pooled, per_slide = plan.replicates(outcome) if plan.spatial else ({}, {})
    return BlockResult(
        name=outcome.name,
        kind=outcome.kind,
        control_of=outcome.control_of,
        n_targets=outcome.n_targets,
        pearson=plan.metric(outcome.pooled, pooled),
        pearson_slide=plan.metric(outcome.per_slide, per_slide),
        per_patient={k: finite(v) for k, v in outcome.pooled.items()},
        per_patient_slide={k: finite(v) for k, v in outcome.per_slide.items()},
        per_slide={k: finite(v) for k, v in outcome.slides.items()},
        per_target={
            k: finite(float(np.nanmean(v))) if np.isfinite(v).any() else None for k, v in outcome.target_r.items()
        },
        per_patient_target={p: {t: finite(r) for t, r in v.items()} for p, v in outcome.patient_target_r.items()},
        per_patient_ci=plan.per_patient_ci(outcome.pooled, pooled) if plan.spatial else {},
        alphas=outcome.alphas,
        penalty=outcome.penalty,
    )


def gap_results(outcomes: Sequence[BlockOutcome], plan: IntervalPlan) -> list[GapResult]:
    """Pathway minus random-set Pearson per patient for every block with a control, with the plan's intervals."""
    by_name = {o.name: o for o in outcomes}
    gaps = []
    for control in outcomes:
        if not control.control_of or control.control_of not in by_name:
            continue
        real = by_name[control.control_of]
        diff = {p: real.pooled[p] - control.pooled.get(p, float("nan")) for p in real.pooled}
        reps: dict[str, np.ndarray] = {}
        if plan.spatial:  # the same tiles drawn for both blocks (one seed per patient): paired replicates
            real_reps, control_reps = plan.replicates(real)[0], plan.replicates(control)[0]
            reps = {p: real_reps[p] - control_reps[p] for p in real_reps if p in control_reps}
        gaps.append(
            GapResult(
                pathways=real.name,
                control=control.name,
                gap=plan.metric(diff, reps),
                per_patient={k: finite(v) for k, v in diff.items()},
                per_patient_ci=plan.per_patient_ci(diff, reps) if plan.spatial else {},
            )
        )
    return gaps


def evaluate_cache(
    prepared: PreparedTask,
    cache: Path,
    *,
    kind: Literal["model", "baseline"],
    out: Path | None = None,
    trace: FitTrace | None = None,
    progress: Advance | None = None,
    submitted_by: str = "",
    keep_predictions: bool = True,
) -> tuple[Result, Path | None]:
    """Score the embeddings in ``cache`` (one ``stamp embed`` folder) on a prepared task; write if ``out``.

    With ``out`` and ``keep_predictions``, the per-spot out-of-fold predictions go beside the result file
    (:mod:`benchmarks.spot.predictions`), referenced from it by name and sha256.
    """
    started = time.perf_counter()
    info = read_cache_info(cache)
    data = prepared.data
    x = aligned_embeddings(cache, data.sample_ids, data.spot_ids)
    spec = get_tier(prepared.task.tier, prepared.protocol)
    outcomes = spec.evaluate(x, prepared.blocks, prepared.folds, data, prepared.task, trace=trace, progress=progress)
    plan = plan_intervals(outcomes, data, prepared.task)
    samples = sorted(set(data.sample_ids.tolist()))
    result = Result(
        kind=kind,
        encoder=info.encoder,
        adapter_hash=info.adapter_hash,
        adapter_source=info.adapter_source or "",
        adapter_commit=info.adapter_commit or "",
        adapter_seed=info.replicate.seed if info.replicate is not None else None,
        adapter_group=info.replicate.group if info.replicate is not None else "",
        weights=info.weights,
        embedding_key=Path(cache).name,
        embeddings_hash=embeddings_hash(cache, samples),
        embed_dim=int(x.shape[1]),
        code_version=code_version(),
        task=TaskRef(
            name=prepared.task.name,
            tier=prepared.task.tier,
            protocol=prepared.protocol,
            task_hash=prepared.task_hash,
            atlas_hash=prepared.atlas_hash,
            split_hash=prepared.split_hash,
            n_spots=data.n_spots,
            n_samples=len(samples),
            patients=sorted(set(data.patient_ids.tolist())),
        ),
        blocks=[block_result(o, plan) for o in outcomes],
        gaps=gap_results(outcomes, plan),
        intervals=plan.info(),
        hardware=hardware(),
        wall_time_s=round(time.perf_counter() - started, 3),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        submitted_by=submitted_by,
    )
    if out is not None and keep_predictions:
        result = result.model_copy(update={"predictions": _write_predictions(result, outcomes, prepared, Path(out))})
    path = write_result(result, Path(out)) if out is not None else None
    return result, path


def _write_predictions(
    result: Result, outcomes: Sequence[BlockOutcome], prepared: PreparedTask, out: Path
) -> PredictionsRef:
    """Write the per-spot predictions beside the result file (written first: the result is the commit marker)."""
    from benchmarks.spot.predictions import PREDICTIONS_SCHEMA_VERSION, collect_predictions, predictions_filename

    predictions = collect_predictions(outcomes, prepared.blocks, prepared.data)
    name = predictions_filename(result_filename(result.embedding_key, result.task.name, result.task.protocol))
    sha256 = write_predictions(predictions, out / name)
    return PredictionsRef(
        file=name, sha256=sha256, schema_version=PREDICTIONS_SCHEMA_VERSION, n_spots=predictions.n_spots
    )


def run_benchmark(
    atlas: Path, tasks: Sequence[Task | PreparedTask], *, protocol: str = "default", runs: Sequence[EncoderRun] = (),
    caches: Sequence[tuple[Path, Literal["model", "baseline"]]] = (), out: Path | None, cache_root: Path,
    device: str = "auto", batch_size: int = 64, submitted_by: str = "", show_progress: bool = True,
    keep_predictions: bool = True,
) -> list[tuple[Result, Path | None]]:  # fmt: skip
    """Score every entry on every task: ``runs`` are embedded here (or read from the cache), ``caches`` as given.

    Each task is prepared once (data, folds, target blocks with their random-set controls) and shared by every
    entry; an adapter is refused on a task that holds out any of its training patients. Returns one
    (result, written path) per (entry, task); results are written under ``out`` when it is given.
    """
    from humanst.console import progress

    written: list[tuple[Result, Path | None]] = []
    with progress(enabled=show_progress) as bar:
        for task in tasks:
            if isinstance(task, PreparedTask):
                prepared = task
            else:
                step = bar.add_task(f"{task.name}: targets and random-set controls", total=1)
                prepared = prepare_task(atlas, task, protocol)
                bar.advance(step)
            samples = sorted(set(prepared.data.sample_ids.tolist()))
            folders = list(caches)
            for entry in runs:
                if entry.adapter is not None:
                    tested = {p for fold in prepared.folds for p in fold.test_patients}
                    check_adapter_unseen(entry.adapter, tested, prepared.task.name)
                step = bar.add_task(f"embed {entry.encoder}{' (random)' if entry.random_init else ''}", total=1)
                folder = prepare_embeddings(atlas, entry, cache_root, samples, device=device, batch_size=batch_size)
                folders.append((folder, entry.kind))
                bar.advance(step)
            for folder, kind in folders:
                step = bar.add_task(f"{prepared.task.name}: {Path(folder).name}", total=len(prepared.folds))
                result, path = evaluate_cache(
                    prepared, Path(folder), kind=kind, out=out, submitted_by=submitted_by,
                    progress=partial(bar.advance, step), keep_predictions=keep_predictions,
                )  # fmt: skip
                written.append((result, path))
    return written
