"""Slide backends; importing this package registers them (one module per library)."""

from __future__ import annotations

from humanst.slides.backends import openslide_backend, tiffslide_backend

__all__ = ["openslide_backend", "tiffslide_backend"]
