"""The slide loop of ``stamp embed-slides``: streamed tiles through the encoder, one slide written when it ends.

Every step of a slide can fail on its own: reading it (an ``error`` item from the tile stream), embedding its
tiles, writing its files. Whatever fails marks that slide failed with the reason, its remaining items are passed
over, and the other slides go on. Pixel sizes that ``--mpp`` replaced, and the slides that kept their own, are
written into the run's notes for the terminal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from humanst.console import progress
from stamp._logging import logger
from stamp.slides.features import PREVIEW_FOLDER, SLIDE_FEATURES_VERSION, SlideFeatureFolder, SlideFeatures
from stamp.slides.features import write_slide_features as _write_files
from stamp.slides.tile_stream import SlideJob, SlideTileStream

if TYPE_CHECKING:
    from humanst.slides import TilingSettings
    from stamp.encoders.encoder import Encoder

__all__ = ["Embedder", "RunOutcome", "RunSettings", "run_jobs"]


@dataclass(frozen=True)
class RunSettings:
    """Everything a run needs besides the model and the slide list."""

    tiling: TilingSettings
    backend: str
    um_per_px: float | None
    mpp_override: bool
    batch_size: int
    num_workers: int
    show_progress: bool
    identity: dict[str, Any]
    settings_hash: str
    adapter_dir: str | None
    origin: dict[str, str]  # adapter_source, adapter_commit (empty without an adapter)
    versions: dict[str, str]


@dataclass
class RunOutcome:
    """What the loop did: slides embedded, failed (with the reason), tiles, and notes for the terminal."""

    embedded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    tiles: int = 0
    notes: list[str] = field(default_factory=list)
    kept_own_mpp: list[str] = field(default_factory=list)


class Embedder:
    """Runs batches of uint8 tiles through the encoder on its device (normalisation on the device)."""

    def __init__(self, model: Encoder, device: torch.device) -> None:
        self.model = model.to(device).eval()
        self.device = device
        self.mean = torch.tensor(model.spec.mean, device=device).view(1, 3, 1, 1)
        self.std = torch.tensor(model.spec.std, device=device).view(1, 3, 1, 1)

    @torch.inference_mode()
    def __call__(self, pixels: torch.Tensor) -> torch.Tensor:
        """Return the float32 features (on the CPU) of a ``(n, S, S, 3)`` uint8 batch."""
        x = pixels.to(self.device, non_blocking=True).permute(0, 3, 1, 2).float().div_(255.0)
        x = (x - self.mean) / self.std
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"):
            return self.model(x).float().cpu()


def _pixel_note(job: SlideJob, pixel_size: dict[str, Any], run: RunSettings, outcome: RunOutcome) -> None:
    """Say what ``--mpp`` replaced for this slide, or remember that the slide kept its own pixel size."""
    if pixel_size.get("replaced"):
        outcome.notes.append(
            f"slide '{job.slide_id}': pixel size {pixel_size['replaced']} replaced by {pixel_size['x_um']:g} um/px "
            f"({pixel_size['source']})"
        )
    elif run.um_per_px is not None and not str(pixel_size.get("source", "")).startswith(("--mpp", "override")):
        outcome.kept_own_mpp.append(f"{job.slide_id} {pixel_size['x_um']:g} um/px ({pixel_size['source']})")


class _Loop:
    """The state of one pass over the stream: open slides, failed slides, the outcome."""

    def __init__(self, jobs: list[SlideJob], embedder: Embedder, store: SlideFeatureFolder, run: RunSettings) -> None:
        self.jobs, self.embedder, self.store, self.run = jobs, embedder, store, run
        self.open: dict[int, dict[str, Any]] = {}
        self.dead: set[int] = set()
        self.outcome = RunOutcome()

    def handle(self, item: dict[str, Any]) -> bool:
        """Take one stream item; return whether a slide finished (embedded or failed)."""
        job = self.jobs[int(item["job"])]
        if job.index in self.dead:
            return False  # the rest of a slide that already failed here
        kind = item["kind"]
        if kind == "error":
            self._fail(job, str(item["message"]))
            return True
        try:
            if kind == "start":
                self.open[job.index] = {**item, "features": None, "t0": time.perf_counter()}
                pixel_size = item["record"]["pixel_size"]
                if pixel_size.get("warning"):
                    logger.warning(pixel_size["warning"])
                _pixel_note(job, pixel_size, self.run, self.outcome)
                return False
            if kind == "tiles":
                state = self.open[job.index]
                feats = self.embedder(item["pixels"])
                if state["features"] is None:
                    state["features"] = torch.zeros(len(state["coords_px"]), feats.shape[1])
                state["features"][item["indices"]] = feats
                self.outcome.tiles += len(feats)
                return False
            _write(job, self.open.pop(job.index), self.embedder, self.store, self.run)
            self.outcome.embedded.append(job.slide_id)
            return True
        except Exception as exc:  # noqa: BLE001  (one slide's failure must not stop the folder; the cause is reported)
            self._fail(job, f"{type(exc).__name__}: {exc}")
            return True

    def _fail(self, job: SlideJob, message: str) -> None:
        self.open.pop(job.index, None)
        self.dead.add(job.index)
        self.outcome.failed[job.slide_id] = message
        logger.error("skipped slide '%s': %s", job.slide_id, message)


def run_jobs(jobs: list[SlideJob], embedder: Embedder, store: SlideFeatureFolder, run: RunSettings) -> RunOutcome:
    """Stream the jobs' tiles through the encoder; write each slide when its last tile is embedded."""
    from rich.progress import TextColumn

    loop = _Loop(jobs, embedder, store, run)
    if not jobs:
        return loop.outcome
    stream = SlideTileStream(
        jobs,
        run.tiling,
        embedder.model.spec.input_size,
        backend=run.backend,
        um_per_px=run.um_per_px,
        mpp_override=run.mpp_override,
        preview_dir=store.folder / PREVIEW_FOLDER,
        chunk_tiles=run.batch_size,
    )
    workers = min(run.num_workers, len(jobs))
    pin = embedder.device.type == "cuda"
    loader = torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers, pin_memory=pin)
    t0 = time.perf_counter()
    with progress(TextColumn("{task.fields[rate]}"), enabled=run.show_progress) as bar:
        slides_task = bar.add_task("slides", total=len(jobs), rate="")
        for item in loader:
            if loop.handle(item):
                bar.advance(slides_task)
            rate = loop.outcome.tiles / max(time.perf_counter() - t0, 1e-9)
            bar.update(slides_task, rate=f"{loop.outcome.tiles} tiles, {rate:.0f} tiles/s")
    kept = loop.outcome.kept_own_mpp
    if kept:
        loop.outcome.notes.append(
            f"--mpp {run.um_per_px:g} was not used for {len(kept)} slide(s) with their own pixel size "
            f"({'; '.join(kept)}); --mpp fills in only slides without one, --mpp-override replaces it"
        )
    return loop.outcome


def _write(
    job: SlideJob, state: dict[str, Any], embedder: Embedder, store: SlideFeatureFolder, run: RunSettings
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
        "content_hash": content_hash(run.settings_hash, sha256),
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
    _write_files(store.folder, result, meta=meta)


def settings_hash(identity: dict[str, Any]) -> str:
    """Return the 16-hex hash of a run's settings (what makes two runs' features comparable)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def content_hash(settings: str, slide_sha256: str) -> str:
    """Return the hash of one slide's features: its settings and its file's content."""
    return settings_hash({"settings": settings, "slide": slide_sha256})
