"""stamp's step counter (training steps, embedded patches) on the house progress display; silent when disabled."""

from __future__ import annotations

from types import TracebackType

from rich.progress import TaskID, TextColumn

from humanst.console import HouseProgress, progress

__all__ = ["StepProgress"]


class StepProgress:
    """Context manager: ``advance(n, loss=...)`` as work is done; ``show_loss`` adds the running loss.

    In a terminal a rich bar; in logs (CI, ``make demo > log``) a line every few seconds with the loss.
    """

    def __init__(self, label: str, total: int, *, enabled: bool = True, show_loss: bool = False) -> None:
        self.label = label
        self.total = total
        self.enabled = enabled and total > 0
        self.show_loss = show_loss
        self._progress: HouseProgress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> StepProgress:
        if self.enabled:
            extra = [TextColumn("loss {task.fields[loss]:.4f}")] if self.show_loss else []
            self._progress = progress(*extra, remaining=True)
            self._progress.__enter__()
            if self.show_loss:
                self._task = self._progress.add_task(self.label, total=self.total, loss=float("nan"))
            else:
                self._task = self._progress.add_task(self.label, total=self.total)
        return self

    def advance(self, n: int = 1, *, loss: float | None = None) -> None:
        """Mark ``n`` more units done (and update the shown loss)."""
        if self._progress is not None and self._task is not None:
            if loss is not None and self.show_loss:
                self._progress.update(self._task, advance=n, loss=loss)
            else:
                self._progress.update(self._task, advance=n)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.__exit__(kind, exc, trace)
