"""What the three command lines (humanst, stamp, stamp-bench) share: consoles, progress, the error guard.

- ``console`` / ``err_console``: rich consoles (140 columns when not a terminal, so CI logs stay readable);
- :func:`progress`: the one progress display; in a terminal a rich bar, elsewhere (CI, ``make demo > log``)
  a plain line per task every few seconds and when it finishes, so a long step is never silent;
- :func:`cli_errors`: turns the packages' own errors into one red line and exit code 1, no traceback;
- :func:`new_app` / :func:`not_built`: typer apps with the house settings; planned commands exit 2.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from humanst.errors import HumanstError

__all__ = [
    "LINE_INTERVAL_S",
    "NOT_BUILT_EXIT_CODE",
    "HouseProgress",
    "cli_errors",
    "console",
    "err_console",
    "new_app",
    "not_built",
    "progress",
]

NOT_BUILT_EXIT_CODE = 2
LINE_INTERVAL_S = 5.0  # seconds between progress lines when the output is not a terminal
# Rich falls back to 80 columns when output is not a terminal (CI logs, pipes); tables read better wider.
console = Console() if sys.stdout.isatty() else Console(width=140)
err_console = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=140)


class HouseProgress(Progress):
    """A rich ``Progress`` that, on a console that is not a terminal, prints a line per task now and then.

    Rich draws nothing until the end when it cannot redraw in place; this subclass prints
    ``<description>: <done>/<total> [fields] <elapsed>`` at most every ``line_interval_s`` per task, and once
    when a task completes. Use it through :func:`progress`.
    """

    def __init__(self, *columns: str | ProgressColumn, line_interval_s: float = LINE_INTERVAL_S, **kwargs: Any):
        super().__init__(*columns, **kwargs)
        self.line_interval_s = line_interval_s
        self._lines_on = not self.console.is_terminal and not self.disable
        self._last_line: dict[TaskID, float] = {}
        self._finished: set[TaskID] = set()

    def advance(self, task_id: TaskID, advance: float = 1) -> None:
        """Advance a task (and print its line when one is due)."""
        super().advance(task_id, advance)
        self._line(task_id)

    def update(self, task_id: TaskID, **kwargs: Any) -> None:
        """Update a task (and print its line when one is due)."""
        super().update(task_id, **kwargs)
        self._line(task_id)

    def _line(self, task_id: TaskID) -> None:
        if not self._lines_on or task_id in self._finished:
            return
        task = self._tasks[task_id]
        if not task.visible or not task.description:
            return
        now = time.monotonic()
        done = task.total is not None and task.completed >= task.total
        last = self._last_line.setdefault(task_id, now)
        if not done and now - last < self.line_interval_s:
            return
        self._last_line[task_id] = now
        if done:
            self._finished.add(task_id)
        count = f"{task.completed:g}" + (f"/{task.total:g}" if task.total is not None else "")
        fields = " ".join(f"{k} {_short(v)}" for k, v in task.fields.items() if not k.startswith("_"))
        elapsed = task.finished_time if done and task.finished_time is not None else task.elapsed or 0.0
        text = " ".join(p for p in (f"{task.description}: {count}", fields, f"({elapsed:.0f} s)") if p)
        self.console.print(text, markup=False, highlight=False)


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def progress(
    *extra_columns: str | ProgressColumn,
    target: Console | None = None,
    transient: bool | None = None,
    remaining: bool = False,
    enabled: bool = True,
) -> HouseProgress:
    """Return the house progress display (use as a context manager; ``add_task`` / ``advance`` / ``update``).

    Parameters
    ----------
    extra_columns
        Columns after the bar and the count (e.g. ``TextColumn("loss {task.fields[loss]:.4f}")``).
    target
        Console to draw on; default ``err_console`` (progress is not output).
    transient
        Remove the bar when done; default: in a terminal yes, elsewhere no.
    remaining
        Show the time remaining instead of the time elapsed.
    enabled
        ``False`` makes it silent (library calls with ``progress=False``).
    """
    out = err_console if target is None else target
    columns: list[str | ProgressColumn] = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()]
    columns += [*extra_columns, TimeRemainingColumn() if remaining else TimeElapsedColumn()]
    return HouseProgress(
        *columns,
        line_interval_s=LINE_INTERVAL_S,  # read at call time (a test shortens it)
        console=out,
        transient=out.is_terminal if transient is None else transient,
        disable=not enabled,
    )


@contextmanager
def cli_errors(*errors: type[BaseException]) -> Iterator[None]:
    """Turn the given errors (default: :class:`HumanstError`) into one red line on stderr and exit code 1.

    The packages' own errors already name subject, cause and fix; a traceback would only bury that line.
    """
    caught = errors or (HumanstError,)
    try:
        yield
    except caught as exc:
        err_console.print("[bold red]error:[/] ", end="")
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)  # one line, even in a narrow log
        raise typer.Exit(1) from exc


def not_built(command: str, planned: str) -> NoReturn:
    """Tell the user a command is planned but not built yet, and exit with code 2 (no traceback)."""
    err_console.print(
        f"[bold yellow]`{command}` is not built yet.[/] It arrives with {planned}; see docs/ for what works today."
    )
    raise typer.Exit(NOT_BUILT_EXIT_CODE)


def new_app(name: str, help_text: str) -> typer.Typer:
    """Make a typer app with the house settings: help on no arguments, no completion, plain errors."""
    return typer.Typer(
        name=name, help=help_text, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
