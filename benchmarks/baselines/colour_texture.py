"""Colour/texture baseline: stain histograms and a few texture statistics of each patch (no learning).

Per 224 px patch: RGB means, standard deviations and 8-bin histograms; haematoxylin and eosin optical
densities by Ruifrok-Johnston colour deconvolution (means, standard deviations, 8-bin histograms); the
tissue (non-white) fraction; grey-level gradient magnitude (mean, sd), mean absolute Laplacian, and
grey-level co-occurrence contrast and homogeneity at distances 1 and 4 (horizontal and vertical).
A leaderboard entry that does not beat these features is reading colour and cellularity, not biology.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.baselines._registry import register_baseline
from benchmarks.cache import write_cache_info, write_embeddings
from humanst.store import Atlas

__all__ = ["FEATURE_VERSION", "NAME", "patch_features"]

NAME = "colour-texture"
FEATURE_VERSION = "1"
# Ruifrok & Johnston (2001) H&E(+DAB) stain vectors; rows = stains, columns = R, G, B optical density.
_STAINS = np.array([[0.65, 0.70, 0.29], [0.07, 0.99, 0.11], [0.27, 0.57, 0.78]])
_STAINS = _STAINS / np.linalg.norm(_STAINS, axis=1, keepdims=True)
_UNMIX = np.linalg.inv(_STAINS)


def _hist(values: np.ndarray, lo: float, hi: float, bins: int = 8) -> np.ndarray:
    counts, _ = np.histogram(np.clip(values, lo, hi), bins=bins, range=(lo, hi))
    return counts / max(1, values.size)


def _glcm(levels: np.ndarray, dy: int, dx: int, n_levels: int) -> tuple[float, float]:
    a = levels[: levels.shape[0] - dy, : levels.shape[1] - dx].ravel()
    b = levels[dy:, dx:].ravel()
    diff = (a.astype(np.int64) - b.astype(np.int64)).astype(np.float64)
    contrast = float((diff**2).mean()) / (n_levels - 1) ** 2
    homogeneity = float((1.0 / (1.0 + diff**2)).mean())
    return contrast, homogeneity


def patch_features(rgb: np.ndarray) -> np.ndarray:
    """Return the baseline's feature vector (float32) of one RGB uint8 patch [H, W, 3]."""
    pixels = rgb.reshape(-1, 3).astype(np.float64)
    feats = [pixels.mean(0) / 255, pixels.std(0) / 255]
    feats += [_hist(pixels[:, c], 0, 255) for c in range(3)]
    od = -np.log10(np.maximum(pixels, 1.0) / 255.0)
    stains = od @ _UNMIX
    for s in range(2):  # haematoxylin, eosin
        feats += [np.array([stains[:, s].mean(), stains[:, s].std()]), _hist(stains[:, s], 0.0, 1.5)]
    grey = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    feats.append(np.array([(grey < 220).mean()]))
    gy, gx = np.gradient(grey / 255)
    magnitude = np.hypot(gx, gy)
    lap = grey[1:-1, 1:-1] * 4 - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]
    feats.append(np.array([magnitude.mean(), magnitude.std(), np.abs(lap).mean() / 255]))
    levels = np.minimum((grey / 256 * 16).astype(np.int64), 15)
    for dy, dx in ((0, 1), (1, 0), (0, 4), (4, 0)):
        feats.append(np.array(_glcm(levels, dy, dx, 16)))
    return np.concatenate([np.ravel(f) for f in feats]).astype(np.float32)


def _sample_patches(atlas: Path, samples: Sequence[str]) -> dict[str, tuple[list[str], list[bytes]]]:
    import datasets

    ds = Atlas.open(atlas, need_dataset=True).load_dataset().select_columns(["sample_id", "spot_id", "image"])
    ds = ds.cast_column("image", datasets.Image(decode=False))
    wanted = set(samples)
    out: dict[str, tuple[list[str], list[bytes]]] = {s: ([], []) for s in samples}
    for batch in ds.iter(batch_size=512):
        for sample, spot, image in zip(batch["sample_id"], batch["spot_id"], batch["image"], strict=True):
            if sample in wanted:
                out[sample][0].append(str(spot))
                out[sample][1].append(image["bytes"])
    return out


@register_baseline(NAME, "stain (H, E, RGB) histograms + gradient, Laplacian and co-occurrence texture of the patch")
def write_colour_texture(atlas: Path, out: Path, samples: Sequence[str]) -> Path:
    """Compute the features of every patch of ``samples`` (the atlas patch dataset) into the cache folder ``out``.

    A sample whose patches are unchanged (same content hash) is not recomputed.
    """
    from PIL import Image

    from benchmarks.cache import read_embeddings
    from benchmarks.errors import CacheError

    patches = _sample_patches(atlas, samples)
    dim = 0
    for sample, (spot_ids, images) in patches.items():
        digest = hashlib.sha256(f"{NAME}:{FEATURE_VERSION}".encode())
        for spot, data in zip(spot_ids, images, strict=True):
            digest.update(spot.encode())
            digest.update(data)
        content_hash = digest.hexdigest()
        path = out / f"{sample}.safetensors"
        if path.exists():
            try:
                existing = read_embeddings(path)
            except CacheError:  # a damaged cache file is recomputed
                existing = None
            if existing is not None and existing.meta["content_hash"] == content_hash:
                dim = existing.embeddings.shape[1]
                continue
        feats = np.stack([patch_features(np.asarray(Image.open(io.BytesIO(b)).convert("RGB"))) for b in images])
        dim = feats.shape[1]
        meta = {"encoder": NAME, "adapter_hash": "", "weights": "none", "content_hash": content_hash}
        write_embeddings(out, sample, spot_ids, feats, meta)
    write_cache_info(out, encoder=NAME, adapter_hash="", weights="none", embed_dim=dim)
    return out
