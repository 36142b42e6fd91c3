"""Synthetic raw layouts, one module per platform, registered by ``@register_format``."""

from __future__ import annotations

from humanst.synth.formats import hest, legacy_st, visium, visium_hd, xenium  # noqa: F401  (registers)
from humanst.synth.formats._registry import FORMATS, FormatSpec, format_names, get_format, register_format

__all__ = ["FORMATS", "FormatSpec", "format_names", "get_format", "register_format"]
