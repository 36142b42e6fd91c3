"""``stamp embed-slides``: tissue tiles of many whole-slide images through a base or STAMP-aligned encoder.

Per slide (see :mod:`stamp.slides.features` for the files): open, find tissue, cut the micron grid, read tiles in
``DataLoader`` workers, embed in batches, write ``h5_files/<slide>.h5`` and ``<slide>.safetensors``. A slide whose
file (size and mtime, else sha256) and settings are unchanged is skipped; a killed run resumes where it stopped;
an unreadable slide is reported and skipped while the rest go on. Under ``torchrun`` the sorted slide list is
dealt round-robin to the ranks (a function of the list alone), each rank resumable on its own.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from humanst.atomic import atomic_write_json, remove_path
from humanst.console import progress
from humanst.provenance import package_versions
from humanst.slides import AUTO_BACKEND, TilingSettings, find_slides, slide_id_of
from stamp._logging import logger
from stamp.embed import build_encoder
from stamp.embedding_cache import cache_key, write_cache_info
from stamp.hub.adapter_source import AdapterSource
from stamp.slides.features import (
    PREVIEW_FOLDER,
    REPORT_FILE,
    SLIDE_FEATURES_VERSION,
    SlideFeatureFolder,
    SlideFeatures,
    slide_feature_folder,
    write_slide_features,
)
from stamp.slides.tile_stream import SlideJob, SlideTileStream

__all__ = ["SlideEmbedResult", "embed_slides", "rank_shard"]


@dataclass
class SlideEmbedResult:
    """What a run did: the feature folder, slides embedded / skipped / failed (with the reason), tiles, seconds.

    Under ``torchrun`` rank 0 holds the outcome of every rank; another rank (``rank > 0``) only its own.
    """

    folder: Path
    embedded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    tiles: int = 0
    seconds: float = 0.0
    rank: int = 0

    @property
    def tiles_per_s(self) -> float:
        """Embedded tiles per second of wall time."""
        return self.tiles / self.seconds if self.seconds > 0 else 0.0


def rank_shard(paths: Sequence[Path], rank: int, world_size: int) -> list[Path]:
    """Return this rank's slides: every ``world_size``-th of the list sorted by slide id, from ``rank``.

    The shard depends on the list alone, so every slide has exactly one owner at any world size; finished slides
    are skipped by whichever rank owns them in a rerun.
    """
    ordered = sorted(paths, key=lambda p: (slide_id_of(p), str(p)))
    return ordered[rank::world_size]


def _settings_hash(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _is_current(store: SlideFeatureFolder, path: Path, settings_hash: str) -> tuple[bool, str | None]:
    """Whether the slide's features are up to date; the sha256 when it had to be computed to decide."""
    meta = store.meta(slide_id_of(path))
    if meta is None or meta.get("settings_hash") != settings_hash:
        return False, None
    stat = path.stat()
    if meta.get("slide_size") != str(stat.st_size):
        return False, None
    if meta.get("slide_mtime_ns") == str(stat.st_mtime_ns):
        return True, None
    from humanst.fetch.cache import file_sha256

    sha256 = file_sha256(path)  # touched or copied: same content is still up to date
    return meta.get("slide_sha256") == sha256, sha256


def _clean_stale_temps(folder: Path) -> None:
    """Remove the hidden temporary files a killed run left behind (``.<name>.tmp-<pid>-<id>``)."""
    for sub in (folder, folder / "h5_files", folder / PREVIEW_FOLDER):
        for tmp in sub.glob(".*.tmp-*") if sub.is_dir() else []:
            remove_path(tmp)


@dataclass(frozen=True)
class _RunSettings:
    """Everything a run needs besides the model and the slide list."""

    tiling: TilingSettings
    backend: str
    um_per_px: float | None
    batch_size: int
    num_workers: int
    show_progress: bool
    identity: dict[str, Any]
    settings_hash: str
    adapter_dir: str | None
    origin: dict[str, str]  # adapter_source, adapter_commit (empty without an adapter)
    versions: dict[str, str]


class _Embedder:
    """Runs batches of uint8 tiles through the encoder on its device (normalisation on the device)."""

    def __init__(self, model: Any, device: torch.device) -> None:
        self.model = model.to(device).eval()
        self.device = device
        self.mean = torch.tensor(model.spec.mean, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(model.spec.std, device=device).view(1, 3, 1, 1)

    @torch.inference_mode()
    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        x = pixels.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)
        x = (x - self.mean) / self.std
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            return self.model(x).float().cpu()


def embed_slides(
    slides: Sequence[str | Path],
    encoder: str,
    *,
    out: Path,
    adapter: str | Path | AdapterSource | None = None,
    weights: Path | None = None,
    random_init: bool = False,
    tiling: TilingSettings | None = None,
    backend: str = AUTO_BACKEND,
    um_per_px: float | None = None,
    batch_size: int = 64,
    num_workers: int = 2,
    device: str = "auto",
    show_progress: bool = True,
) -> SlideEmbedResult:
    """Embed the tissue tiles of every slide into ``out/<key>/``; return what was done.

    Parameters
    ----------
    slides
        Slide files, or folders searched recursively for slide suffixes.
    encoder
        Registered encoder name or ``timm:<arch>``.
    out
        Feature root (``FEATS``); the slides go to ``FEATS/<size>px-<mpp>um/<encoder>[+<adapter-hash>|+random]/``.
    adapter
        Run directory of ``stamp fit`` or ``hf:ORG/NAME[@REVISION]``: embed with the aligned encoder.
    weights
        Local safetensors weights of the base encoder.
    random_init
        The architecture with random weights (the baseline).
    tiling
        Tile size and pixel size (default 224 px at 0.5 um/px), tissue threshold, ``max_tiles`` cap.
    backend, um_per_px
        Slide backend (``auto``, ``openslide``, ``tiffslide``) and a pixel-size override for every slide.
    batch_size, num_workers, device
        Tiles per forward pass, tile-reading worker processes, ``auto``/``cpu``/``cuda``.
    show_progress
        Show slides done and tiles per second.
    """
    from stamp.train.distributed import init_distributed, shutdown_distributed

    tiling = tiling or TilingSettings()
    dist_info = init_distributed(device)
    started = time.perf_counter()
    paths = find_slides(slides)
    model, ahash, source = build_encoder(encoder, adapter, weights, random_init=random_init)
    spec = model.spec
    key = cache_key(spec.name, adapter_hash=ahash, random_init=random_init)
    folder = slide_feature_folder(out, size_px=tiling.size_px, um_per_px=tiling.um_per_px, key=key)
    store = SlideFeatureFolder(folder)
    identity = {
        "format": SLIDE_FEATURES_VERSION,
        "encoder": spec.name,
        "weights": model.weights_id,
        "adapter": ahash,
        "input_size": spec.input_size,
        "pooling": spec.pooling,
        "tiling": tiling.to_json(),
        "backend": backend,
        "um_per_px_override": um_per_px,
    }
    settings_hash = _settings_hash(identity)
    if dist_info.is_main:
        folder.mkdir(parents=True, exist_ok=True)
        _clean_stale_temps(folder)
    _barrier(dist_info.world_size)
    result = SlideEmbedResult(folder, rank=dist_info.rank)
    jobs: list[SlideJob] = []
    for path in rank_shard(paths, dist_info.rank, dist_info.world_size):
        current, sha256 = _is_current(store, path, settings_hash)
        if current:
            result.skipped.append(slide_id_of(path))
        else:
            jobs.append(SlideJob(len(jobs), path, slide_id_of(path), sha256))
    run = _RunSettings(
        tiling=tiling,
        backend=backend,
        um_per_px=um_per_px,
        batch_size=batch_size,
        num_workers=num_workers,
        show_progress=show_progress and dist_info.is_main,
        identity=identity,
        settings_hash=settings_hash,
        adapter_dir=str(source.folder) if source else None,
        origin=source.provenance() if source else {},
        versions=package_versions(),
    )
    _run_jobs(jobs, _Embedder(model, dist_info.device), store, result, run)
    result.seconds = time.perf_counter() - started
    result = _finish(result, store, model, world_size=dist_info.world_size, is_main=dist_info.is_main, run=run)
    if dist_info.world_size > 1:
        shutdown_distributed()
    return result


def _barrier(world_size: int) -> None:
    if world_size > 1:
        import torch.distributed as dist

        dist.barrier()


def _run_jobs(
    jobs: list[SlideJob], embedder: _Embedder, store: SlideFeatureFolder, result: SlideEmbedResult, run: _RunSettings
) -> None:
    """Stream the jobs' tiles through the encoder; write each slide when its last tile is embedded."""
    from rich.progress import TextColumn

    if not jobs:
        return
    stream = SlideTileStream(
        jobs,
        run.tiling,
        embedder.model.spec.input_size,
        backend=run.backend,
        um_per_px=run.um_per_px,
        preview_dir=store.folder / PREVIEW_FOLDER,
        chunk_tiles=run.batch_size,
    )
    workers = min(run.num_workers, len(jobs))
    pin = embedder.device.type == "cuda"
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers, pin_memory=pin)
    open_slides: dict[int, dict[str, Any]] = {}
    t0 = time.perf_counter()
    with progress(TextColumn("{task.fields[rate]}"), enabled=run.show_progress) as bar:
        slides_task = bar.add_task("slides", total=len(jobs), rate="")
        for item in loader:
            job = jobs[int(item["job"])]
            kind = item["kind"]
            if kind == "start":
                open_slides[job.index] = {**item, "features": None, "t0": time.perf_counter()}
                warning = item["record"]["pixel_size"].get("warning")
                if warning:
                    logger.warning(warning)
            elif kind == "tiles":
                state = open_slides[job.index]
                feats = embedder(item["pixels"])
                if state["features"] is None:
                    state["features"] = torch.zeros(len(state["coords_px"]), feats.shape[1])
                state["features"][item["indices"]] = feats
                result.tiles += len(feats)
                rate = result.tiles / max(time.perf_counter() - t0, 1e-9)
                bar.update(slides_task, rate=f"{result.tiles} tiles, {rate:.0f} tiles/s")
            elif kind == "end":
                _write(job, open_slides.pop(job.index), embedder, store, run)
                result.embedded.append(job.slide_id)
                bar.advance(slides_task)
            else:
                open_slides.pop(job.index, None)
                result.failed[job.slide_id] = str(item["message"])
                logger.error("skipped slide '%s': %s", job.slide_id, item["message"])
                bar.advance(slides_task)


def _write(
    job: SlideJob, state: dict[str, Any], embedder: _Embedder, store: SlideFeatureFolder, run: _RunSettings
) -> None:
    """Write one finished slide's ``.h5`` and ``.safetensors`` with its provenance."""
    record = state["record"]
    n_tiles = len(state["coords_px"])
    if n_tiles == 0:
        logger.warning("slide '%s': no tile has enough tissue; its feature file holds 0 tiles", job.slide_id)
    dim = embedder.model.spec.embed_dim
    features = state["features"].numpy() if state["features"] is not None else np.zeros((0, dim), np.float32)
    stat = job.path.stat()
    sha256 = str(state["sha256"])
    identity = run.identity
    provenance = {
        "format_version": SLIDE_FEATURES_VERSION,
        "encoder": identity["encoder"],
        "weights": identity["weights"],
        "adapter_hash": identity["adapter"],
        "adapter_dir": run.adapter_dir,
        **run.origin,
        "input_size": identity["input_size"],
        "tiling": identity["tiling"],
        "slide": {**record, "size_bytes": stat.st_size, "sha256": sha256},
        "settings_hash": run.settings_hash,
        "seconds": round(time.perf_counter() - state["t0"], 3),
        "versions": run.versions,
    }
    meta = {
        "encoder": identity["encoder"],
        "adapter_hash": identity["adapter"],
        "weights": identity["weights"],
        "content_hash": _settings_hash({"settings": run.settings_hash, "slide": sha256}),
        "settings_hash": run.settings_hash,
        "slide_size": str(stat.st_size),
        "slide_mtime_ns": str(stat.st_mtime_ns),
        "slide_sha256": sha256,
    }
    result = SlideFeatures(
        slide_id=job.slide_id,
        features=features,
        coords_px=np.asarray(state["coords_px"]),
        coords_um=np.asarray(state["coords_um"]),
        tissue_fraction=np.asarray(state["tissue_fraction"]),
        provenance=provenance,
    )
    write_slide_features(store.folder, result, meta=meta)


def _finish(
    result: SlideEmbedResult, store: SlideFeatureFolder, model: Any, *, world_size: int, is_main: bool,
    run: _RunSettings,
) -> SlideEmbedResult:  # fmt: skip
    """Gather every rank's outcome; the main rank writes ``cache.json`` and ``slides_report.json``.

    Returns the outcome of all ranks on the main rank, the rank's own elsewhere.
    """
    outcomes = [result]
    if world_size > 1:
        import torch.distributed as dist

        gathered: list[Any] = [None] * world_size
        dist.all_gather_object(gathered, result)
        outcomes = gathered
    if not is_main:
        return result
    merged = SlideEmbedResult(
        store.folder,
        embedded=[s for o in outcomes for s in o.embedded],
        skipped=[s for o in outcomes for s in o.skipped],
        failed={s: e for o in outcomes for s, e in o.failed.items()},
        tiles=sum(o.tiles for o in outcomes),
        seconds=max(o.seconds for o in outcomes),
    )
    report = {
        "folder": str(store.folder),
        "world_size": world_size,
        "slides": {
            **{s: {"status": "skipped", "rank": r} for r, o in enumerate(outcomes) for s in o.skipped},
            **{s: {"status": "embedded", "rank": r} for r, o in enumerate(outcomes) for s in o.embedded},
            **{
                s: {"status": "failed", "rank": r, "error": e}
                for r, o in enumerate(outcomes)
                for s, e in o.failed.items()
            },
        },
        "tiles": merged.tiles,
        "seconds": round(merged.seconds, 3),
    }
    atomic_write_json(store.folder / REPORT_FILE, report)
    spec = model.spec
    write_cache_info(
        store.folder, encoder=spec.name, adapter_hash=run.identity["adapter"], weights=model.weights_id,
        embed_dim=spec.embed_dim, origin=run.origin,
    )  # fmt: skip
    return merged
