"""Tier 1, spots: tasks, patient folds, data, the PCA + ridge probe, protocols, intervals, predictions, comparison."""

from __future__ import annotations
