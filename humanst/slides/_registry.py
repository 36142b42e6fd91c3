"""Registry of whole-slide backends: each knows which files it reads well (``probe``) and how to open them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from humanst.errors import SlideError
from humanst.registry import Registry

__all__ = ["BACKENDS", "ReducedLevel", "SlideBackend", "SlideHandle", "backend_names", "register_backend"]


class SlideHandle(Protocol):
    """An open slide as a backend exposes it (OpenSlide's conventions: locations in level-0 pixels, x then y)."""

    vendor: str
    level_dimensions: tuple[tuple[int, int], ...]  # (width, height) per level
    level_downsamples: tuple[float, ...]
    properties: Mapping[str, str]

    def read_region(self, location: tuple[int, int], level: int, size: tuple[int, int]) -> np.ndarray:
        """Return the ``size = (w, h)`` region at ``level`` whose top-left is ``location`` (level 0) as RGB uint8."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


@dataclass(frozen=True)
class SlideBackend:
    """One backend: how much it wants a file, how to open it, and which exceptions mean "bad file".

    Parameters
    ----------
    name
        Registry key (``--backend NAME``).
    probe
        ``probe(path)`` returns a preference (higher wins) when the backend can open the file, else ``None``.
    open
        ``open(path)`` returns a :class:`SlideHandle`.
    errors
        Exceptions the library raises on unreadable or corrupt files; they become :class:`SlideError`.
    extensions
        File suffixes it reads (lower case, with the dot), used to find slides in folders.
    description
        One line for ``--help`` and error messages.
    reduced_levels
        ``reduced_levels(path, level_dimensions)`` returns the levels it can decode at 1/2, 1/4, 1/8 scale
        directly (``{level: reader}``, see :mod:`humanst.slides.jpeg_tiles`); ``None`` when it cannot.
    """

    name: str
    probe: Callable[[Path], int | None]
    open: Callable[[Path], SlideHandle]
    errors: tuple[type[BaseException], ...]
    extensions: tuple[str, ...]
    description: str
    reduced_levels: Callable[[Path, tuple[tuple[int, int], ...]], Mapping[int, ReducedLevel]] | None = None


class ReducedLevel(Protocol):
    """A level that decodes regions at ``1 / factor`` scale (``factor`` in 1, 2, 4, 8) without full decoding."""

    def read(self, x0: int, y0: int, width: int, height: int, factor: int) -> np.ndarray:
        """Return level pixels ``[x0, x0 + width) x [y0, y0 + height)`` at ``1 / factor`` scale."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


BACKENDS: Registry[str, SlideBackend] = Registry(
    "slide backend", error=lambda msg: SlideError(msg + "; pass --backend auto to pick one per file")
)


def register_backend(backend: SlideBackend) -> SlideBackend:
    """File a backend (called by each backend module at import)."""
    return BACKENDS.add(backend.name, backend)


def backend_names() -> list[str]:
    """Return the registered backend names, sorted."""
    return BACKENDS.names()
