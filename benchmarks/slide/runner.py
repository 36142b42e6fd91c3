"""Run tiers 2 and 3: a cohort folder's slides embedded per entry (or read), probes scored, one result per task.

Each task is prepared once (labels, patients with slides, folds, hashes) and shared by every entry: the encoder
(base or with a STAMP adapter) through ``stamp embed-slides`` (unchanged slides are skipped), its random-weights
architecture, and the colour/texture statistics of the same tiles. Results use the tier-1 schema
(:class:`benchmarks.schema.Result`) with ``outcomes`` and ``cohort`` filled; the per-patient out-of-fold predictions
go beside each result file.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

from benchmarks.baselines.colour_texture import NAME as COLOUR_TEXTURE
from benchmarks.baselines.slide_colour_texture import write_slide_colour_texture
from benchmarks.cache import read_cache_info
from benchmarks.errors import BenchmarkError
from benchmarks.runner import EncoderRun, check_adapter_unseen, code_version, hardware
from benchmarks.schema import (
    CohortRef,
    IntervalInfo,
    PredictionsRef,
    Result,
    TaskRef,
    result_filename,
    write_result,
)
from benchmarks.slide.data import SlideData, load_bags
from benchmarks.slide.outcomes import OutcomeRun
from benchmarks.slide.predictions import (
    OUTCOME_PREDICTIONS_VERSION,
    outcome_predictions_filename,
    write_outcome_predictions,
)
from benchmarks.slide.task import SlideTask
from benchmarks.stats import MIN_BOOTSTRAP_PATIENTS
from benchmarks.tasks import task_hash
from benchmarks.tiers import get_tier

__all__ = [
    "PreparedSlideTask",
    "evaluate_slide_features",
    "prepare_slide_features",
    "run_slide_benchmark",
    "slide_tasks_for",
]

SlideBaseline = Callable[..., Path]
SLIDE_BASELINES: dict[str, SlideBaseline] = {COLOUR_TEXTURE: write_slide_colour_texture}


@dataclass
class PreparedSlideTask:
    """A tier-2/3 task ready to score: its data (labels, patients, folds), hash and cohort folder."""

    data: SlideData
    task_hash: str
    cohort: Path

    @property
    def task(self) -> SlideTask:
        """The task."""
        return self.data.task


def prepare(cohort: Path, task: SlideTask, *, task_dir: Path | None = None) -> PreparedSlideTask:
    """Prepare ``task`` on the cohort folder (see :func:`benchmarks.slide.data.prepare_slide_task`)."""
    spec = get_tier(task.tier)
    return PreparedSlideTask(spec.targets(Path(cohort), task, task_dir=task_dir), task_hash(task), Path(cohort))


def prepare_slide_features(
    prepared: Sequence[PreparedSlideTask], run: EncoderRun, feature_root: Path, *, device: str = "auto",
    batch_size: int = 64, show_progress: bool = True,
) -> Path:  # fmt: skip
    """Embed (or compute the baseline of) every slide the tasks use; return the feature folder.

    Raises
    ------
    BenchmarkError
        The encoder cannot be built, or a slide cannot be read (stamp's message, with the slide).
    """
    from stamp.errors import StampError
    from stamp.slides import embed_slides

    paths = sorted({p.cohort / p.data.slide_files[s] for p in prepared for s in p.data.slide_ids})
    if run.encoder in SLIDE_BASELINES:
        return SLIDE_BASELINES[run.encoder](paths, feature_root, show_progress=show_progress)
    try:
        result = embed_slides(
            paths, run.encoder, out=feature_root, adapter=run.adapter, weights=run.weights, random_init=run.random_init,
            batch_size=batch_size, device=device, num_workers=0, show_progress=show_progress,
        )  # fmt: skip
    except StampError as exc:
        raise BenchmarkError(str(exc)) from exc
    if result.failed:
        first = next(iter(result.failed.items()))
        msg = f"{len(result.failed)} slide(s) could not be embedded (e.g. '{first[0]}': {first[1]})"
        raise BenchmarkError(msg)
    return Path(result.folder)


def evaluate_slide_features(
    prepared: PreparedSlideTask, folder: Path, *, kind: Literal["model", "baseline"], out: Path | None = None,
    device: str = "cpu", progress: Callable[[int], None] | None = None,
) -> tuple[Result, Path | None]:  # fmt: skip
    """Score one feature folder on a prepared task; write the result and its predictions under ``out`` if given."""
    started = time.perf_counter()
    data = prepared.data
    info = read_cache_info(folder)
    bags = load_bags(folder, data)
    spec = get_tier(data.task.tier)
    scored: OutcomeRun = spec.evaluate(
        bags.features, data, device=_probe_device(device), progress=progress, places=bags.places
    )
    encoder = info.encoder
    key = Path(folder).name
    result = Result(
        kind=kind, encoder=encoder, adapter_hash=info.adapter_hash,
        adapter_source=info.adapter_source or "", adapter_commit=info.adapter_commit or "",
        weights=info.weights, embedding_key=key,
        embeddings_hash=_features_hash(folder, data), embed_dim=int(bags.features[0].shape[1]),
        code_version=code_version(),
        task=TaskRef(
            name=data.task.name, tier=data.task.tier, protocol="default", task_hash=prepared.task_hash,
            atlas_hash=data.cohort_hash, split_hash=data.split_hash, n_spots=bags.n_tiles,
            n_samples=len(data.slide_ids), patients=list(data.patients),
            negative_control_of=list(data.task.negative_control_of),
        ),
        blocks=[], gaps=[], intervals=_intervals(scored, data), hardware=hardware(),
        wall_time_s=round(time.perf_counter() - started, 3),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), outcomes=scored.scores,
        cohort=CohortRef(
            name=data.cohort, content_hash=data.cohort_hash,
            pretraining_overlap=data.pretraining.for_encoder(encoder),
            cohort_overlap=data.pretraining.status, excluded=data.excluded,
        ),
    )  # fmt: skip
    if out is None:
        return result, None
    name = outcome_predictions_filename(result_filename(key, data.task.name, "default"))
    sha256 = write_outcome_predictions(scored.predictions, Path(out) / name)
    ref = PredictionsRef(file=name, sha256=sha256, schema_version=OUTCOME_PREDICTIONS_VERSION,
                         n_spots=scored.predictions.n_patients)  # fmt: skip
    result = result.model_copy(update={"predictions": ref})
    return result, write_result(result, Path(out))


def _intervals(scored: OutcomeRun, data: SlideData) -> IntervalInfo:
    """Say how the result's intervals were made: a bootstrap over patients, or none with too few patients."""
    n = len(data.patients)
    if all(s.interval == "patient_bootstrap" for s in scored.scores):
        note = f"{n} patients: 95% percentile bootstrap over patients (out-of-fold predictions resampled)"
        kind: Literal["patient_bootstrap", "none"] = "patient_bootstrap"
    else:
        note = f"{n} patients (< {MIN_BOOTSTRAP_PATIENTS}, or a metric undefined on resamples): no interval"
        kind = "none"
    return IntervalInfo(kind=kind, min_patients=MIN_BOOTSTRAP_PATIENTS, n_boot=data.task.bootstrap, note=note)


def _probe_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _features_hash(folder: Path, data: SlideData) -> str:
    from benchmarks.cache import embeddings_hash

    return embeddings_hash(folder, data.slide_ids)


def slide_tasks_for(cohort: Path, tiers: Sequence[int], given: Sequence[SlideTask] | None = None) -> list[SlideTask]:
    """Return the tier-2/3 tasks to run on a cohort folder: ``given`` (of those tiers), else every shipped one for it.

    Raises
    ------
    BenchmarkError
        A given task was written for another cohort, or no shipped task of those tiers is written for this one.
    """
    from benchmarks.cohorts import read_cohort
    from benchmarks.tasks import load_any_task, shipped_tasks

    name = read_cohort(Path(cohort))[1].name
    if given:
        chosen = [t for t in given if t.tier in tiers]
        other = [t.name for t in chosen if t.cohort != name]
        if other:
            msg = f"task(s) {other} were written for another cohort, not {name!r} ('{cohort}')"
            raise BenchmarkError(msg)
        return chosen
    shipped = [load_any_task(n) for n in shipped_tasks()]
    chosen = [t for t in shipped if isinstance(t, SlideTask) and t.tier in tiers and t.cohort == name]
    if not chosen:
        msg = f"no shipped tier-{'/'.join(map(str, tiers))} task is written for cohort {name!r}; pass --task FILE"
        raise BenchmarkError(msg)
    return chosen


def run_slide_benchmark(
    cohort: Path, tasks: Sequence[SlideTask], *, runs: Sequence[EncoderRun] = (),
    feature_folders: Sequence[tuple[Path, Literal["model", "baseline"]]] = (), out: Path | None,
    feature_root: Path, device: str = "auto", batch_size: int = 64, show_progress: bool = True,
    task_dirs: dict[str, Path] | None = None,
) -> list[tuple[Result, Path | None]]:  # fmt: skip
    """Score every entry on every tier-2/3 task of one cohort folder; return (result, written path) pairs."""
    from humanst.console import progress

    task_dirs = task_dirs or {}
    prepared = [prepare(cohort, t, task_dir=task_dirs.get(t.name)) for t in tasks]
    folders = list(feature_folders)
    for entry in runs:
        if entry.adapter is not None:
            for p in prepared:
                check_adapter_unseen(entry.adapter, p.data.patients, p.task.name)
        folders.append((prepare_slide_features(prepared, entry, feature_root, device=device, batch_size=batch_size,
                                               show_progress=show_progress), entry.kind))  # fmt: skip
    written: list[tuple[Result, Path | None]] = []
    with progress(enabled=show_progress) as bar:
        for p in prepared:
            folds = len(p.data.folds) * len(p.task.probes.use) * (2 if p.data.control is not None else 1)
            for folder, kind in folders:
                step = bar.add_task(f"{p.task.name}: {Path(folder).name}", total=folds)
                written.append(
                    evaluate_slide_features(
                        p, Path(folder), kind=kind, out=out, device=device, progress=partial(bar.advance, step)
                    )
                )
    return written
