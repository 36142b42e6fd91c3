"""Per-target gains from the per-spot predictions: Pearson per held-out patient, paired B - A with bootstrap CIs.

With fewer held-out patients than the task's ``intervals.min_patients`` (5 by default) a bootstrap over
patients measures nothing, so no interval is drawn: the values per patient are shown instead.

Pearson is computed as the tier-1 scorer does (per patient, on all its test spots, slides pooled), so the
mean over patients of :func:`patient_target_r` equals a result's ``per_target`` value. A pathway's gain sits
beside the gain of its size- and expression-matched random gene set (``random:<pathway>`` in the control
block): a gain the random set shares is not specific to the pathway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.controls import control_set_name
from benchmarks.errors import ResultError
from benchmarks.spot.predictions import BlockPredictions, SpotPredictions
from benchmarks.stats import bootstrap_ci, paired_bootstrap, pearson_columns

__all__ = ["Interval", "PairedGain", "TargetGain", "aligned_rows", "patient_target_r", "target_gains"]


@dataclass(frozen=True)
class Interval:
    """A mean over patients with its 95% bootstrap interval (NaN bounds with too few patients) and the values."""

    mean: float
    low: float
    high: float
    n: int
    per_patient: tuple[float, ...] = ()

    def text(self) -> str:
        """``0.123 [0.100, 0.150]``; with too few patients ``0.123 (per patient 0.100, 0.146; no CI)``."""
        if not np.isfinite(self.mean):
            return "-"
        if not np.isfinite(self.low):
            return f"{self.mean:.3f} ({_values(self.per_patient, '')}; no CI)"
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass(frozen=True)
class PairedGain:
    """Mean over shared patients of B - A, its 95% paired-bootstrap interval and two-sided p."""

    diff: float
    low: float
    high: float
    p: float
    n: int
    per_patient: tuple[float, ...] = ()

    def text(self) -> str:
        """``+0.050 [+0.010, +0.090]``; with too few patients ``+0.050 (per patient +0.01, +0.09; no CI)``."""
        if not np.isfinite(self.diff):
            return "-"
        if not np.isfinite(self.low):
            return f"{self.diff:+.3f} ({_values(self.per_patient, '+')}; no CI)"
        return f"{self.diff:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"


def _values(values: tuple[float, ...], sign: str) -> str:
    shown = ", ".join(f"{v:{sign}.3f}" for v in values)
    return f"per patient {shown}" if shown else "no patient"


@dataclass(frozen=True)
class TargetGain:
    """One target of a block: A and B with CIs, B - A, and the same for its random-set control when there is one."""

    target: str
    a: Interval
    b: Interval
    gain: PairedGain
    control: PairedGain | None

    @property
    def specific(self) -> float:
        """Gain minus the control's gain (NaN without a control)."""
        return self.gain.diff - self.control.diff if self.control is not None else float("nan")


def patient_target_r(block: BlockPredictions, patients: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Pearson r per (patient, target) on each patient's spots, slides pooled: (patients, array patients x targets)."""
    names = sorted(set(patients.tolist()))
    out = np.full((len(names), len(block.targets)), np.nan)
    for i, patient in enumerate(names):
        rows = patients == patient
        out[i] = pearson_columns(block.measured[rows], block.predicted[rows])
    return names, out


def aligned_rows(a: SpotPredictions, b: SpotPredictions) -> np.ndarray:
    """Row order of ``b`` that matches ``a`` spot by spot.

    Raises
    ------
    ResultError
        The two files do not hold the same tested spots (another split or task).
    """
    index = {k: i for i, k in enumerate(b.row_keys())}
    keys = a.row_keys()
    missing = [k for k in keys if k not in index]
    if missing or len(keys) != len(index):
        msg = (
            f"the two results' predictions cover different spots ({len(keys)} vs {len(index)}, e.g. {missing[:2]}); "
            "compare results of the same task and split"
        )
        raise ResultError(msg)
    return np.asarray([index[k] for k in keys], dtype=np.int64)


def _interval(values: np.ndarray, n_boot: int, seed: int, min_patients: int) -> Interval:
    finite = values[np.isfinite(values)]
    mean = float(finite.mean()) if finite.size else float("nan")
    if finite.size < min_patients:  # a bootstrap over so few patients is not an interval
        return Interval(mean, float("nan"), float("nan"), int(finite.size), tuple(float(v) for v in finite))
    lo, hi = bootstrap_ci(finite, n_boot=n_boot, seed=seed)
    return Interval(mean, lo, hi, int(finite.size))


def _paired(b: np.ndarray, a: np.ndarray, n_boot: int, seed: int, min_patients: int) -> PairedGain:
    diffs = b - a
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size < min_patients:
        mean = float(diffs.mean()) if diffs.size else float("nan")
        nan = float("nan")
        return PairedGain(mean, nan, nan, nan, int(diffs.size), tuple(float(v) for v in diffs))
    test = paired_bootstrap(b, a, n_boot=n_boot, seed=seed)
    return PairedGain(test["diff"], test["ci_low"], test["ci_high"], test["p"], int(test["n"]))


def _block_r(preds: SpotPredictions, name: str, order: np.ndarray | None) -> tuple[BlockPredictions, np.ndarray]:
    block = preds.block(name)
    patients = preds.patient_ids
    if order is not None:
        block = BlockPredictions(
            block.name, block.kind, block.control_of, block.targets, block.measured[order], block.predicted[order]
        )
        patients = patients[order]
    return block, patient_target_r(block, patients)[1]


def target_gains(
    a: SpotPredictions, b: SpotPredictions, block: str, *, n_boot: int = 2000, seed: int = 0, min_patients: int = 5
) -> list[TargetGain]:
    """Score every target of ``block`` in both results: A, B and B - A over held-out patients, largest gain first.

    The block's random-set control (the block whose ``control_of`` is ``block``) contributes the matched gain.
    Below ``min_patients`` held-out patients no interval is made (NaN bounds; the per-patient values are kept).
    """
    order = aligned_rows(a, b)
    block_a, r_a = _block_r(a, block, None)
    block_b, r_b = _block_r(b, block, order)
    b_col = {t: j for j, t in enumerate(block_b.targets)}
    control_name = next((n for n, x in a.blocks.items() if x.control_of == block and n in b.blocks), None)
    controls: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if control_name is not None:
        ctrl_a, cr_a = _block_r(a, control_name, None)
        ctrl_b, cr_b = _block_r(b, control_name, order)
        cb = {t: j for j, t in enumerate(ctrl_b.targets)}
        for j, target in enumerate(ctrl_a.targets):
            if target in cb:
                controls[target] = (cr_a[:, j], cr_b[:, cb[target]])
    gains = []
    for j, target in enumerate(block_a.targets):
        if target not in b_col:
            continue
        ra, rb = r_a[:, j], r_b[:, b_col[target]]
        control = controls.get(control_set_name(target))
        gains.append(
            TargetGain(
                target=target,
                a=_interval(ra, n_boot, seed, min_patients),
                b=_interval(rb, n_boot, seed, min_patients),
                gain=_paired(rb, ra, n_boot, seed, min_patients),
                control=None if control is None else _paired(control[1], control[0], n_boot, seed, min_patients),
            )
        )
    return sorted(gains, key=lambda g: -g.gain.diff if np.isfinite(g.gain.diff) else np.inf)
