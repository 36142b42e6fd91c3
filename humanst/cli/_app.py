"""The ``humanst`` typer app and the argument types its commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.console import new_app

__all__ = ["AtlasArg", "ManifestArg", "app"]

app = new_app(
    "humanst",
    "HumanST atlas builder: public spatial transcriptomics + H&E -> harmonised SpatialData and a patch dataset.",
)

ManifestArg = Annotated[
    Path, typer.Argument(help="Atlas manifest (YAML), e.g. manifests/demo.yaml.", show_default=False)
]
AtlasArg = Annotated[Path, typer.Argument(help="Atlas folder (made by `humanst build`).", show_default=False)]
