"""Training targets of ``stamp fit``: pathway scores (default), matched random gene sets (negative control), genes.

numpy, scipy and pyarrow only (importing it never imports torch), so the configuration can check a kind's name.
"""

from __future__ import annotations

from stamp.targets import genes, pathways, random_sets  # noqa: F401  (register the kinds)
from stamp.targets._registry import (
    TARGETS,
    TargetBuilder,
    TargetRows,
    TargetSpec,
    TargetTable,
    build_targets,
    register_target,
    target_kinds,
)

__all__ = [
    "TARGETS",
    "TargetBuilder",
    "TargetRows",
    "TargetSpec",
    "TargetTable",
    "build_targets",
    "register_target",
    "target_kinds",
]
