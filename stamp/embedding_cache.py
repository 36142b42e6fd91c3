"""The embedding-cache format (DESIGN 4): ``EMB/<key>/<sample>.safetensors`` plus ``EMB/<key>/cache.json``.

Each sample file holds one float32 tensor ``embeddings`` [N, D] and string metadata: ``schema_version``,
``sample_id``, ``encoder``, ``adapter_hash``, ``weights``, ``content_hash``, ``embed_dim`` and ``spot_ids`` (a
JSON list in row order), and for an aligned encoder ``adapter_source`` and ``adapter_commit`` (the hub commit of an
``hf:`` adapter). ``stamp embed`` writes it; ``benchmarks`` reads and checks it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field

from humanst.strict_model import StrictModel
from humanst.versioned import VersionedFormat

__all__ = [
    "CACHE_FORMAT",
    "CACHE_INFO",
    "EMBED_SCHEMA_VERSION",
    "CacheInfo",
    "EmbeddingFile",
    "ReplicateInfo",
    "cache_key",
    "load_embeddings",
    "read_metadata",
    "write_cache_info",
    "write_embeddings",
]

EMBED_SCHEMA_VERSION = 1
CACHE_INFO = "cache.json"  # the index of one cache folder


class ReplicateInfo(StrictModel):
    """The adapter run's seed and replicate group (runs of one configuration up to the seed)."""

    seed: int | None = None
    group: str = ""


class CacheInfo(StrictModel):
    """``cache.json``: what embedded the folder, and every sample file present with its content hash."""

    schema_version: int = EMBED_SCHEMA_VERSION
    encoder: str
    adapter_hash: str = ""
    weights: str = ""
    embed_dim: int
    atlas: str | None = None
    adapter_source: str | None = None
    adapter_commit: str | None = None
    replicate: ReplicateInfo | None = None
    samples: dict[str, str] = Field(default_factory=dict)


CACHE_FORMAT: VersionedFormat[CacheInfo] = VersionedFormat(
    name=CACHE_INFO, model=CacheInfo, current=EMBED_SCHEMA_VERSION, key="schema_version", package="stamp",
    drop_none=True,
)  # fmt: skip


@dataclass(frozen=True)
class EmbeddingFile:
    """One sample's embeddings: spot ids (row order), the [N, D] float32 matrix and the file's metadata."""

    spot_ids: list[str]
    embeddings: np.ndarray
    meta: dict[str, str]


def cache_key(encoder: str, *, adapter_hash: str = "", random_init: bool = False) -> str:
    """Folder name of an encoder's cache: ``uni``, ``timm-resnet50``, ``uni+3fa2c1d0e9b7``, ``uni+random``."""
    key = encoder.replace(":", "-").replace("/", "-")
    if adapter_hash:
        key += f"+{adapter_hash}"
    if random_init:
        key += "+random"
    return key


def read_metadata(path: Path) -> dict[str, str]:
    """Read only the metadata of one ``<sample>.safetensors`` (its header; no tensor is loaded)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        return dict(handle.metadata() or {})


def load_embeddings(path: Path) -> EmbeddingFile:
    """Read one ``<sample>.safetensors`` of an embedding cache."""
    from safetensors import safe_open

    with safe_open(str(path), framework="numpy") as handle:
        meta = dict(handle.metadata() or {})
        embeddings = handle.get_tensor("embeddings")
    return EmbeddingFile(spot_ids=json.loads(meta.get("spot_ids", "[]")), embeddings=embeddings, meta=meta)


def write_embeddings(
    folder: Path, sample_id: str, spot_ids: Sequence[str], embeddings: np.ndarray, meta: dict[str, str]
) -> Path:
    """Write one sample's embeddings (temp file, then rename); ``meta`` adds encoder, hashes and weights."""
    from safetensors.numpy import save_file

    emb = np.ascontiguousarray(embeddings, dtype=np.float32)
    full = {
        "schema_version": str(EMBED_SCHEMA_VERSION),
        "sample_id": sample_id,
        "embed_dim": str(emb.shape[1]),
        "spot_ids": json.dumps([str(s) for s in spot_ids]),
        **{k: str(v) for k, v in meta.items()},
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sample_id}.safetensors"
    tmp = path.with_name(f".{path.name}.tmp")
    save_file({"embeddings": emb}, str(tmp), metadata=full)
    tmp.replace(path)
    return path


def write_cache_info(
    folder: Path,
    *,
    encoder: str,
    adapter_hash: str,
    weights: str,
    embed_dim: int,
    atlas: str | None = None,
    origin: dict[str, str] | None = None,
    replicate: ReplicateInfo | None = None,
) -> Path:
    """Write ``cache.json`` listing every sample file present with its content hash (temp file, then rename).

    ``origin`` is where the adapter came from (``adapter_source``: a run folder or ``hf:ORG/NAME@<commit>``;
    ``adapter_commit``): the last writer's, since a run folder and its pushed copy share one cache folder.
    ``replicate``: the adapter run's ``seed`` and ``replicate_group`` (runs of one configuration up to the seed).
    """
    folder = Path(folder)
    samples = {path.stem: read_metadata(path).get("content_hash", "") for path in sorted(folder.glob("*.safetensors"))}
    info = CacheInfo.model_validate(
        {
            "encoder": encoder, "adapter_hash": adapter_hash, "weights": weights, "embed_dim": embed_dim,
            "atlas": atlas, **(origin or {}), "replicate": replicate, "samples": samples,
        }
    )  # fmt: skip
    return CACHE_FORMAT.write(folder / CACHE_INFO, info)
