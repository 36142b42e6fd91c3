"""Registry of pathway scoring methods (``@register_method``): ours and the reference tools."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from humanst.errors import RegistryError
from humanst.registry import Registry

if TYPE_CHECKING:
    from humanst.pathways.context import ScoringContext

__all__ = ["METHODS", "MethodSpec", "get_method", "method_names", "register_method"]

ScoreFunction = Callable[["ScoringContext"], None]


@dataclass(frozen=True)
class MethodSpec:
    """A scoring method: what it computes, the library it needs, and where it comes from."""

    name: str
    func: ScoreFunction
    description: str
    reference: str
    requires: str | None = None  # import name of the optional library it delegates to
    supports_background: bool = False  # honours background="matched" | "all" | "none"


METHODS: Registry[str, MethodSpec] = Registry("pathway scoring method", error=RegistryError)


def register_method(
    name: str, *, description: str, reference: str, requires: str | None = None, supports_background: bool = False
) -> Callable[[ScoreFunction], ScoreFunction]:
    """Register ``func(context)`` as the scoring method ``name``; it writes scores with ``context.emit``."""

    def decorator(func: ScoreFunction) -> ScoreFunction:
        METHODS.add(name, MethodSpec(name, func, description, reference, requires, supports_background))
        return func

    return decorator


def get_method(name: str) -> MethodSpec:
    """Return the spec of method ``name``; an unknown name lists the registered ones."""
    return METHODS.get(name)


def method_names() -> list[str]:
    """List the registered method names, sorted."""
    return METHODS.names()
