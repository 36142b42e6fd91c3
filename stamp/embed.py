"""``stamp embed``: embed every patch of an atlas with a base or aligned encoder into a safetensors cache.

Layout (DESIGN 4): ``EMB/<key>/<sample>.safetensors`` (tensor ``embeddings`` [N, D] float32; metadata with the spot
ids and hashes) and ``EMB/<key>/cache.json``. ``<key>`` is the encoder name (``:`` -> ``-``), ``+<adapter-hash>``
for an aligned encoder and ``+random`` for random weights. A sample is recomputed only when its content hash
(atlas record, weights, adapter, input size, format) changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from humanst.store import Atlas
from stamp._logging import logger
from stamp.embedding_cache import (
    EMBED_SCHEMA_VERSION,
    EmbeddingFile,
    ReplicateInfo,
    cache_key,
    load_embeddings,
    read_metadata,
    write_cache_info,
    write_embeddings,
)
from stamp.errors import DataError, RunError

if TYPE_CHECKING:
    from stamp.encoders.encoder import Encoder
from stamp.hub.adapter_source import AdapterSource, resolve_adapter
from stamp.progress import StepProgress

__all__ = ["EMBED_SCHEMA_VERSION", "EmbeddingFile", "build_encoder", "cache_key", "embed_atlas", "load_embeddings"]


def _content_hash(atlas: Atlas, sample_id: str, identity: dict[str, object]) -> str:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
    digest.update(atlas.record_bytes(sample_id) or sample_id.encode())
    return digest.hexdigest()[:16]


def _existing_hash(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        return read_metadata(path).get("content_hash")
    except (OSError, ValueError):
        return None


def _replicate(adapter: Path | None) -> ReplicateInfo | None:
    """Return the adapter run's seed and replicate group (``run.json``), for the cache's provenance."""
    from stamp.run_dir import read_run_info

    if adapter is None:
        return None
    info = read_run_info(adapter)
    if info.replicate_group is None:  # a run made before replicates were recorded
        return None
    return ReplicateInfo(seed=info.seed, group=info.replicate_group)


def build_encoder(
    encoder: str, adapter: str | Path | AdapterSource | None, weights: Path | None, *, random_init: bool
) -> tuple[Encoder, str, AdapterSource | None]:
    """Return the encoder to embed with (base, random init, or base + an adapter), the adapter hash and its source.

    ``adapter`` is a run folder or ``hf:ORG/NAME[@REVISION]`` (downloaded into the hub cache, pinned by commit).
    """
    from stamp.encoders import create_encoder, get_encoder_spec
    from stamp.run_dir import adapter_hash, load_run_encoder, read_run_config

    if adapter is not None and random_init:
        msg = "--adapter and --random-init exclude each other"
        raise RunError(msg)
    source = resolve_adapter(adapter)
    if source is None:
        return create_encoder(encoder, weights=weights, pretrained=not random_init).eval(), "", None
    trained = read_run_config(source.folder).encoder
    if get_encoder_spec(trained).name != get_encoder_spec(encoder).name:
        msg = f"adapter '{source.label}' was trained on encoder {trained!r}, not {encoder!r}; pass --encoder {trained}"
        raise RunError(msg)
    return load_run_encoder(source.folder, weights=weights), adapter_hash(source.folder), source


def embed_atlas(
    atlas: Path,
    encoder: str,
    *,
    out: Path,
    adapter: str | Path | AdapterSource | None = None,
    weights: Path | None = None,
    random_init: bool = False,
    samples: Sequence[str] | None = None,
    batch_size: int = 64,
    device: str = "auto",
    num_workers: int = 0,
    progress: bool = True,
) -> Path:
    """Embed the atlas patches of every (or each given) sample; return the cache folder ``out/<key>``.

    Parameters
    ----------
    atlas
        Atlas folder built by ``humanst build``.
    encoder
        Registered encoder name or ``timm:<arch>``.
    out
        Embedding cache root (``EMB``).
    adapter
        Run directory of ``stamp fit``, or ``hf:ORG/NAME[@REVISION]`` (a run pushed by ``stamp push``): embed with
        the aligned encoder. A hub adapter's commit is recorded in ``cache.json`` and each sample file.
    weights
        Local safetensors weights of the base encoder.
    random_init
        Use the architecture with random weights (the random-init baseline).
    samples
        Only these sample ids.
    batch_size, device, num_workers
        Inference batch, ``auto``/``cpu``/``cuda``, DataLoader workers.
    progress
        Show a progress bar.
    """
    import torch

    from stamp.data import AtlasPatches, PatchTransform
    from stamp.train.distributed import resolve_device

    model, ahash, source = build_encoder(encoder, adapter, weights, random_init=random_init)
    origin = source.provenance() if source is not None else {}
    spec = model.spec
    dev = resolve_device(device)
    model.to(dev)
    folder = Path(out) / cache_key(spec.name, adapter_hash=ahash, random_init=random_init)
    folder.mkdir(parents=True, exist_ok=True)
    data = AtlasPatches(
        atlas, PatchTransform(spec.input_size, spec.mean, spec.std), splits=None, samples=samples, collections=()
    )
    wanted = list(dict.fromkeys(data.sample_id.tolist()))
    if samples is not None and (missing := sorted(set(samples) - set(wanted))):
        msg = f"atlas '{atlas}': sample(s) {missing} are not in its patch dataset"
        raise DataError(msg)
    identity = {
        "weights": model.weights_id,
        "adapter": ahash,
        "input": spec.input_size,
        "v": EMBED_SCHEMA_VERSION,
        "pooling": spec.pooling,
    }
    hashes = {s: _content_hash(Atlas(atlas), s, identity) for s in wanted}
    todo = [s for s in wanted if _existing_hash(folder / f"{s}.safetensors") != hashes[s]]
    positions = {s: np.flatnonzero(data.sample_id == s) for s in todo}
    autocast = dev.type == "cuda"
    with (
        StepProgress("embed patches", sum(len(p) for p in positions.values()), enabled=progress) as bar,
        torch.inference_mode(),
    ):
        for sample_id in todo:
            loader = torch.utils.data.DataLoader(
                torch.utils.data.Subset(data, positions[sample_id].tolist()),
                batch_size=batch_size,
                num_workers=num_workers,
            )
            chunks = []
            for batch in loader:
                with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=autocast):
                    chunks.append(model(batch["image"].to(dev)).float().cpu())
                bar.advance(len(batch["image"]))
            meta = {
                "encoder": spec.name,
                "adapter_hash": ahash,
                "weights": model.weights_id,
                "content_hash": hashes[sample_id],
                **origin,
            }
            spot_ids = data.spot_id[positions[sample_id]].tolist()
            write_embeddings(folder, sample_id, spot_ids, torch.cat(chunks).numpy(), meta)
    write_cache_info(
        folder,
        encoder=spec.name,
        adapter_hash=ahash,
        weights=model.weights_id,
        embed_dim=spec.embed_dim,
        atlas=str(atlas),
        origin=origin,
        replicate=_replicate(source.folder if source is not None else None),
    )
    logger.info(
        "embedded %d of %d samples into %s (%d up to date)", len(todo), len(wanted), folder, len(wanted) - len(todo)
    )
    return folder
