"""``humanst info``: what an atlas holds (samples, spots, platforms, licences), from its build records."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from humanst.cli._app import AtlasArg, app
from humanst.console import cli_errors, console


@app.command()
def info(atlas: AtlasArg) -> None:
    """Summarise an atlas: samples, spots, platforms, licences."""
    from humanst.errors import AtlasError
    from humanst.store import Atlas

    with cli_errors():
        opened = Atlas.open(atlas)
        records = opened.records()
        if not records:
            msg = f"atlas '{atlas}': no build records; run `humanst build` first"
            raise AtlasError(msg)
    ok = [r for r in records if r.status != "failed"]
    table = Table(title=f"atlas '{atlas}'", title_justify="left")
    for column in ("sample", "platform", "status", "spots", "genes", "um/px", "licence", "redistributable"):
        table.add_column(column, justify="right" if column in ("spots", "genes", "um/px") else "left")
    for r in records:
        table.add_row(
            r.sample_id, r.platform, r.status, str(r.spots_kept), str(r.genes),
            f"{r.um_per_px:.4g}" if r.um_per_px else "-", r.license, "yes" if r.redistributable else "no",
        )  # fmt: skip
    console.print(table)
    platforms = Counter(r.platform for r in ok)
    licences = Counter(r.license for r in ok)
    rows = str(opened.info()["rows"]) if opened.dataset.info.is_file() else "-"
    console.print(
        f"{len(ok)} sample(s) built, {len(records) - len(ok)} failed; {sum(r.spots_kept for r in ok)} spots; "
        f"patch dataset rows: {rows}; platforms: {dict(platforms)}; licences: {dict(licences)}; "
        f"redistributable: {sum(r.redistributable for r in ok)} of {len(ok)}",
        highlight=False,
    )
