"""Reading the embedding cache with every check (the format and its writers live in :mod:`stamp.embedding_cache`).

Reading checks tensor name, dtype, shape, finiteness, spot ids and metadata; safetensors holds raw tensors
only (no pickle).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.errors import CacheError
from humanst.errors import FileFormatError
from stamp.embedding_cache import (
    CACHE_FORMAT,
    CACHE_INFO,
    EMBED_SCHEMA_VERSION,
    CacheInfo,
    EmbeddingFile,
    cache_key,
    read_metadata,
    write_cache_info,
    write_embeddings,
)

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

CACHE_SCHEMA_VERSION = EMBED_SCHEMA_VERSION
REQUIRED_META = ("schema_version", "sample_id", "encoder", "adapter_hash", "weights", "content_hash", "embed_dim")


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


def read_cache_info(folder: Path) -> CacheInfo:
    """Read ``cache.json`` of an embedding folder, its schema version checked.

    Raises
    ------
    CacheError
        Missing, unreadable, of a schema version this code does not read, or not a valid index.
    """
    path = Path(folder) / CACHE_INFO
    if not path.is_file():
        msg = f"no {CACHE_INFO} in '{folder}'; an embedding folder is made by `stamp embed`"
        raise CacheError(msg, path=path)
    try:
        return CACHE_FORMAT.read(path)
    except FileFormatError as exc:
        msg = f"{exc}; re-embed the folder with `stamp embed`"
        raise CacheError(msg, path=path) from exc


def embeddings_hash(folder: Path, samples: Sequence[str]) -> str:
    """sha256 over the task samples' content hashes, read from the files themselves."""
    digest = hashlib.sha256()
    for sample in sorted(samples):
        meta = read_metadata(Path(folder) / f"{sample}.safetensors")
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
