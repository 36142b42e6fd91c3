"""Registry of platform readers (``@register_reader``): one module per platform, dispatched on ``platform``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from humanst.manifest import SampleEntry
    from humanst.readers.raw import RawSample, ReadSettings

__all__ = ["ReaderSpec", "get_reader", "reader_names", "register_reader"]

ReaderFunction = Callable[["SampleEntry", Sequence[Path], "ReadSettings"], "RawSample"]


@dataclass(frozen=True)
class ReaderSpec:
    """A platform reader and the facts it encodes."""

    platform: str
    func: ReaderFunction
    footprint_um: float | None  # physical spot diameter; None when pooled into pseudo-spots
    description: str


_REGISTRY: dict[str, ReaderSpec] = {}


def register_reader(
    platform: str, *, footprint_um: float | None, description: str
) -> Callable[[ReaderFunction], ReaderFunction]:
    """Register ``func(entry, inputs, settings) -> RawSample`` as the reader of ``platform``.

    ``inputs`` are the sample's materialised files, one local path per manifest ``files`` entry (a file, or
    a directory for a folder source or an extracted archive); the reader finds its files inside them.
    """

    def decorator(func: ReaderFunction) -> ReaderFunction:
        if platform in _REGISTRY:
            msg = f"a reader for platform {platform!r} is already registered"
            raise ValueError(msg)
        _REGISTRY[platform] = ReaderSpec(platform, func, footprint_um, description)
        return func

    return decorator


def get_reader(platform: str) -> ReaderSpec:
    """Return the reader of ``platform``; an unknown platform lists the registered ones."""
    _load_builtin()
    try:
        return _REGISTRY[platform]
    except KeyError:
        msg = f"no reader for platform {platform!r}; registered: {', '.join(sorted(_REGISTRY))}"
        raise KeyError(msg) from None


def reader_names() -> list[str]:
    """List the platforms that have a reader, sorted."""
    _load_builtin()
    return sorted(_REGISTRY)


def _load_builtin() -> None:
    from humanst.readers import hest, legacy_st, visium, visium_hd, xenium  # noqa: F401  (registers them)
