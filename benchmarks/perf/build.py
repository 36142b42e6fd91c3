"""Atlas-build speed: one synthetic Visium sample end to end vs a HEST-style patch dump, same run.

    python -m benchmarks.perf.build --size-um 6500 --um-per-px 1.0

Both rows run in the same process, on the same machine, on the same spots and the same H&E image:

1. ``humanst build_sample (end to end)`` is :func:`humanst.builder.pipeline.build_sample` on a
   :class:`~humanst.builder.task.SampleTask` from :func:`humanst.builder.schedule.make_tasks` (the demo
   manifest's settings: gene sets hallmark + reactome, 224 px patches at 0.5 um/px): read the Space Ranger
   outs folder, harmonise genes, QC, pathway scores, write the SpatialData store, write the parquet part of
   JPEG patches. The stage rows below it split that very run: each stage function the pipeline calls is
   wrapped with a timer while the run goes (``other`` is what no wrapper saw: task hash, provenance, record).
2. ``baseline: patches one at a time into uncompressed HDF5 (HEST approach)`` loads the same image, cuts
   the same patches with the same :func:`~humanst.harmonise.patches.iter_patches` and writes each into an
   h5py dataset ``img`` of shape (n, 224, 224, 3) uint8 one row at a time (``dset[i] = patch``), no
   compression, chunks of one patch, plus ``coords`` and ``barcode`` datasets as HEST's ``dump_patches``
   does. (HEST also reopens the file and resizes the datasets for every patch; the baseline does not, so
   it is if anything faster than HEST.) It writes patches only: no counts, scores or store.

Cores: the build runs with ``numba.set_num_threads(--threads)`` and dask's ``synchronous`` scheduler when
``--threads`` is 1, so end to end uses one core (the default, and the honest per-core number). ``cpu_s`` is
the process CPU time of the row (all threads), and ``spots_per_cpu_s`` = spots / ``cpu_s`` is spots per
second per core whatever the thread count. Imports and numba compilation are warmed up on a small sample
first; the synthetic sample is written (untimed) before the runs.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import io
import json
import os
import pstats
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from humanst.builder.task import SampleTask
    from humanst.manifest import SampleEntry
    from humanst.readers import RawSample
    from humanst.readers._registry import ReaderSpec
    from humanst.readers.raw import ReadSettings
    from humanst.store import SampleOutcome

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "BenchSample",
    "disk_mb",
    "main",
    "make_sample",
    "part_patches",
    "run_baseline",
    "run_humanst",
    "single_core",
]

DEMO_MANIFEST = Path(__file__).resolve().parents[2] / "manifests" / "demo.yaml"
SAMPLE_ID = "bench-visium"


@dataclasses.dataclass(frozen=True)
class BenchSample:
    """A written synthetic Visium sample and the build task that reads it."""

    task: SampleTask
    n_spots_raw: int
    size_um: float
    um_per_px: float


def make_sample(workdir: Path, *, size_um: float, um_per_px: float = 1.0, seed: int = 11) -> BenchSample:
    """Write a ``size_um`` x ``size_um`` synthetic Visium sample under ``workdir/raw`` (reused if already there).

    The entry is the demo manifest's first Visium entry with a bigger capture area; the task comes from
    :func:`~humanst.builder.schedule.make_tasks` with the demo manifest's settings, atlas ``workdir/atlas``.
    """
    from humanst.builder.schedule import make_tasks
    from humanst.manifest import load_manifest
    from humanst.synth import write_sample

    manifest = load_manifest(DEMO_MANIFEST)
    demo = next(s for s in manifest.samples if s.platform.value == "visium" and s.synth is not None)
    if demo.synth is None:  # for mypy: chosen above
        msg = f"{DEMO_MANIFEST}: no synthetic Visium entry to copy"
        raise ValueError(msg)
    synth = demo.synth.model_copy(update={"seed": seed, "width_um": size_um, "height_um": size_um,
                                          "um_per_px": um_per_px})  # fmt: skip
    files = [demo.files[0].model_copy(update={"path": f"{SAMPLE_ID}/outs"})]
    entry = demo.model_copy(update={"id": SAMPLE_ID, "synth": synth, "files": files})
    raw = workdir / "raw"
    marker = raw / f"{SAMPLE_ID}.synth.json"
    spec = synth.model_dump(mode="json")
    if not (marker.is_file() and json.loads(marker.read_text(encoding="utf-8"))["spec"] == spec):
        written = write_sample(entry, raw)
        marker.write_text(json.dumps({"spec": spec, "n_obs": written.n_obs}), encoding="utf-8")
    n_spots = int(json.loads(marker.read_text(encoding="utf-8"))["n_obs"])
    bench_manifest = manifest.model_copy(update={"samples": [entry]})
    (task,) = make_tasks(bench_manifest, workdir / "atlas", data_root=raw, cache_dir=workdir / "cache", force=True)
    return BenchSample(task, n_spots, size_um, um_per_px)


@contextlib.contextmanager
def single_core(threads: int = 1) -> Iterator[None]:
    """Run numba kernels on ``threads`` threads and dask synchronously when ``threads`` is 1."""
    import dask
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    scheduler = "synchronous" if threads == 1 else "threads"
    try:
        with dask.config.set(scheduler=scheduler, num_workers=threads):
            yield
    finally:
        numba.set_num_threads(before)


class StageTimer:
    """Wall and CPU seconds per stage, accumulated by wrapping the functions the pipeline calls."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    def wrap(self, stage: str, func: Callable[P, R]) -> Callable[P, R]:
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.wall[stage] = self.wall.get(stage, 0.0) + time.perf_counter() - wall
                self.cpu[stage] = self.cpu.get(stage, 0.0) + time.process_time() - cpu

        return timed

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Wrap the stage functions where ``humanst.builder.pipeline`` looks them up (it imports at call time)."""
        import humanst.fetch
        import humanst.harmonise.genes
        import humanst.harmonise.qc
        import humanst.pathways
        import humanst.readers
        import humanst.store.patch_parts
        import humanst.store.sample_zarr

        get_reader = humanst.readers.get_reader

        def reader_with_timed_image(platform: str) -> ReaderSpec:
            spec = get_reader(platform)

            def read(entry: SampleEntry, paths: Sequence[Path], settings: ReadSettings) -> RawSample:
                raw = spec.func(entry, paths, settings)
                raw.image = dataclasses.replace(raw.image, load=self.wrap("image load", raw.image.load))
                return raw

            return dataclasses.replace(spec, func=self.wrap("read (reader)", read))

        targets: list[tuple[ModuleType, str, str]] = [
            (humanst.fetch, "materialise_sample", "fetch (local path)"),
            (humanst.harmonise.qc, "check_counts", "harmonise + QC"),
            (humanst.harmonise.genes, "harmonise_genes", "harmonise + QC"),
            (humanst.harmonise.qc, "spot_filter", "harmonise + QC"),
            (humanst.pathways, "score", "pathway scores"),
            (humanst.store.sample_zarr, "write_sample_store", "SpatialData store"),
            (humanst.store.patch_parts, "write_part", "JPEG parquet part"),
        ]
        saved = [(module, name, getattr(module, name)) for module, name, _ in targets]
        try:
            for module, name, stage in targets:
                setattr(module, name, self.wrap(stage, getattr(module, name)))
            humanst.readers.get_reader = reader_with_timed_image
            yield
        finally:
            for module, name, func in saved:
                setattr(module, name, func)
            humanst.readers.get_reader = get_reader


def run_humanst(task: SampleTask, *, threads: int = 1) -> tuple[SampleOutcome, float, float, StageTimer]:
    """Build ``task`` with ``build_sample``; return the outcome, wall and CPU seconds, and the stage times."""
    from humanst.builder.pipeline import build_sample

    shutil.rmtree(task.atlas.root, ignore_errors=True)
    timer = StageTimer()
    with single_core(threads), timer.installed():
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = build_sample(task)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if outcome.status != "built":
        msg = f"sample '{task.entry.id}' did not build ({outcome.status}): {outcome.error}"
        raise RuntimeError(msg)
    return outcome, wall, cpu, timer


def _kept_spots(task: SampleTask) -> tuple[np.ndarray, np.ndarray, RawSample]:
    """Spot ids and pixel centres of the spots the build kept (in part order), and the reader's sample."""
    import pyarrow.parquet as pq

    from humanst.fetch import materialise_sample
    from humanst.readers import ReadSettings, get_reader

    entry, settings = task.entry, task.settings
    inputs = materialise_sample(entry, data_root=task.data_root, cache_dir=task.cache_dir)
    read = ReadSettings(settings.pseudo_spot_um, entry.um_per_px, entry.um_per_px_source)
    raw = get_reader(entry.platform.value).func(entry, inputs, read)
    part, _ = task.atlas.part_paths(entry.id)
    kept = pq.read_table(part, columns=["spot_id"]).column("spot_id").to_numpy(zero_copy_only=False).astype(str)
    index = pd.Index(raw.counts.obs_names.astype(str)).get_indexer(kept)
    return kept, np.asarray(raw.xy_px, dtype=np.float64)[index], raw


def run_baseline(task: SampleTask, h5_path: Path) -> tuple[int, float, float]:
    """HEST-style dump of the built sample's spots into ``h5_path``; return spots, wall and CPU seconds."""
    import h5py

    from humanst.harmonise.patches import iter_patches

    barcodes, xy_px, raw = _kept_spots(task)  # untimed: the reader's work is not part of HEST's dump
    spec = task.settings.patch
    h5_path.unlink(missing_ok=True)
    wall, cpu = time.perf_counter(), time.process_time()
    image = np.asarray(raw.image.load())
    with h5py.File(h5_path, "w") as f:
        shape = (len(barcodes), spec.size_px, spec.size_px, 3)
        img = f.create_dataset("img", shape=shape, dtype=np.uint8, chunks=(1, *shape[1:]))
        coords = f.create_dataset("coords", shape=(len(barcodes), 2), dtype=np.int64)
        barcode = f.create_dataset("barcode", shape=(len(barcodes), 1), dtype=h5py.string_dtype("utf-8"))
        for i, (patch, _) in enumerate(iter_patches(image, xy_px, raw.um_per_px, spec)):
            img[i] = patch
            coords[i] = np.round(xy_px[i]).astype(np.int64)
            barcode[i] = barcodes[i]
        f["img"].attrs["patch_size"] = spec.size_px
        f["img"].attrs["pixel_size"] = spec.um_per_px
    return len(barcodes), time.perf_counter() - wall, time.process_time() - cpu


def part_patches(task: SampleTask) -> np.ndarray:
    """Decode the JPEG patches of the built part into an (n, size, size, 3) uint8 array."""
    import pyarrow.parquet as pq
    from PIL import Image

    part, _ = task.atlas.part_paths(task.entry.id)
    images = pq.read_table(part, columns=["image"]).column("image").to_pylist()
    return np.stack([np.asarray(Image.open(io.BytesIO(row["bytes"])).convert("RGB")) for row in images])


def disk_mb(path: Path) -> float:
    """Bytes on disk (apparent size) of a file or a folder tree, in MB."""
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _table(spots: int, wall: float, cpu: float, timer: StageTimer, base: tuple[int, float, float]) -> pd.DataFrame:
    rows = [("humanst build_sample (end to end)", spots, wall, cpu)]
    rows += [(f"  stage: {stage}", spots, timer.wall[stage], timer.cpu[stage]) for stage in timer.wall]
    rows.append(("  stage: other", spots, wall - sum(timer.wall.values()), cpu - sum(timer.cpu.values())))
    rows.append(("baseline: patches one at a time into uncompressed HDF5 (HEST approach)", *base))
    table = pd.DataFrame(rows, columns=["row", "spots", "seconds", "cpu_s"])
    table["share"] = table["seconds"] / wall
    table.loc[table.index[-1], "share"] = np.nan
    table["spots_per_s"] = table["spots"] / table["seconds"]
    table["spots_per_cpu_s"] = table["spots"] / table["cpu_s"]
    return table


def _render(table: pd.DataFrame) -> str:
    width = int(table["row"].str.len().max())
    formats: dict[str, Callable[[float], str]] = {
        "row": lambda v: str(v).ljust(width), "seconds": "{:.3f}".format, "cpu_s": "{:.3f}".format,
        "share": lambda v: "-" if np.isnan(v) else f"{v:.1%}", "spots_per_s": "{:.0f}".format,
        "spots_per_cpu_s": "{:.0f}".format,
    }  # fmt: skip
    return table.to_string(index=False, formatters=formats, na_rep="-", justify="left")


def _profile(task: SampleTask, threads: int, top: int) -> str:
    from humanst.builder.pipeline import build_sample

    shutil.rmtree(task.atlas.root, ignore_errors=True)
    profiler = cProfile.Profile()
    with single_core(threads):
        profiler.runcall(build_sample, task)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Write the sample, warm up, run both rows and print the table, the sizes on disk and the target check."""
    import numba

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-um", type=float, default=6500.0, help="capture area side (6500 = full Visium)")
    parser.add_argument("--um-per-px", type=float, default=1.0, help="H&E pixel size of the synthetic sample")
    parser.add_argument("--threads", type=int, default=1, help="numba threads (1: one core end to end)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the sample here (reused on rerun)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also print cProfile's top N")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="humanst-perf-build-"))
    workdir.mkdir(parents=True, exist_ok=True)
    warm = make_sample(workdir / "warmup", size_um=800.0, um_per_px=args.um_per_px)
    run_humanst(warm.task, threads=args.threads)  # imports, numba compilation, shipped gene sets parsed once
    sample = make_sample(workdir, size_um=args.size_um, um_per_px=args.um_per_px)
    task = sample.task
    outcome, wall, cpu, timer = run_humanst(task, threads=args.threads)
    h5_path = workdir / f"{SAMPLE_ID}.h5"
    base = run_baseline(task, h5_path)
    table = _table(outcome.spots_kept, wall, cpu, timer, base)
    store_mb, part_mb, h5_mb = (
        disk_mb(task.atlas.store_path(SAMPLE_ID)),
        disk_mb(task.atlas.parts_dir),
        disk_mb(h5_path),
    )
    side_px = round(args.size_um / args.um_per_px)
    print(f"synthetic Visium {args.size_um:g} um square at {args.um_per_px:g} um/px ({side_px} px side), "
          f"{sample.n_spots_raw} spots read, {outcome.spots_kept} kept, {outcome.genes} genes; "
          f"os.cpu_count()={os.cpu_count()}, numba threads during the build={args.threads}")  # fmt: skip
    print(_render(table))
    print(f"on disk: SpatialData store {store_mb:.1f} MB (includes the image pyramid) + parquet part {part_mb:.1f} MB"
          f" = {store_mb + part_mb:.1f} MB; HDF5 patches {h5_mb:.1f} MB (patches alone: part {part_mb:.1f} MB vs "
          f"HDF5 {h5_mb:.1f} MB, {h5_mb / part_mb:.1f}x)")  # fmt: skip
    per_core = outcome.spots_kept / (wall * args.threads)
    verdict = "met" if per_core >= 1000 else "NOT met"
    print(f"target >= 1,000 spots/s/core end to end: {verdict} ({per_core:.0f} spots/s/core wall over "
          f"{args.threads} thread(s); {outcome.spots_kept / cpu:.0f} spots per CPU-second)")  # fmt: skip
    if args.profile:
        print(_profile(task, args.threads, args.profile))
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # set when numba is imported
    return table


if __name__ == "__main__":
    main()
