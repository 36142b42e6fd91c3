"""Registry of synthetic raw-layout writers, one per platform (``@register_format``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from humanst.errors import RegistryError
from humanst.registry import Registry
from humanst.synth.sample import SynthSample, WrittenSample

__all__ = ["FORMATS", "FormatSpec", "format_names", "get_format", "register_format"]

Writer = Callable[[SynthSample, Path], WrittenSample]


@dataclass(frozen=True)
class FormatSpec:
    """A platform's synthetic layout writer with the facts the writer encodes."""

    platform: str
    writer: Writer
    footprint_um: float  # spot diameter / bin side / typical cell diameter
    description: str


FORMATS: Registry[str, FormatSpec] = Registry("synthetic format", error=RegistryError)


def register_format(platform: str, *, footprint_um: float, description: str) -> Callable[[Writer], Writer]:
    """Register ``writer(sample, root) -> WrittenSample`` as the layout writer of ``platform``."""

    def decorator(writer: Writer) -> Writer:
        FORMATS.add(platform, FormatSpec(platform, writer, footprint_um, description))
        return writer

    return decorator


def get_format(platform: str) -> FormatSpec:
    """Return the writer spec of ``platform``; an unknown name lists the registered ones."""
    return FORMATS.get(str(platform))


def format_names() -> list[str]:
    """List the registered platform names, sorted."""
    return FORMATS.names()
