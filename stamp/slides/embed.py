"""``stamp embed-slides``: tissue tiles of many whole-slide images through a base or STAMP-aligned encoder.

Per slide (see :mod:`stamp.slides.features` for the files): open, find tissue, cut the micron grid, read tiles in
``DataLoader`` workers, embed in batches, write ``h5_files/<slide>.h5`` and ``<slide>.safetensors``. A slide whose
file (size and mtime, else sha256) and settings are unchanged is skipped; a killed run resumes where it stopped;
an unreadable slide is reported and skipped while the rest go on. Under ``torchrun`` the sorted slide list is
dealt round-robin to the ranks (a function of the list alone), each rank resumable on its own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from humanst.atomic import atomic_write_json, probe_writable, remove_path
from humanst.provenance import package_versions
from humanst.slides import AUTO_BACKEND, TilingSettings, find_slides, slide_id_of
from stamp.embed import build_encoder
from stamp.embedding_cache import cache_key, write_cache_info
from stamp.errors import ConfigError, OutputError
from stamp.hub.adapter_source import AdapterSource
from stamp.slides.embed_loop import Embedder, RunSettings, run_jobs, settings_hash
from stamp.slides.features import (
    H5_FOLDER,
    PREVIEW_FOLDER,
    REPORT_FILE,
    SLIDE_FEATURES_VERSION,
    SlideFeatureFolder,
    slide_feature_folder,
)
from stamp.slides.freshness import check_freshness
from stamp.slides.tile_stream import SlideJob

if TYPE_CHECKING:
    from stamp.encoders.encoder import Encoder

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
    notes: list[str] = field(default_factory=list)  # pixel sizes --mpp replaced, outputs found damaged

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


def _clean_stale_temps(folder: Path) -> None:
    """Remove the hidden temporary files a killed run left behind (``.<name>.tmp-<pid>-<id>``)."""
    for sub in (folder, folder / H5_FOLDER, folder / PREVIEW_FOLDER):
        for tmp in sub.glob(".*.tmp-*") if sub.is_dir() else []:
            remove_path(tmp)


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
    mpp_override: bool = False,
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
        Slide backend (``auto``, ``openslide``, ``tiffslide``) and the level-0 pixel size of slides whose metadata
        has none (or only the objective power).
    mpp_override
        Let ``um_per_px`` replace the pixel size of every slide (each replaced value is in ``notes``).
    batch_size, num_workers, device
        Tiles per forward pass, tile-reading worker processes, ``auto``/``cpu``/``cuda``.
    show_progress
        Show slides done and tiles per second.

    Raises
    ------
    OutputError
        ``out`` cannot be created or written (checked before any slide is read).
    ConfigError
        ``mpp_override`` without ``um_per_px``.
    """
    from stamp.train.distributed import init_distributed, shutdown_distributed

    if mpp_override and um_per_px is None:
        msg = "--mpp-override replaces the slides' pixel size with --mpp, which is not given; pass --mpp UM_PER_PX"
        raise ConfigError(msg)
    _check_out(out)
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
        # how --mpp is used; absent without --mpp, so runs that never gave it keep their hash
        **({} if um_per_px is None else {"mpp_mode": "override" if mpp_override else "fill"}),
    }
    settings = settings_hash(identity)
    if dist_info.is_main:
        folder.mkdir(parents=True, exist_ok=True)
        _clean_stale_temps(folder)
    _barrier(dist_info.world_size)
    result = SlideEmbedResult(folder, rank=dist_info.rank)
    jobs = _jobs(rank_shard(paths, dist_info.rank, dist_info.world_size), store, settings, result)
    run = RunSettings(
        tiling=tiling,
        backend=backend,
        um_per_px=um_per_px,
        mpp_override=mpp_override,
        batch_size=batch_size,
        num_workers=num_workers,
        show_progress=show_progress and dist_info.is_main,
        identity=identity,
        settings_hash=settings,
        adapter_dir=str(source.folder) if source else None,
        origin=source.provenance() if source else {},
        versions=package_versions(),
    )
    done = run_jobs(jobs, Embedder(model, dist_info.device), store, run)
    result.embedded, result.tiles = done.embedded, done.tiles
    result.failed.update(done.failed)
    result.notes += done.notes
    result.seconds = time.perf_counter() - started
    result = _finish(result, store, model, world_size=dist_info.world_size, is_main=dist_info.is_main, run=run)
    if dist_info.world_size > 1:
        shutdown_distributed()
    return result


def _check_out(out: Path) -> None:
    """Refuse an ``--out`` that cannot be created or written, in one line, before any slide is read."""
    try:
        probe_writable(Path(out))
    except OSError as exc:
        cause = exc.strerror or type(exc).__name__
        where = f" ('{exc.filename}')" if exc.filename and str(exc.filename) != str(out) else ""
        msg = f"--out '{out}': cannot create or write the folder{where} ({cause}); choose another folder or fix it"
        raise OutputError(msg) from exc


def _jobs(paths: list[Path], store: SlideFeatureFolder, settings: str, result: SlideEmbedResult) -> list[SlideJob]:
    """Slides to embed: those not up to date; a slide whose file cannot even be checked is failed here."""
    jobs: list[SlideJob] = []
    for path in paths:
        slide_id = slide_id_of(path)
        try:
            fresh = check_freshness(store, path, settings)
        except OSError as exc:
            result.failed[slide_id] = f"cannot read '{path}' ({exc.strerror or type(exc).__name__})"
            continue
        if fresh.current:
            result.skipped.append(slide_id)
            continue
        if fresh.damage is not None:
            result.notes.append(f"slide '{slide_id}' embedded again: {fresh.damage}")
        jobs.append(SlideJob(len(jobs), path, slide_id, fresh.sha256))
    return jobs


def _barrier(world_size: int) -> None:
    if world_size > 1:
        import torch.distributed as dist

        dist.barrier()


def _finish(
    result: SlideEmbedResult, store: SlideFeatureFolder, model: Encoder, *, world_size: int, is_main: bool,
    run: RunSettings,
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
        notes=[n for o in outcomes for n in o.notes],
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
