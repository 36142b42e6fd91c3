"""The ``humanst`` command line: one module per command, each filing itself on the one typer app."""

from __future__ import annotations

import importlib

from humanst.cli._app import app

__all__ = ["app", "main"]

# In the order `humanst --help` lists them.
_COMMANDS = ("validate_manifest", "synth", "demo", "build", "validate", "info", "export", "push", "score")
for _name in _COMMANDS:
    importlib.import_module(f"humanst.cli.{_name}")


def main() -> None:
    """Console-script entry point."""
    app()
