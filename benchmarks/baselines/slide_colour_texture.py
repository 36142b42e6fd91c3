"""The colour/texture baseline on whole slides: :func:`patch_features` of every tissue tile, as slide features.

Tiles are cut exactly as ``stamp embed-slides`` cuts them (same tissue detection, micron grid, 224 px at 0.5 um/px
by default) and written in the same per-slide layout (``<FEATS>/<grid>/colour-texture/``), so tiers 2 and 3 read
the baseline like any encoder. A slide whose file and settings are unchanged and whose two outputs are whole is not
recomputed (:func:`stamp.slides.freshness.check_freshness`, as ``stamp embed-slides`` decides).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.baselines.colour_texture import FEATURE_VERSION, NAME, patch_features
from benchmarks.errors import BenchmarkError
from humanst.console import progress
from humanst.slides import TilingSettings, slide_id_of

__all__ = ["write_slide_colour_texture"]


def _settings_hash(tiling: TilingSettings) -> str:
    identity = {"baseline": NAME, "version": FEATURE_VERSION, "tiling": tiling.to_json()}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def write_slide_colour_texture(
    slides: Sequence[Path], out: Path, *, tiling: TilingSettings | None = None, show_progress: bool = True
) -> Path:
    """Compute the baseline's features of every tissue tile of ``slides`` into ``out/<grid>/colour-texture``.

    Raises
    ------
    BenchmarkError
        A slide cannot be read (its name and the reason).
    """
    from humanst.errors import SlideError
    from stamp.embedding_cache import write_cache_info
    from stamp.slides import SlideFeatureFolder, SlideFeatures, slide_feature_folder, write_slide_features
    from stamp.slides.freshness import check_freshness
    from stamp.slides.tile_stream import SlideJob, SlideTileStream

    tiling = tiling or TilingSettings()
    folder = slide_feature_folder(out, size_px=tiling.size_px, um_per_px=tiling.um_per_px, key=NAME)
    store = SlideFeatureFolder(folder)
    settings_hash = _settings_hash(tiling)
    dim = len(patch_features(np.full((8, 8, 3), 255, np.uint8)))
    with progress(enabled=show_progress) as bar:
        task = bar.add_task(f"{NAME} slide features", total=len(slides))
        for path in slides:
            slide_id, stat = slide_id_of(path), Path(path).stat()
            if check_freshness(store, Path(path), settings_hash).current:  # same settings, file and whole outputs
                bar.advance(task)
                continue
            stream = SlideTileStream([SlideJob(0, Path(path), slide_id)], tiling, tiling.size_px, chunk_tiles=64)
            state: dict[str, object] = {}
            features: np.ndarray = np.zeros((0, dim), np.float32)
            for item in stream:
                if item["kind"] == "error":
                    msg = f"slide '{slide_id}': {item['message']}"
                    raise BenchmarkError(msg)
                if item["kind"] == "start":
                    state = item
                    features = np.zeros((len(item["coords_px"]), dim), np.float32)
                elif item["kind"] == "tiles":
                    pixels = item["pixels"].numpy()
                    features[item["indices"].numpy()] = np.stack([patch_features(p) for p in pixels])
            record = dict(state["record"])  # type: ignore[call-overload]
            provenance = {
                "encoder": NAME, "weights": "none", "adapter_hash": "", "feature_version": FEATURE_VERSION,
                "tiling": tiling.to_json(), "slide": {**record, "size_bytes": stat.st_size, "sha256": state["sha256"]},
                "settings_hash": settings_hash,
            }  # fmt: skip
            result = SlideFeatures(slide_id, features, np.asarray(state["coords_px"]), np.asarray(state["coords_um"]),
                                   np.asarray(state["tissue_fraction"]), provenance)  # fmt: skip
            content = hashlib.sha256(f"{settings_hash}/{state['sha256']}".encode()).hexdigest()[:16]
            meta_out = {
                "encoder": NAME, "adapter_hash": "", "weights": "none", "content_hash": content,
                "settings_hash": settings_hash, "slide_size": str(stat.st_size),
                "slide_mtime_ns": str(stat.st_mtime_ns), "slide_sha256": str(state["sha256"]),
            }  # fmt: skip
            try:
                write_slide_features(folder, result, meta=meta_out)
            except SlideError as exc:  # pragma: no cover - the stream reports read errors itself
                raise BenchmarkError(str(exc)) from exc
            bar.advance(task)
    write_cache_info(folder, encoder=NAME, adapter_hash="", weights="none", embed_dim=dim)
    return folder
