"""A rich progress bar over training steps showing the running loss (silent when disabled)."""

from __future__ import annotations

from typing import Any

__all__ = ["TrainProgress"]


class TrainProgress:
    """Context manager: ``advance(loss=...)`` once per step."""

    def __init__(self, total: int, *, enabled: bool = True) -> None:
        self.total = total
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> TrainProgress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                TextColumn("[bold]fit"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]:.4f}"),
                TimeRemainingColumn(),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("fit", total=self.total, loss=float("nan"))
        return self

    def advance(self, *, loss: float) -> None:
        """Mark one step done."""
        if self._progress is not None:
            self._progress.update(self._task, advance=1, loss=loss)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
