"""The ``stamp`` typer app, the options its commands share, and the guard that turns errors into one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from humanst.console import cli_errors, new_app

__all__ = ["AdapterOpt", "EncoderOpt", "WeightsOpt", "app", "guard"]

T = TypeVar("T")

app = new_app(
    "stamp",
    "STAMP alignment: LoRA fine-tuning of a timm pathology encoder so patch embeddings align with pathway scores.",
)

EncoderOpt = Annotated[
    str | None, typer.Option("--encoder", "-e", help="Registered encoder (see `stamp encoders`) or timm:<arch>.")
]
WeightsOpt = Annotated[
    Path | None, typer.Option("--weights", help="Local .safetensors weights instead of the Hugging Face Hub (offline).")
]
AdapterOpt = Annotated[
    str | None,
    typer.Option(
        "--adapter",
        help="Run directory of `stamp fit`, or hf:ORG/NAME[@REVISION] (pushed by `stamp push`; pinned by commit).",
    ),
]


def guard(action: Callable[[], T]) -> T:
    """Run ``action``; turn stamp's and humanst's own errors into one red line and exit code 1 (no traceback)."""
    from humanst.errors import HumanstError
    from stamp.errors import StampError

    with cli_errors(StampError, HumanstError):
        return action()
