"""Slide-level probes for tiers 2 and 3, one module each, filed in a registry (``mean-linear``, ``abmil``)."""

from __future__ import annotations

from benchmarks.probes import abmil, mean_linear  # noqa: F401  (register the probes)
from benchmarks.probes._registry import PROBES, ProbeInput, ProbeOutput, ProbeSpec, get_probe, register_probe

__all__ = ["PROBES", "ProbeInput", "ProbeOutput", "ProbeSpec", "get_probe", "register_probe"]
