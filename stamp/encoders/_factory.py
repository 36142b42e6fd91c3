"""``create_encoder``: the one door to an :class:`Encoder`, from the hub, a local safetensors file or random init."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stamp.encoders._registry import EncoderSpec, get_encoder_spec
from stamp.encoders.encoder import Encoder
from stamp.encoders.layers import resolve_model_kwargs
from stamp.errors import EncoderError

if TYPE_CHECKING:
    from torch import nn

__all__ = ["create_encoder", "file_digest"]


def file_digest(path: Path, length: int = 12) -> str:
    """Return the first ``length`` hex digits of a file's sha256."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:length]


def create_encoder(name: str, *, weights: Path | None = None, pretrained: bool = True, seed: int = 0) -> Encoder:
    """Build the encoder ``name`` (registered or ``timm:<arch>``) with its weights.

    Parameters
    ----------
    name
        Registry name (see ``stamp encoders``) or ``timm:<arch>``.
    weights
        A local ``.safetensors`` file (timm or transformers DINOv2 keys); used instead of the hub.
    pretrained
        ``False`` builds the architecture with random weights (the random-init baseline).
    seed
        Seed of the random initialisation.

    Raises
    ------
    EncoderError
        Unknown name, gated or missing hub repository, no network and nothing cached, or weights that do not fit.
    """
    spec = get_encoder_spec(name)
    if weights is not None:
        model = _build(spec, seed)
        _load_file(model, spec, Path(weights))
        return Encoder(model, spec, f"file:{file_digest(Path(weights))}")
    if not pretrained or spec.weights_source == "none":
        return Encoder(_build(spec, seed), spec, "random")
    if spec.weights_source == "timm-hub":
        model = _from_timm_hub(spec)
    else:
        model = _build(spec, seed)
        _load_file(model, spec, _hub_file(spec, "model.safetensors"))
    return Encoder(model, spec, f"hub:{spec.hub_id}")


def _build(spec: EncoderSpec, seed: int) -> nn.Module:
    import timm
    import torch

    torch.manual_seed(seed)
    try:
        return timm.create_model(spec.arch, pretrained=False, num_classes=0, **resolve_model_kwargs(spec.model_kwargs))
    except (RuntimeError, TypeError, ValueError) as err:
        msg = f"encoder {spec.name!r}: timm could not build {spec.arch!r} with {dict(spec.model_kwargs)}: {err}"
        raise EncoderError(msg) from err


def _load_file(model: nn.Module, spec: EncoderSpec, path: Path) -> None:
    from safetensors.torch import load_file

    from stamp.encoders.dinov2_conversion import is_transformers_dinov2, transformers_dinov2_to_timm

    if path.suffix != ".safetensors":
        msg = (
            f"encoder {spec.name!r}: weights file '{path}' is not .safetensors; pickled checkpoints are never "
            "loaded. Convert it once with safetensors.torch.save_file(torch.load(f, weights_only=True), out)."
        )
        raise EncoderError(msg)
    if not path.is_file():
        msg = f"encoder {spec.name!r}: weights file '{path}' does not exist"
        raise EncoderError(msg)
    try:
        state = load_file(str(path))
    except Exception as err:
        msg = f"encoder {spec.name!r}: cannot read weights file '{path}': {err}"
        raise EncoderError(msg) from err
    if is_transformers_dinov2(state):
        state = transformers_dinov2_to_timm(state)
    state = {k.removeprefix("model."): v for k, v in state.items()}
    classifier = classifier_prefixes(model)
    state = {k: v for k, v in state.items() if not k.startswith(classifier) or k in model.state_dict()}
    _fit_pos_embed(state, model)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        msg = (
            f"encoder {spec.name!r}: weights '{path}' do not fit {spec.arch!r}: "
            f"{len(result.missing_keys)} missing (e.g. {result.missing_keys[:4]}), "
            f"{len(result.unexpected_keys)} unexpected (e.g. {result.unexpected_keys[:4]}). "
            "Check that the file belongs to this encoder."
        )
        raise EncoderError(msg)


def classifier_prefixes(model: Any) -> tuple[str, ...]:
    """Key prefixes of the architecture's own classifier as timm names it (``pretrained_cfg['classifier']``).

    A checkpoint saved with its classifier (``fc``, ``head``, ``classifier``, ``head.fc``, ``head_dist``...) loads
    into the encoder, which is built without one: those keys are dropped, every other key must fit.
    """
    cfg = getattr(model, "pretrained_cfg", None) or getattr(model, "default_cfg", None) or {}
    names = cfg.get("classifier") if isinstance(cfg, dict) else getattr(cfg, "classifier", None)
    if not names:
        names = ("head", "fc")
    if isinstance(names, str):
        names = (names,)
    return tuple(f"{name}." for name in names)


def _fit_pos_embed(state: dict[str, Any], model: Any) -> None:  # a timm ViT (patch_embed.grid_size)
    """Resample a checkpoint's position embedding to the model's grid (DINOv2 checkpoints are trained at 518 px)."""
    from timm.layers import resample_abs_pos_embed

    target = getattr(model, "pos_embed", None)
    source = state.get("pos_embed")
    if target is None or source is None or source.shape == target.shape:
        return
    embed_prefix = 0 if getattr(model, "no_embed_class", False) else int(getattr(model, "num_prefix_tokens", 1))
    if embed_prefix == 0 and source.shape[1] != 1 and int((source.shape[1] - 1) ** 0.5) ** 2 == source.shape[1] - 1:
        source = source[:, 1:]  # transformers keeps a class-token position that timm's no_embed_class models lack
    src_prefix = source.shape[1] - int(source.shape[1] ** 0.5) ** 2 if embed_prefix else 0
    state["pos_embed"] = resample_abs_pos_embed(
        source, new_size=list(model.patch_embed.grid_size), num_prefix_tokens=src_prefix or embed_prefix
    )


def _hub_error(spec: EncoderSpec, err: Exception) -> EncoderError:
    from huggingface_hub import constants
    from huggingface_hub.errors import GatedRepoError, LocalEntryNotFoundError, RepositoryNotFoundError

    url = f"https://huggingface.co/{spec.hub_id}"
    if isinstance(err, GatedRepoError):
        text = (
            f"is gated: accept its terms at {url}, then log in with `hf auth login` (or set HF_TOKEN); "
            "or pass --weights FILE.safetensors"
        )
    elif isinstance(err, RepositoryNotFoundError):
        text = f"repository {spec.hub_id!r} was not found or is private ({url}); check the name or log in"
    elif isinstance(err, LocalEntryNotFoundError) or constants.HF_HUB_OFFLINE:
        text = (
            "weights are not in the local Hugging Face cache and the hub cannot be reached (HF_HUB_OFFLINE=1 or "
            "no network); download them once online, or pass --weights FILE.safetensors"
        )
    else:
        text = f"could not be loaded from {url}: {err}"
    return EncoderError(f"encoder {spec.name!r} ({spec.hub_id}) {text}")


def _from_timm_hub(spec: EncoderSpec) -> nn.Module:
    import timm
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return timm.create_model(
            f"hf-hub:{spec.hub_id}", pretrained=True, num_classes=0, **resolve_model_kwargs(spec.model_kwargs)
        )
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as err:
        raise _hub_error(spec, err) from err


def _hub_file(spec: EncoderSpec, filename: str) -> Path:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    try:
        return Path(hf_hub_download(spec.hub_id or "", filename))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as err:
        raise _hub_error(spec, err) from err
