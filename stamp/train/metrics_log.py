"""Training metrics to ``metrics.csv`` (appended across resumes) and TensorBoard (``tensorboard/``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

__all__ = ["MetricsLog"]


class MetricsLog:
    """Append rows of metrics to CSV and TensorBoard; on resume, rows after the resume step are dropped first."""

    FIELDS = ("step", "loss", "loss_con", "loss_reg", "temperature", "lr", "patches_per_s")

    def __init__(self, run: Path, *, start_step: int = 0, tensorboard: bool = True) -> None:
        self.path = Path(run) / "metrics.csv"
        rows = []
        if self.path.is_file():
            with self.path.open(newline="", encoding="utf-8") as handle:
                rows = [r for r in csv.DictReader(handle) if int(r["step"]) <= start_step]
        with self.path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        self.writer: Any = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(run) / "tensorboard"), purge_step=start_step + 1)

    def log(self, step: int, values: dict[str, float]) -> None:
        """Record one step's metrics."""
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            csv.DictWriter(handle, fieldnames=self.FIELDS).writerow({"step": step, **values})
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(f"train/{key}", value, step)

    def close(self) -> None:
        """Flush TensorBoard."""
        if self.writer is not None:
            self.writer.close()
