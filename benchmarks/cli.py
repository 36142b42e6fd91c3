"""The ``stamp-bench`` command line: tiered benchmark of pathology encoders and the leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst._cli_support import new_app, not_built

app = new_app(
    "stamp-bench",
    "Tiered benchmark (spot, slide, patient) of pathology encoders, with a leaderboard and safe submissions.",
)
_PLANNED = "the benchmarks issue"


@app.command()
def run(
    atlas: Annotated[Path, typer.Option("--atlas", help="Atlas folder.")] = Path("atlas"),
    encoder: Annotated[str, typer.Option("--encoder", help="Registered encoder name or timm:<arch>.")] = "uni",
    out: Annotated[Path, typer.Option("--out", help="Results folder.")] = Path("results"),
) -> None:
    """Run the benchmark tiers for one encoder (optionally with a STAMP adapter)."""
    not_built("stamp-bench run", _PLANNED)


@app.command()
def compare(
    results_a: Annotated[Path, typer.Argument(help="Results folder A.")],
    results_b: Annotated[Path, typer.Argument(help="Results folder B.")],
) -> None:
    """Compare two result sets side by side with confidence intervals."""
    not_built("stamp-bench compare", _PLANNED)


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="Results folder.")],
    out: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path("report"),
) -> None:
    """Write an HTML report with spatial maps of measured vs predicted pathway activity."""
    not_built("stamp-bench report", _PLANNED)


@app.command()
def submit(
    results: Annotated[Path, typer.Argument(help="Results folder or embeddings for the hidden split.")],
    leaderboard: Annotated[Path, typer.Option("--leaderboard", help="Leaderboard folder.")] = Path("leaderboard"),
) -> None:
    """Validate a data-only submission and add it to a leaderboard folder."""
    not_built("stamp-bench submit", _PLANNED)


@app.command()
def leaderboard(
    folder: Annotated[Path, typer.Argument(help="Leaderboard folder of validated result files.")],
) -> None:
    """Render a leaderboard folder as CSV, Markdown and a static HTML page."""
    not_built("stamp-bench leaderboard", _PLANNED)


@app.command("fetch-cohort")
def fetch_cohort(
    name: Annotated[str, typer.Argument(help="Cohort name.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("cohort"),
) -> None:
    """Download a public slide cohort with its label table."""
    not_built("stamp-bench fetch-cohort", _PLANNED)


def main() -> None:
    """Console-script entry point."""
    app()
