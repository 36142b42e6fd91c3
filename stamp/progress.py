"""One rich progress bar for stamp's long loops (training steps, embedded patches); silent when disabled."""

from __future__ import annotations

from typing import Any

__all__ = ["StepProgress"]


class StepProgress:
    """Context manager: ``advance(n, loss=...)`` as work is done; ``show_loss`` adds the running loss."""

    def __init__(self, label: str, total: int, *, enabled: bool = True, show_loss: bool = False) -> None:
        self.label = label
        self.total = total
        self.enabled = enabled and total > 0
        self.show_loss = show_loss
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> StepProgress:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            columns = [TextColumn(f"[bold]{self.label}"), BarColumn(), MofNCompleteColumn()]
            if self.show_loss:
                columns.append(TextColumn("loss {task.fields[loss]:.4f}"))
            self._progress = Progress(*columns, TimeRemainingColumn())
            self._progress.__enter__()
            self._task = self._progress.add_task(self.label, total=self.total, loss=float("nan"))
        return self

    def advance(self, n: int = 1, *, loss: float | None = None) -> None:
        """Mark ``n`` more units done (and update the shown loss)."""
        if self._progress is not None:
            fields = {} if loss is None else {"loss": loss}
            self._progress.update(self._task, advance=n, **fields)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
