"""Tiers 2 and 3, slides and patients: tasks, bags of slide features, probes, metrics, predictions, comparison."""

from __future__ import annotations
