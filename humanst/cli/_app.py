"""The ``humanst`` typer app and the argument types its commands share."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.console import new_app
from humanst.fetch.local import ABSOLUTE_PATHS_FLAG

__all__ = ["AbsolutePathsOpt", "AtlasArg", "ManifestArg", "app"]

app = new_app(
    "humanst",
    "HumanST atlas builder: public spatial transcriptomics + H&E -> harmonised SpatialData and a patch dataset.",
)

ManifestArg = Annotated[
    Path, typer.Argument(help="Atlas manifest (YAML), e.g. manifests/demo.yaml.", show_default=False)
]
AtlasArg = Annotated[Path, typer.Argument(help="Atlas folder (made by `humanst build`).", show_default=False)]
AbsolutePathsOpt = Annotated[
    bool,
    typer.Option(
        ABSOLUTE_PATHS_FLAG,
        help="Accept absolute (and ~) 'path' sources and data_root in the manifest; without it every local input "
        "must resolve inside the data root, symlinks included.",
    ),
]
