"""Training metrics to ``metrics.csv`` (appended across resumes) and TensorBoard (``tensorboard/``).

One row per logged step; training columns (loss, lr, ...) and validation columns (``val_*``, ``drift_*``) share
the file, each row filling the columns measured at that step (step 0 holds the base encoder's validation).
TensorBoard tags are grouped: ``train/loss``, ``val/val_gap``, ``drift/drift_cka``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from stamp.run_dir import RunFiles
from stamp.run_info import MetricRow

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

__all__ = ["TRAIN_FIELDS", "MetricsLog", "read_metrics"]

TRAIN_FIELDS = ("step", "loss", "loss_con", "loss_reg", "temperature", "lr", "lr_heads", "patches_per_s")


def read_metrics(run: Path) -> list[MetricRow]:
    """Read a run's ``metrics.csv`` back: one dict per row, numbers as floats (``step`` as int), blanks dropped."""
    path = Path(run) / RunFiles.METRICS
    if not path.is_file():
        return []
    rows = []
    with path.open(newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            row: MetricRow = {k: float(v) for k, v in raw.items() if k != "step" and v not in ("", None)}
            rows.append({"step": int(raw["step"]), **row})
    return rows


class MetricsLog:
    """Append rows of metrics to CSV and TensorBoard; on resume, rows after the resume step are dropped first."""

    def __init__(
        self, run: Path, *, start_step: int = 0, extra_fields: Sequence[str] = (), tensorboard: bool = True
    ) -> None:
        self.path = Path(run) / RunFiles.METRICS
        self.fields = (*TRAIN_FIELDS, *[f for f in extra_fields if f not in TRAIN_FIELDS])
        rows = []
        if self.path.is_file():
            with self.path.open(newline="", encoding="utf-8") as handle:
                rows = [r for r in csv.DictReader(handle) if int(r["step"]) <= start_step]
        with self.path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        self.writer: SummaryWriter | None = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(run) / RunFiles.TENSORBOARD), purge_step=start_step + 1)

    def log(self, step: int, values: dict[str, float]) -> None:
        """Record one step's metrics."""
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            csv.DictWriter(handle, fieldnames=self.fields, extrasaction="ignore").writerow({"step": step, **values})
        if self.writer is not None:
            for key, value in values.items():
                if math.isfinite(value):
                    self.writer.add_scalar(f"{_group(key)}/{key}", value, step)

    def close(self) -> None:
        """Flush TensorBoard."""
        if self.writer is not None:
            self.writer.close()


def _group(key: str) -> str:
    if key.startswith("val_"):
        return "val"
    if key.startswith("drift_"):
        return "drift"
    return "train"
