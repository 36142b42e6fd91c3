"""Embedding cache: ``EMB/<key>/<sample>.safetensors`` + ``cache.json`` (the contract of ``stamp embed``).

Each sample file holds one float32 tensor ``embeddings`` [N, D] and string metadata (``schema_version``,
``sample_id``, ``encoder``, ``adapter_hash``, ``weights``, ``content_hash``, ``embed_dim``, ``spot_ids`` as
a JSON list in row order). Reading checks all of it; safetensors holds raw tensors only (no pickle).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.errors import CacheError

__all__ = [
    "CACHE_SCHEMA_VERSION",
    "EmbeddingFile",
    "cache_key",
    "embeddings_hash",
    "read_cache_info",
    "read_embeddings",
    "write_cache_info",
    "write_embeddings",
]

CACHE_SCHEMA_VERSION = 1
REQUIRED_META = ("schema_version", "sample_id", "encoder", "adapter_hash", "weights", "content_hash", "embed_dim")


@dataclass(frozen=True)
class EmbeddingFile:
    """One sample's embeddings: spot ids (row order), the [N, D] float32 matrix and the file's metadata."""

    spot_ids: list[str]
    embeddings: np.ndarray
    meta: dict[str, str]


def cache_key(encoder: str, *, adapter_hash: str = "", random_init: bool = False) -> str:
    """Folder name of an encoder's cache: ``:`` -> ``-``, then ``+<adapter hash>`` and/or ``+random``."""
    key = encoder.replace(":", "-")
    if adapter_hash:
        key += f"+{adapter_hash}"
    if random_init:
        key += "+random"
    return key


def read_embeddings(path: Path, *, expected_dim: int | None = None) -> EmbeddingFile:
    """Read and check one ``<sample>.safetensors`` file.

    Raises
    ------
    CacheError
        Missing file, not safetensors, wrong tensor name/dtype/shape, NaN or infinite values, spot ids
        that do not match the rows, or missing metadata keys.
    """
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        msg = "embedding file not found; run `stamp embed` (or `stamp-bench run`) to fill the cache"
        raise CacheError(msg, path=path)
    try:
        with safe_open(str(path), framework="numpy") as handle:
            meta = dict(handle.metadata() or {})
            names = list(handle.keys())
            if names != ["embeddings"]:
                msg = f"expected exactly one tensor named 'embeddings'; found {names}"
                raise CacheError(msg, path=path)
            emb = handle.get_tensor("embeddings")
    except (SafetensorError, OSError, ValueError) as exc:
        msg = f"not a readable safetensors file ({exc}); write embeddings with safetensors, nothing else"
        raise CacheError(msg, path=path) from exc
    missing = [k for k in (*REQUIRED_META, "spot_ids") if k not in meta]
    if missing:
        msg = f"metadata lacks {missing}; the cache contract needs {[*REQUIRED_META, 'spot_ids']}"
        raise CacheError(msg, path=path)
    if emb.dtype != np.float32 or emb.ndim != 2 or emb.shape[0] == 0:
        msg = f"'embeddings' must be a non-empty float32 [N, D] matrix; found {emb.dtype} {list(emb.shape)}"
        raise CacheError(msg, path=path)
    if expected_dim is not None and emb.shape[1] != expected_dim:
        msg = f"embedding dimension {emb.shape[1]} differs from the model's {expected_dim}; re-embed all samples"
        raise CacheError(msg, path=path)
    if str(emb.shape[1]) != meta["embed_dim"]:
        msg = f"metadata embed_dim={meta['embed_dim']} but the tensor has {emb.shape[1]} columns"
        raise CacheError(msg, path=path)
    bad = int((~np.isfinite(emb)).any(axis=1).sum())
    if bad:
        msg = f"{bad} row(s) hold NaN or infinite values; embeddings must be finite"
        raise CacheError(msg, path=path)
    try:
        spot_ids = json.loads(meta["spot_ids"])
    except json.JSONDecodeError as exc:
        msg = "metadata 'spot_ids' is not a JSON list of strings"
        raise CacheError(msg, path=path) from exc
    if not isinstance(spot_ids, list) or len(spot_ids) != emb.shape[0] or len(set(map(str, spot_ids))) != len(spot_ids):
        msg = f"metadata 'spot_ids' must list {emb.shape[0]} distinct ids, one per row"
        raise CacheError(msg, path=path)
    return EmbeddingFile([str(s) for s in spot_ids], emb, meta)


def write_embeddings(
    folder: Path, sample_id: str, spot_ids: Sequence[str], embeddings: np.ndarray, meta: dict[str, str]
) -> Path:
    """Write one sample's embeddings in the cache format (temp file, then rename)."""
    from safetensors.numpy import save_file

    emb = np.ascontiguousarray(embeddings, dtype=np.float32)
    full = {
        "schema_version": str(CACHE_SCHEMA_VERSION),
        "sample_id": sample_id,
        "embed_dim": str(emb.shape[1]),
        "spot_ids": json.dumps([str(s) for s in spot_ids]),
        **{k: str(v) for k, v in meta.items()},
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sample_id}.safetensors"
    tmp = path.with_suffix(".safetensors.tmp")
    save_file({"embeddings": emb}, str(tmp), metadata=full)
    tmp.replace(path)
    return path


def write_cache_info(folder: Path, *, encoder: str, adapter_hash: str, weights: str, embed_dim: int) -> Path:
    """Write ``cache.json`` from the sample files present (their content hashes)."""
    samples = {}
    for path in sorted(folder.glob("*.safetensors")):
        samples[path.stem] = read_embeddings(path).meta["content_hash"]
    info = {
        "schema_version": CACHE_SCHEMA_VERSION,
        "encoder": encoder,
        "adapter_hash": adapter_hash,
        "weights": weights,
        "embed_dim": embed_dim,
        "samples": samples,
    }
    out = folder / "cache.json"
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info, indent=2), encoding="utf-8")
    tmp.replace(out)
    return out


def read_cache_info(folder: Path) -> dict[str, object]:
    """Read ``cache.json`` of an embedding folder.

    Raises
    ------
    CacheError
        Missing, unreadable or of another schema version.
    """
    path = Path(folder) / "cache.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        msg = f"no readable cache.json ({exc}); an embedding folder is made by `stamp embed`"
        raise CacheError(msg, path=path) from exc
    if not isinstance(info, dict) or info.get("schema_version") != CACHE_SCHEMA_VERSION:
        found = info.get("schema_version") if isinstance(info, dict) else type(info).__name__
        msg = f"cache schema_version {found!r}, expected {CACHE_SCHEMA_VERSION}; re-embed with this version"
        raise CacheError(msg, path=path)
    return info


def embeddings_hash(folder: Path, samples: Sequence[str]) -> str:
    """sha256 over the task samples' content hashes, read from the files themselves."""
    digest = hashlib.sha256()
    for sample in sorted(samples):
        meta = read_embeddings(Path(folder) / f"{sample}.safetensors").meta
        digest.update(f"{sample}\t{meta['content_hash']}\n".encode())
    return digest.hexdigest()


def aligned_embeddings(folder: Path, sample_ids: np.ndarray, spot_ids: np.ndarray) -> np.ndarray:
    """Stack the cached embeddings of the given (sample, spot) rows, in that order.

    Raises
    ------
    CacheError
        A sample file is missing, a spot has no embedding, or samples differ in dimension.
    """
    folder = Path(folder)
    dim = None
    order = list(dict.fromkeys(sample_ids.tolist()))
    out = None
    for sample in order:
        file = read_embeddings(folder / f"{sample}.safetensors", expected_dim=dim)
        dim = file.embeddings.shape[1]
        if out is None:
            out = np.empty((sample_ids.size, dim), dtype=np.float32)
        where = {s: i for i, s in enumerate(file.spot_ids)}
        idx = np.flatnonzero(sample_ids == sample)
        missing = [s for s in spot_ids[idx].tolist() if s not in where]
        if missing:
            msg = f"sample '{sample}': {len(missing)} spot(s) have no embedding (e.g. {missing[:3]}); re-embed it"
            raise CacheError(msg, path=folder / f"{sample}.safetensors")
        out[idx] = file.embeddings[[where[s] for s in spot_ids[idx].tolist()]]
    if out is None:
        msg = "no samples asked for"
        raise CacheError(msg, path=folder)
    return out
