"""Slide-level probes for tiers 2 and 3, one module each, filed in a registry (``mean-linear``, ``abmil``)."""

from __future__ import annotations

from benchmarks.slide.probes import abmil, mean_linear  # noqa: F401  (register the probes)
from benchmarks.slide.probes._registry import PROBES, ProbeInput, ProbeOutput, ProbeSpec, get_probe, register_probe

__all__ = ["PROBES", "ProbeInput", "ProbeOutput", "ProbeSpec", "get_probe", "register_probe"]
