"""``create_encoder``: the one door to an :class:`Encoder`: hub, a pip package's file, safetensors or random init."""

from __future__ import annotations

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
    from humanst.content_hash import file_sha256

    return file_sha256(path)[:length]


def create_encoder(name: str, *, weights: Path | None = None, pretrained: bool = True, seed: int = 0) -> Encoder:
    """Build the encoder ``name`` (registered or ``timm:<arch>``) with its weights.

    Parameters
    ----------
    name
        Registry name (see ``stamp encoders``) or ``timm:<arch>``.
    weights
        A local ``.safetensors`` file (timm, transformers DINOv2 or efficientnet_pytorch keys); used instead of
        the hub or the package.
    pretrained
        ``False`` builds the architecture with random weights (the random-init baseline).
    seed
        Seed of the random initialisation.

    Raises
    ------
    EncoderError
        Unknown name, gated or missing hub repository, no network and nothing cached, a weights package not
        installed (the message gives the pip command) or not the pinned file, or weights that do not fit.
    """
    spec = get_encoder_spec(name)
    if weights is not None:
        model = _build(spec, seed)
        _load_file(model, spec, Path(weights))
        return Encoder(model, spec, f"file:{file_digest(Path(weights))}")
    if not pretrained or spec.weights_source == "none":
        return Encoder(_build(spec, seed), spec, "random")
    if spec.package is not None:  # weights_source "package" (EncoderSpec checks the two go together)
        from stamp.encoders.packaged import read_packaged_state

        model = _build(spec, seed)
        package = spec.package
        _load_state(model, spec, read_packaged_state(spec), f"{package.distribution} {package.version}", ordered=True)
        return Encoder(model, spec, f"package:{package.distribution}@{package.sha256[:12]}")
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
    _load_state(model, spec, state, f"'{path}'", ordered=False)  # safetensors sorts its tensors by name


def _load_state(model: nn.Module, spec: EncoderSpec, state: dict[str, Any], source: str, *, ordered: bool) -> None:
    """Load a checkpoint's tensors (timm, transformers DINOv2 or efficientnet_pytorch keys) into the timm model.

    ``ordered``: the checkpoint keeps the order its model saved the tensors in (a PyTorch state dict; not a
    safetensors file), so a conversion is also checked to list them in the timm model's order.
    """
    from stamp.encoders.dinov2_conversion import is_transformers_dinov2, transformers_dinov2_to_timm
    from stamp.encoders.efficientnet_conversion import (
        check_same_tensors,
        efficientnet_pytorch_to_timm,
        is_efficientnet_pytorch,
    )

    classifier = classifier_prefixes(model)
    target = model.state_dict()
    if is_transformers_dinov2(state):
        state = transformers_dinov2_to_timm(state)
    elif is_efficientnet_pytorch(state):  # renamed, then checked tensor by tensor: same order, same shapes
        where = f"encoder {spec.name!r}: weights {source}"
        state = efficientnet_pytorch_to_timm(state, target, source=where)
        check_same_tensors(state, target, drop=classifier, ordered=ordered, source=where)
    state = {k.removeprefix("model."): v for k, v in state.items()}
    state = {k: v for k, v in state.items() if not k.startswith(classifier) or k in target}
    _fit_pos_embed(state, model)
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        msg = (
            f"encoder {spec.name!r}: weights {source} do not fit {spec.arch!r}: "
            f"{len(result.missing_keys)} missing (e.g. {result.missing_keys[:4]}), "
            f"{len(result.unexpected_keys)} unexpected (e.g. {result.unexpected_keys[:4]}). "
            "Check that the file belongs to this encoder."
        )
        raise EncoderError(msg)


def classifier_prefixes(model: nn.Module) -> tuple[str, ...]:
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
