"""Layer classes that vendors' model cards pass to ``timm.create_model``, resolved lazily (timm and torch are heavy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SILU", "SWIGLU_PACKED", "LayerRef", "resolve_model_kwargs"]


@dataclass(frozen=True)
class LayerRef:
    """A named reference to a layer class, resolved to the class only when a model is built."""

    name: str

    def resolve(self) -> Any:
        """Return the class this reference names."""
        if self.name == "timm.layers.SwiGLUPacked":
            from timm.layers import SwiGLUPacked

            return SwiGLUPacked
        if self.name == "torch.nn.SiLU":
            import torch

            return torch.nn.SiLU
        msg = f"unknown layer reference {self.name!r}"
        raise ValueError(msg)


SWIGLU_PACKED = LayerRef("timm.layers.SwiGLUPacked")
SILU = LayerRef("torch.nn.SiLU")


def resolve_model_kwargs(kwargs: Any) -> dict[str, Any]:
    """Return ``kwargs`` with every :class:`LayerRef` replaced by its class."""
    return {k: v.resolve() if isinstance(v, LayerRef) else v for k, v in dict(kwargs).items()}
