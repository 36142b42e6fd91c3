"""What every tier's comparison shares: B - A with its paired interval, and the check that A and B are comparable.

Tier 1 compares per-patient Pearson values (:mod:`benchmarks.spot.compare`), tiers 2-3 recompute their metric from
both encoders' out-of-fold predictions (:mod:`benchmarks.slide.compare`); both report a :class:`PairedDifference`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.errors import ResultError
from benchmarks.schema import Result

__all__ = ["PairedDifference", "require_same_split"]


@dataclass(frozen=True, kw_only=True)
class PairedDifference:
    """B - A of one target of one task over the shared patients, its paired 95% interval and p (NaN: none made)."""

    task: str
    target: str
    diff: float
    ci_low: float
    ci_high: float
    p: float
    n_patients: int

    def text(self) -> str:
        """``+0.050 [+0.010, +0.090]`` or ``+0.050 (no interval: 3 patients)``."""
        if not np.isfinite(self.ci_low):
            return f"{self.diff:+.3f} (no interval: {self.n_patients} patients)"
        return f"{self.diff:+.3f} [{self.ci_low:+.3f}, {self.ci_high:+.3f}]"


def require_same_split(a: Result, b: Result, inputs: str) -> None:
    """Refuse to compare two results computed on different splits of the same task.

    Raises
    ------
    ResultError
        The split hashes differ; ``inputs`` names what both must be rerun on (``atlas``, ``cohort``).
    """
    if a.task.split_hash != b.task.split_hash:
        msg = (
            f"{a.embedding_key} and {b.embedding_key} on task {a.task.name!r} used different splits "
            f"({a.task.split_hash[:12]} vs {b.task.split_hash[:12]}); rerun both on the same {inputs} and task"
        )
        raise ResultError(msg)
