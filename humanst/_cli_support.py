"""Small pieces shared by the three command lines (humanst, stamp, stamp-bench): consoles and unbuilt commands."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console

__all__ = ["NOT_BUILT_EXIT_CODE", "console", "err_console", "new_app", "not_built"]

NOT_BUILT_EXIT_CODE = 2
# Rich falls back to 80 columns when output is not a terminal (CI logs, pipes); tables read better wider.
console = Console() if sys.stdout.isatty() else Console(width=140)
err_console = Console(stderr=True) if sys.stderr.isatty() else Console(stderr=True, width=140)


def not_built(command: str, planned: str) -> NoReturn:
    """Tell the user a command is planned but not built yet, and exit with code 2 (no traceback)."""
    err_console.print(
        f"[bold yellow]`{command}` is not built yet.[/] It arrives with {planned}; see the README for what works today."
    )
    raise typer.Exit(NOT_BUILT_EXIT_CODE)


def new_app(name: str, help_text: str) -> typer.Typer:
    """Make a typer app with the house settings: help on no arguments, no completion, plain errors."""
    return typer.Typer(
        name=name, help=help_text, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False
    )
