"""``stamp export --merge``: fold a run's LoRA into the base weights and save a plain timm encoder folder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stamp.errors import RunError

__all__ = ["MERGED_INFO", "MERGED_WEIGHTS", "export_merged", "read_merged_info"]

MERGED_WEIGHTS = "model.safetensors"  # timm's name (save_for_hf), beside its config.json
MERGED_INFO = "stamp_encoder.json"  # the encoder it came from: name, pooling, normalisation, adapter hash


def _plain_kwargs(kwargs: Mapping[str, object]) -> dict[str, object]:
    """Keyword arguments JSON can carry (layer classes cannot; loaders pass them from the encoder spec)."""
    return {k: v for k, v in dict(kwargs).items() if isinstance(v, str | int | float | bool | list | tuple)}


def export_merged(run: Path, out: Path, *, weights: Path | None = None) -> Path:
    """Write the merged encoder to ``out/``: ``model.safetensors``, timm ``config.json``, ``stamp_encoder.json``, card.

    ``timm.create_model("local-dir:OUT", num_classes=0)`` loads it; ``stamp_encoder.json`` keeps pooling and
    normalisation.
    """
    import timm.models

    from stamp.model.lora import peft_model
    from stamp.run_dir import RunFiles, adapter_hash, load_run_encoder, read_run_config

    run, out = Path(run), Path(out)
    encoder = load_run_encoder(run, weights=weights)
    merged = peft_model(encoder).merge_and_unload()
    spec = encoder.spec
    if out.exists() and any(out.iterdir()):
        msg = f"output folder '{out}' exists and is not empty; choose another --out or delete it"
        raise RunError(msg)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    timm.models.save_for_hf(merged, str(tmp), model_args=_plain_kwargs(spec.model_kwargs), safe_serialization=True)
    info = {
        "encoder": spec.name,
        "arch": spec.arch,
        "adapter_hash": adapter_hash(run),
        "pooling": spec.pooling,
        "input_size": spec.input_size,
        "mean": list(spec.mean),
        "std": list(spec.std),
        "embed_dim": spec.embed_dim,
        "base_license": spec.license,
        "base_config": read_run_config(run).encoder,
    }
    (tmp / MERGED_INFO).write_text(json.dumps(info, indent=2), encoding="utf-8")
    card = (run / RunFiles.CARD).read_text(encoding="utf-8") if (run / RunFiles.CARD).is_file() else ""
    card += (
        "\n## Merged export\n\nLoRA folded into the base weights (`merge_and_unload`). Load with\n"
        f"`timm.create_model('local-dir:{out}', num_classes=0)` (models whose card lists layer classes need them "
        f"passed again), or `stamp embed --encoder {spec.name} --weights {out}/{MERGED_WEIGHTS}`.\n"
        f"Pooling: {spec.pooling}; input {spec.input_size} px; mean {spec.mean}; std {spec.std}.\n"
    )
    (tmp / RunFiles.CARD).write_text(card, encoding="utf-8")
    if out.exists():
        out.rmdir()
    tmp.replace(out)
    return out


def read_merged_info(folder: Path) -> dict[str, Any] | None:
    """Read ``stamp_encoder.json`` of a merged export (or one pushed with ``--merged``); ``None`` if absent."""
    path = Path(folder) / MERGED_INFO
    return dict(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None
