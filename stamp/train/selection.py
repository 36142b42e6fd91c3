"""Checkpoint choice and the end-of-run verdict: which adapter a run keeps, and whether its encoder moved.

``--select best-val-gap`` keeps the trainable state (LoRA + heads) of the validated step with the best
validation gap (pathway minus random-set Pearson) in ``checkpoints/best``; at the end of the run that state is
what ``adapter/`` and ``heads.safetensors`` hold, so ``stamp embed --adapter RUN`` uses it. ``last`` keeps the
last step. Either way ``run.json`` records the rule, the step and its metrics, the base encoder's metrics at
step 0, and warnings: an encoder that barely moved ("the heads did the work"), or no step beating the base.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from stamp._logging import logger
from stamp.run_info import MetricRow, ValidationSummary
from stamp.train.checkpoint import load_best, read_best, save_best

if TYPE_CHECKING:
    from stamp.model import StampAligner
    from stamp.train.config import ValidationSettings
    from stamp.train.validation import Validator

__all__ = ["RunValidation"]


class RunValidation:
    """Validate at the configured steps, keep the best state, and summarise the run for ``run.json``.

    Parameters
    ----------
    validator
        The run's :class:`stamp.train.validation.Validator` (``None`` when validation is off or impossible).
    run
        The run directory.
    settings
        ``TrainConfig.validation``.
    total_steps
        Steps of the whole run (the last step is always validated).
    """

    def __init__(self, validator: Validator | None, run: Path, settings: ValidationSettings, total_steps: int) -> None:
        self.validator = validator
        self.run = Path(run)
        self.settings = settings
        self.total_steps = total_steps
        best = read_best(self.run)
        self.best_gap = _num(best, "val_gap") if best is not None else -math.inf

    @property
    def enabled(self) -> bool:
        """Whether this run validates."""
        return self.validator is not None

    def due(self, step: int) -> bool:
        """Whether ``step`` (optimiser steps done) is a validation step: 0, every N, and the last."""
        return self.enabled and (step == 0 or step % self.settings.every == 0 or step == self.total_steps)

    def validate(self, aligner: StampAligner, step: int) -> dict[str, float]:
        """Score the current encoder; keep its trainable state when its gap is the best of the run so far."""
        if self.validator is None:
            return {}
        values = self.validator.evaluate(aligner.encoder, step)
        pretty = ", ".join(f"{k} {v:.4f}" for k, v in values.items())
        logger.info("validation at step %d: %s", step, pretty)
        gap = values["val_gap"]
        if step > 0 and self.settings.select == "best-val-gap" and math.isfinite(gap) and gap > self.best_gap:
            self.best_gap = gap
            save_best(self.run, step, aligner.trainable_state(), values)
        return values

    def select(self, aligner: StampAligner, history: list[MetricRow]) -> ValidationSummary:
        """Load the chosen state into ``aligner`` and return the run's validation summary (for ``run.json``)."""
        if self.validator is None:
            return ValidationSummary(enabled=False, select="last")
        rule = self.settings.select
        validated = [row for row in history if _finite(row.get("val_gap"))]
        base = next((row for row in validated if _step(row) == 0), None)
        chosen: MetricRow
        if rule == "best-val-gap" and read_best(self.run) is not None:
            chosen = load_best(self.run, aligner)
        else:
            chosen = max(validated, key=_step) if validated else {}
        step = _step(chosen) if "step" in chosen else self.total_steps
        chosen = {k: v for k, v in chosen.items() if k != "step"} | {"step": step}
        warnings = self._verdict(base, chosen)
        return ValidationSummary.model_validate(
            {
                "enabled": True,
                "select": rule,
                **self.validator.data.describe(),
                "penalty": self.validator.penalty,
                "base": base,
                "selected": chosen,
                "history": validated,
                "warnings": warnings,
            }
        )

    def _verdict(self, base: MetricRow | None, chosen: MetricRow) -> list[str]:
        warnings = []
        cka = chosen.get("drift_cka")
        if cka is not None and _finite(cka) and 1.0 - float(cka) < self.settings.min_drift:
            warnings.append(
                f"the encoder barely moved: drift 1 - CKA = {1.0 - float(cka):.4f} (mean cosine to the base "
                f"{_num(chosen, 'drift_cosine'):.4f}) at the kept step {chosen['step']}, below "
                f"validation.min_drift {self.settings.min_drift}; the heads did the work. Raise optim.lr (LoRA), "
                "lower optim.head_lr, add optim.heads_only_steps, or adapt more blocks (lora.blocks, lora.r)."
            )
        if base is not None and _finite(chosen.get("val_gap")) and _num(chosen, "val_gap") <= _num(base, "val_gap"):
            warnings.append(
                f"no validated step beat the base encoder's validation gap ({_num(base, 'val_gap'):.4f} at step 0; "
                f"kept step {chosen['step']}: {_num(chosen, 'val_gap'):.4f})"
            )
        for text in warnings:
            logger.warning(text)
        return warnings


def _num(row: MetricRow | None, key: str) -> float:
    value = (row or {}).get(key)
    return float(value) if value is not None else math.nan


def _step(row: MetricRow) -> int:
    return int(row.get("step") or 0)


def _finite(value: float | None) -> bool:
    try:
        return value is not None and math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
