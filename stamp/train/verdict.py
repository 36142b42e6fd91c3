"""The verdict of a run: did the encoder move, did it beat its base, and did it beat the random-aligned control.

Three questions, answered with numbers and kept as data (a list of named :class:`Check` rows in ``run.json``
under ``verdict``; ``card.md`` renders whatever rows it finds, so a new check needs no rendering code):

- ``moved``: 1 - linear CKA of the kept encoder's validation embeddings to the base's, against
  ``validation.min_drift``.
- ``beat_base`` / ``beat_base_gap``: the kept encoder minus the base (step 0) on the validation patients, for
  the pathway r and for the pathway minus random-set gap, with a paired spatial block bootstrap interval (the
  same tiles of the validation spots drawn for both encoders; within these patients' tissue, no population
  claim).
- ``beat_control`` / ``beat_control_gap``: this run's kept encoder minus a random-aligned control run's
  (``data.targets: random``, same seed and validation spots), the same way. Only when a control is given
  (``stamp fit --control RUN`` or ``stamp verdict RUN --control RUN``).

A check passes when its interval's lower end is above 0 (``moved``: when the drift exceeds the threshold).
Both encoders were chosen on these validation spots (``validation.select``), so the verdict is a validation
statement; the held-out claim is tier 1's (``stamp-bench compare``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import JsonValue

from stamp.errors import RunError
from stamp.run_info import Check, ValidationSummary, VerdictInfo

if TYPE_CHECKING:
    from stamp.model import StampAligner
    from stamp.probe import BlockLayout, PatientScores
    from stamp.train.validation import Validator

__all__ = [
    "Check",
    "ValidationRecord",
    "read_validation_record",
    "record_validation",
    "verdict_checks",
    "verdict_info",
    "verdict_json",
    "write_verdict",
]

N_BOOT = 1000  # tile-bootstrap replicates of every paired interval


@dataclass(frozen=True)
class ValidationRecord:
    """The base's and the kept encoder's probe predictions of the validation spots (``validation.safetensors``)."""

    y: np.ndarray  # spots x (pathways, then random sets)
    pred_base: np.ndarray
    pred_kept: np.ndarray
    coords_um: np.ndarray
    n_pathways: int
    patients: np.ndarray
    samples: np.ndarray
    spot_ids: np.ndarray
    meta: dict[str, JsonValue]

    def spot_keys(self) -> list[str]:
        """``sample/spot`` of every row, in order (two records pair only on the same keys)."""
        return [f"{a}/{b}" for a, b in zip(self.samples.tolist(), self.spot_ids.tolist(), strict=True)]


def record_validation(run: Path, validator: Validator, aligner: StampAligner, step: int) -> ValidationRecord:
    """Embed the validation rows with the kept and the base encoder, predict them with the probe, save the record."""
    from safetensors.numpy import save

    from humanst.atomic import atomic_write_bytes
    from stamp.run_dir import RunFiles

    data = validator.data
    pred_kept, _ = validator.predict(validator.embed(aligner.encoder))
    pred_base, _ = validator.predict(validator.embed_base(aligner.encoder))
    val = data.val
    tensors = {
        "y": np.ascontiguousarray(validator.targets[val]),
        "pred_base": np.ascontiguousarray(pred_base),
        "pred_kept": np.ascontiguousarray(pred_kept),
        "coords_um": np.ascontiguousarray(data.coords_um[val]),
    }
    meta = {
        "n_pathways": data.pathways.shape[1],
        "collection": data.collection,
        "kept_step": step,
        "patients": data.patients[val].tolist(),
        "samples": data.samples[val].tolist(),
        "spot_ids": data.spot_ids[val].tolist(),
    }
    atomic_write_bytes(Path(run) / RunFiles.VALIDATION, save(tensors, metadata={"record": json.dumps(meta)}))
    record = read_validation_record(run)
    if record is None:  # just written: only a vanished run directory gets here
        msg = f"run '{run}': {RunFiles.VALIDATION} could not be read back after writing it"
        raise RunError(msg)
    return record


def read_validation_record(run: Path) -> ValidationRecord | None:
    """Read a run's validation record; ``None`` when the run did not validate."""
    from safetensors import safe_open

    from stamp.run_dir import RunFiles

    path = Path(run) / RunFiles.VALIDATION
    if not path.is_file():
        return None
    with safe_open(str(path), framework="numpy") as handle:
        meta = json.loads((handle.metadata() or {})["record"])
        arrays = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118  (safe_open has no __iter__)
    return ValidationRecord(
        y=arrays["y"], pred_base=arrays["pred_base"], pred_kept=arrays["pred_kept"], coords_um=arrays["coords_um"],
        n_pathways=int(meta["n_pathways"]), patients=np.asarray(meta["patients"], dtype=str),
        samples=np.asarray(meta["samples"], dtype=str), spot_ids=np.asarray(meta["spot_ids"], dtype=str), meta=meta,
    )  # fmt: skip


Layouts = dict[str, "BlockLayout"]


def _scores(
    record: ValidationRecord, pred: np.ndarray, layouts: Layouts, seed: int
) -> tuple[PatientScores, PatientScores]:
    """Pathway score and gap score (pathways minus random sets) of one encoder, with their tile replicates."""
    from stamp.probe import patient_scores

    n = record.n_pathways
    pathways = patient_scores(record.y[:, :n], pred[:, :n], record.patients, layouts, n_boot=N_BOOT, seed=seed)
    random = patient_scores(record.y[:, n:], pred[:, n:], record.patients, layouts, n_boot=N_BOOT, seed=seed)
    return pathways, pathways - random


def _paired_checks(
    name: str, question: str, a_label: str, b_label: str, a: tuple[PatientScores, PatientScores],
    b: tuple[PatientScores, PatientScores], layouts: Layouts,
) -> list[Check]:  # fmt: skip
    from stamp.probe import paired_difference

    rows = []
    for suffix, what, sa, sb in (("", "pathway r", a[0], b[0]), ("_gap", "pathway - random-set gap", a[1], b[1])):
        diff = paired_difference(sa, sb, layouts)
        rows.append(
            Check(
                name=f"{name}{suffix}",
                question=question,
                metric=f"validation {what}, B - A",
                a_label=a_label,
                a=diff.a,
                b_label=b_label,
                b=diff.b,
                value=diff.diff,
                ci_low=diff.ci_low,
                ci_high=diff.ci_high,
                rule="passes when the 95% interval's lower end is above 0",
                passed=bool(diff.ci_low > 0) if math.isfinite(diff.ci_low) else None,
                resampled=diff.resampled,
            )
        )
    return rows


def _moved(validation: ValidationSummary, min_drift: float) -> Check:
    cka = validation.selected.get("drift_cka")
    question = "Did the encoder move?"
    metric = "1 - linear CKA of the kept encoder's validation embeddings to the base's"
    if cka is None or not math.isfinite(float(cka)):
        return Check("moved", question, metric, rule="not measured (validation off)")
    drift = 1.0 - float(cka)
    return Check(
        "moved", question, metric, value=drift, rule=f"passes when above validation.min_drift {min_drift:g}",
        passed=drift > min_drift, resampled="not resampled (a descriptive statistic of the validation spots)",
    )  # fmt: skip


def verdict_checks(
    validation: ValidationSummary, record: ValidationRecord | None, *, min_drift: float, seed: int,
    control: tuple[str, ValidationRecord] | None = None,
) -> list[Check]:  # fmt: skip
    """Return the verdict rows from the run's validation summary, its validation record and maybe a control's."""
    from stamp.probe import block_layouts

    checks = [_moved(validation, min_drift)]
    base_q, control_q = "Did it beat its base on validation?", "Did it beat the random-aligned control?"
    if record is None:
        checks += [Check("beat_base", base_q, "validation pathway r, B - A", rule="not measured (validation off)")]
        return checks
    layouts = block_layouts(record.coords_um, record.patients, record.samples)
    step = record.meta.get("kept_step")
    kept = _scores(record, record.pred_kept, layouts, seed)
    base = _scores(record, record.pred_base, layouts, seed)
    checks += _paired_checks("beat_base", base_q, "base (step 0)", f"kept (step {step})", base, kept, layouts)
    if control is None:
        return checks
    name, other = control
    if other.spot_keys() != record.spot_keys() or not np.allclose(
        other.y[:, : other.n_pathways], record.y[:, : record.n_pathways], equal_nan=True
    ):
        msg = (
            f"control run '{name}': its validation spots or pathway targets differ from this run's; fit the control "
            "with the same seed, atlas and validation settings (only data.targets differs)"
        )
        raise RunError(msg)
    theirs = _scores(other, other.pred_kept, layouts, seed)
    label = f"random-aligned control (step {other.meta.get('kept_step')})"
    checks += _paired_checks("beat_control", control_q, label, f"this run (step {step})", theirs, kept, layouts)
    return checks


def write_verdict(run: Path, control: Path | None = None) -> list[Check]:
    """(Re)write the verdict of a finished run into its ``run.json`` and ``card.md``; ``control``: a control run.

    Raises
    ------
    RunError
        The run (or the control) is unfinished, or the control's validation spots are not this run's.
    """
    from humanst.atomic import atomic_write_text
    from stamp.run_dir import RunFiles, read_run_config, read_run_info, render_card, write_run_info

    run = Path(run)
    config = read_run_config(run)
    info = read_run_info(run)
    paired = None
    if control is not None:
        targets = read_run_info(control).targets_kind
        if targets != "random":
            msg = f"control run '{control}' was aligned to {targets!r} targets; a control is a data.targets=random run"
            raise RunError(msg)
        other = read_validation_record(control)
        if other is None:
            msg = f"control run '{control}' has no {RunFiles.VALIDATION} (it did not validate); refit it validating"
            raise RunError(msg)
        paired = (str(control), other)
    checks = verdict_checks(
        info.validation, read_validation_record(run), min_drift=config.validation.min_drift, seed=config.seed,
        control=paired,
    )  # fmt: skip
    info = info.model_copy(update={"verdict": verdict_info(checks, control)})
    write_run_info(run, info)
    atomic_write_text(run / RunFiles.CARD, render_card(config, info))
    return checks


def verdict_info(checks: list[Check], control: Path | None) -> VerdictInfo:
    """Return the ``verdict`` entry of ``run.json``: the rows, and the control run they were paired with (if any)."""
    return VerdictInfo(checks=checks, control=str(control) if control is not None else None)


def verdict_json(checks: list[Check], control: Path | None) -> dict[str, JsonValue]:
    """Return the ``verdict`` entry of ``run.json`` as JSON (NaN becomes null)."""
    return verdict_info(checks, control).to_json()
