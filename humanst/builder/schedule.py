"""Run sample tasks on a local process pool or a Dask cluster, then assemble the patch dataset and report."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from humanst.atomic import atomic_write_text
from humanst.builder.pipeline import Progress, build_sample
from humanst.builder.settings import DEFAULTS, BuildSettings
from humanst.builder.task import SampleTask
from humanst.manifest import AtlasManifest
from humanst.store.atlas import Atlas
from humanst.store.records import SampleOutcome

__all__ = ["BuildReport", "make_tasks", "run_build", "run_tasks"]


@dataclass
class BuildReport:
    """Outcome of a build: one entry per sample, the settings and where the outputs are."""

    atlas: Path
    manifest: str
    settings: Mapping[str, object]
    outcomes: list[SampleOutcome] = field(default_factory=list)
    seconds: float = 0.0
    dataset_rows: int = 0
    stale_lock: str = ""  # the holder of a lock left by a build that died (replaced by this build)

    @property
    def failed(self) -> list[SampleOutcome]:
        """Samples that failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    def write(self) -> tuple[Path, Path]:
        """Write ``build_report.json`` and ``build_report.md`` into the atlas (atomically)."""
        data = {
            "manifest": self.manifest, "settings": self.settings, "seconds": round(self.seconds, 3),
            "dataset_rows": self.dataset_rows, "samples": [o.to_json() for o in self.outcomes],
        }  # fmt: skip
        json_path, md_path = Atlas(self.atlas).report_paths
        atomic_write_text(json_path, json.dumps(data, indent=2, default=str))
        atomic_write_text(md_path, self.markdown())
        return json_path, md_path

    def markdown(self) -> str:
        """Render the per-sample summary table as markdown."""
        lines = [
            f"# Build report: {self.manifest}", "",
            f"{len(self.outcomes)} sample(s): {sum(o.status == 'built' for o in self.outcomes)} built, "
            f"{sum(o.status == 'skipped' for o in self.outcomes)} unchanged, {len(self.failed)} failed; "
            f"{self.dataset_rows} patch rows; {self.seconds:.1f} s.", "",
            "| sample | platform | status | spots kept | dropped | genes | um/px | um/px source | s | warnings |",
            "|---|---|---|---:|---|---:|---:|---|---:|---|",
        ]  # fmt: skip
        for o in self.outcomes:
            dropped = ", ".join(f"{k} {v}" for k, v in o.dropped.items() if v) or "-"
            notes = "; ".join(o.warnings) or "-"
            if o.status == "failed":
                notes = o.error.replace("\n", " ")
            lines.append(
                f"| {o.sample_id} | {o.platform} | {o.status} | {o.spots_kept} | {dropped} | {o.genes} | "
                f"{o.um_per_px:.4g} | {o.um_per_px_source or '-'} | {o.seconds:.1f} | {notes.replace('|', '/')} |"
            )
        return "\n".join(lines) + "\n"


def make_tasks(
    manifest: AtlasManifest, atlas: Path, *, data_root: Path, cache_dir: Path, samples: Iterable[str] | None = None,
    min_counts: int = DEFAULTS.min_counts, force: bool = False, allow_absolute_paths: bool = False,
) -> list[SampleTask]:  # fmt: skip
    """One task per selected sample (``samples`` ids are checked against the manifest).

    ``allow_absolute_paths`` accepts absolute ``path`` sources; otherwise every local input must resolve inside
    ``data_root`` (:func:`humanst.fetch.resolve_local`).
    """
    settings = BuildSettings(
        gene_sets=tuple(manifest.gene_sets), patch=manifest.patch, pseudo_spot_um=manifest.pseudo_spot_um,
        min_counts=min_counts,
    )  # fmt: skip
    entries = [manifest.sample(s) for s in samples] if samples else list(manifest.samples)
    absolute = allow_absolute_paths
    return [
        SampleTask(e, Atlas(atlas), data_root, cache_dir, settings, force=force, allow_absolute_paths=absolute)
        for e in entries
    ]


def _run_local(tasks: list[SampleTask], workers: int, progress: Progress | None) -> Iterator[SampleOutcome]:
    if workers <= 1:  # in this process: downloads and patches can report progress
        for task in tasks:
            yield build_sample(task, progress)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # numba / BLAS threads do not survive fork safely
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_worker_init,
                             initargs=(workers, os.getpid())) as pool:  # fmt: skip
        futures = [pool.submit(build_sample, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()


def _worker_init(workers: int, parent_pid: int) -> None:
    """Die with the build (no orphan after a ``kill -9``); share the cores (each sample's kernels are threaded)."""
    import numba

    from humanst.builder.workers import die_with_parent

    die_with_parent(parent_pid)

    numba.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


def _run_dask(tasks: list[SampleTask], address: str) -> Iterator[SampleOutcome]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(address) as client:
        futures = client.map(build_sample, tasks, pure=False, key=[f"humanst-build-{t.entry.id}" for t in tasks])
        try:
            for future in dask_completed(futures):
                yield future.result()
        finally:  # interrupted (or a client error): nothing queued keeps running for a build that is gone
            client.cancel([f for f in futures if not f.done()])


def run_tasks(
    tasks: list[SampleTask], *, workers: int = 1, scheduler: str | None = None,
    on_done: Callable[[SampleOutcome], None] | None = None, progress: Progress | None = None,
) -> list[SampleOutcome]:  # fmt: skip
    """Run every task (process pool, or Dask when ``scheduler`` is an address); return outcomes in task order.

    ``progress`` receives download and patch progress when the tasks run in this process (one worker).
    """
    stream = _run_dask(tasks, scheduler) if scheduler else _run_local(tasks, workers, progress)
    by_id = {}
    for outcome in stream:
        by_id[outcome.sample_id] = outcome
        if on_done is not None:
            on_done(outcome)
    return [by_id[t.entry.id] for t in tasks]


def run_build(
    manifest: AtlasManifest, manifest_name: str, tasks: list[SampleTask], *, workers: int = 1,
    scheduler: str | None = None, on_done: Callable[[SampleOutcome], None] | None = None,
    progress: Progress | None = None, guarded: bool = False,
) -> BuildReport:  # fmt: skip
    """Build every task, assemble the Hugging Face dataset from all finished parts, write the report.

    The atlas is checked for write access and free space before the first sample runs and locked for the whole
    build, so a second build into it is refused (:func:`humanst.builder.preflight.build_guard`; ``guarded``:
    the caller holds it already).

    Raises
    ------
    AtlasError
        Another build holds the atlas, or the atlas folder is not writable or too full (before any work).
    """
    from contextlib import nullcontext

    from humanst.builder.preflight import build_guard, write_error
    from humanst.store.hf_dataset import assemble_dataset

    start = time.perf_counter()
    atlas = tasks[0].atlas if tasks else Atlas(Path())
    guard = nullcontext() if guarded else build_guard(atlas, tasks, command=f"humanst build {manifest_name}")
    with guard as stale:
        try:
            outcomes = run_tasks(tasks, workers=workers, scheduler=scheduler, on_done=on_done, progress=progress)
            report = BuildReport(atlas.root, manifest_name, tasks[0].settings.as_dict() if tasks else {}, outcomes)
            report.stale_lock = stale.describe() if stale is not None else ""
            report.dataset_rows = assemble_dataset(atlas, manifest)
            report.seconds = time.perf_counter() - start
            report.write()
        except OSError as exc:  # samples report their own write errors; this is the dataset or the report
            raise write_error(atlas, exc) from exc
    return report
