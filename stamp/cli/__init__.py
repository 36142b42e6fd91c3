"""The ``stamp`` command line: command modules, each filing its commands on the one typer app."""

from __future__ import annotations

import importlib

from humanst.console import err_console
from stamp.cli._app import app

__all__ = ["app", "main"]

# In the order `stamp --help` lists them.
_COMMANDS = ("encoders", "fit", "embed", "share", "sweep")
for _name in _COMMANDS:
    importlib.import_module(f"stamp.cli.{_name}")


def main() -> None:
    """Console-script entry point."""
    import logging

    from rich.logging import RichHandler

    logging.basicConfig(
        level=logging.INFO, handlers=[RichHandler(console=err_console, show_path=False)], format="%(message)s"
    )
    app()
