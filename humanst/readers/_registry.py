"""Registry of platform readers (``@register_reader``): one module per platform, dispatched on ``platform``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from humanst.errors import RegistryError
from humanst.registry import Registry

if TYPE_CHECKING:
    from humanst.manifest import SampleEntry
    from humanst.readers.raw import RawSample, ReadSettings

__all__ = ["READERS", "ReaderSpec", "get_reader", "reader_names", "register_reader"]

ReaderFunction = Callable[["SampleEntry", Sequence[Path], "ReadSettings"], "RawSample"]


@dataclass(frozen=True)
class ReaderSpec:
    """A platform reader and the facts it encodes."""

    platform: str
    func: ReaderFunction
    footprint_um: float | None  # physical spot diameter; None when pooled into pseudo-spots
    description: str


READERS: Registry[str, ReaderSpec] = Registry("platform reader", error=RegistryError)


def register_reader(
    platform: str, *, footprint_um: float | None, description: str
) -> Callable[[ReaderFunction], ReaderFunction]:
    """Register ``func(entry, inputs, settings) -> RawSample`` as the reader of ``platform``.

    ``inputs`` are the sample's materialised files, one local path per manifest ``files`` entry (a file, or
    a directory for a folder source or an extracted archive); the reader finds its files inside them.
    """

    def decorator(func: ReaderFunction) -> ReaderFunction:
        READERS.add(platform, ReaderSpec(platform, func, footprint_um, description))
        return func

    return decorator


def get_reader(platform: str) -> ReaderSpec:
    """Return the reader of ``platform``; an unknown platform lists the registered ones."""
    return READERS.get(platform)


def reader_names() -> list[str]:
    """List the platforms that have a reader, sorted."""
    return READERS.names()
