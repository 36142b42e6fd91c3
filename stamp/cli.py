"""The ``stamp`` command line: align pathology foundation models to pathway-level transcriptomics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst._cli_support import new_app, not_built

app = new_app(
    "stamp",
    "STAMP alignment: LoRA fine-tuning of a timm pathology encoder so patch embeddings align with pathway scores.",
)
_PLANNED = "the STAMP alignment issue"


@app.command()
def encoders() -> None:
    """List the registered encoders (hub id, embedding dim, input size, licence, gated)."""
    not_built("stamp encoders", _PLANNED)


@app.command()
def fit(
    atlas: Annotated[Path, typer.Option("--atlas", help="Atlas folder built by `humanst build`.")] = Path("atlas"),
    encoder: Annotated[str, typer.Option("--encoder", help="Registered encoder name or timm:<arch>.")] = "uni",
    out: Annotated[Path, typer.Option("--out", help="Run directory.")] = Path("run"),
) -> None:
    """Train LoRA adapters and heads that align the encoder's patch embeddings with pathway scores."""
    not_built("stamp fit", _PLANNED)


@app.command()
def embed(
    atlas: Annotated[Path, typer.Option("--atlas", help="Atlas folder.")] = Path("atlas"),
    encoder: Annotated[str, typer.Option("--encoder", help="Registered encoder name or timm:<arch>.")] = "uni",
    out: Annotated[Path, typer.Option("--out", help="Embedding cache folder.")] = Path("emb"),
) -> None:
    """Embed every patch of an atlas with a (possibly adapted) encoder."""
    not_built("stamp embed", _PLANNED)


@app.command()
def export(
    run: Annotated[Path, typer.Argument(help="Run directory of `stamp fit`.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("export"),
) -> None:
    """Export a run as a plain timm encoder with the LoRA merged (safetensors + card)."""
    not_built("stamp export", _PLANNED)


def main() -> None:
    """Console-script entry point."""
    app()
