"""``humanst push``: the atlas's patch dataset to a Hugging Face dataset repository (private by default)."""

from __future__ import annotations

from typing import Annotated

import typer

from humanst.cli._app import AtlasArg, app
from humanst.console import cli_errors, console


@app.command()
def push(
    atlas: AtlasArg,
    repo: Annotated[str, typer.Option("--repo", "-r", help="Dataset repository ORG/NAME (created if missing).")],
    public: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--public", help="Create the repository public (default: private).")
    ] = False,
    skip_restricted: Annotated[  # noqa: FBT002  (a CLI flag)
        bool,
        typer.Option("--skip-restricted", help="Leave out samples marked redistributable: false (named in the card)."),
    ] = False,
) -> None:
    """Push the patch dataset as parquet shards + dataset card; `datasets.load_dataset("ORG/NAME")` then reads it.

    Samples marked `redistributable: false` are never uploaded: the push is refused, or with --skip-restricted they
    are left out of the shards and listed in the card. The token comes from HF_TOKEN or `hf auth login` and is
    never printed.
    """
    from humanst.hub import push_atlas

    with cli_errors():
        done = push_atlas(atlas, repo, private=not public, skip_restricted=skip_restricted)
    result = done.result
    console.print(
        f"Pushed {done.rows} rows of {len(done.pushed)} sample(s) to dataset '{result.repo_id}' "
        f"({'private' if result.private else 'public'}) at commit {result.commit}: {len(result.files)} file(s)"
        + (f", {len(result.removed)} stale file(s) removed" if result.removed else "")
        + f". {result.page}",
        highlight=False,
    )
    if done.left_out:
        console.print(f"Left out (not redistributable, never uploaded): {', '.join(done.left_out)}", highlight=False)
