"""``stamp encoders``: the encoder registry as a table."""

from __future__ import annotations

from humanst.console import console
from stamp.cli._app import app


@app.command()
def encoders() -> None:
    """List the registered encoders: weights (hub id or pip package), width, input size, pooling, licence, gated."""
    from rich.table import Table

    from stamp.encoders import encoder_names, get_encoder_spec

    table = Table(title="STAMP encoders (any timm architecture also works as timm:<arch>)")
    for column in ("name", "weights", "arch", "dim", "input", "pooling", "licence", "gated"):
        table.add_column(column)
    for name in encoder_names():
        spec = get_encoder_spec(name)
        table.add_row(
            spec.name,
            spec.weights_origin,
            spec.arch,
            str(spec.embed_dim),
            str(spec.input_size),
            spec.pooling,
            spec.license,
            "yes" if spec.gated else "no",
        )
    console.print(table)
