"""``humanst info``: the atlas build summary (samples, platforms, spots kept and dropped and why, um/px and source)."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from humanst.cli._app import AtlasArg, app
from humanst.console import cli_errors, console

TERMINAL_HIDDEN = ("footprint um", "redistributable", "notes")  # the terminal table; notes follow it as lines


@app.command()
def info(atlas: AtlasArg) -> None:
    """Summarise an atlas: per sample the spots kept and dropped (and why), genes, um/px and its source, licence."""
    from humanst.store.summary import build_summary

    with cli_errors():
        summary = build_summary(atlas)
    table = Table(title=f"atlas '{atlas}'", title_justify="left")
    shown = [i for i, c in enumerate(summary.COLUMNS) if c not in TERMINAL_HIDDEN]
    for i in shown:
        table.add_column(summary.COLUMNS[i], justify="right" if i in summary.NUMERIC else "left")
    rows = summary.rows()
    for row in rows:
        table.add_row(*(escape(row[i]) for i in shown))
    console.print(table)
    notes = summary.COLUMNS.index("notes")
    for row in rows:
        if row[notes] != "-":
            console.print(f"{row[0]}: {row[notes]}", markup=False, highlight=False)
    console.print(summary.totals_line(), highlight=False)
