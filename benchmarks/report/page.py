"""The report page: one static ``index.html`` with inline CSS, PNG figures beside it, no script, no external asset.

Every string that reaches the page goes through :func:`html.escape` (cells, captions, attribute values), so a
sample id or a config value cannot inject markup. The page is assembled from :class:`Section` objects made of
:class:`Block` parts (paragraph, table, figure, preformatted text).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Block", "Figure", "Pre", "Section", "Table", "Text", "render_page"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1400px;color:#222;
line-height:1.4;padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;margin-top:2rem}
h3{font-size:1rem;margin-top:1.4rem}table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{padding:.25rem .55rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}figure{margin:1rem 0}
figure img{max-width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.85rem;color:#555}
pre{background:#f7f7f7;padding:.6rem;font-size:.8rem;overflow-x:auto}.note{color:#a40}.muted{color:#666}
nav a{margin-right:1rem}.wide{overflow-x:auto}
"""


@dataclass(frozen=True)
class Text:
    """A paragraph (``css`` class optional)."""

    text: str
    css: str = ""


@dataclass(frozen=True)
class Table:
    """A table: ``id`` (for tests and links), headers, rows of cells; ``numeric`` marks right-aligned columns."""

    id: str
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: frozenset[int] = frozenset()
    caption: str = ""
    fold: str = ""  # when set, the table sits folded under this summary line (<details>)


@dataclass(frozen=True)
class Figure:
    """A PNG beside the page (``src`` a relative file name) with its alternative text and caption."""

    src: str
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class Pre:
    """Preformatted text (a config file)."""

    text: str
    summary: str = ""


Block = Text | Table | Figure | Pre


@dataclass
class Section:
    """A titled part of the page; ``level`` 2 for a section, 3 for a subsection."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2
    anchor: str = ""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _render_table(table: Table) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in table.headers)
    body = []
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{_e(c)}</td>' if i in table.numeric else f"<td>{_e(c)}</td>" for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    caption = f"<caption>{_e(table.caption)}</caption>" if table.caption else ""
    rows = "".join(body)
    table_html = f'<div class="wide"><table id="{_e(table.id)}">{caption}<thead><tr>{head}</tr></thead>'
    table_html += f"<tbody>{rows}</tbody></table></div>"
    if table.fold:
        return f"<details><summary>{_e(table.fold)}</summary>{table_html}</details>"
    return table_html


def _render_block(block: Block) -> str:
    if isinstance(block, Text):
        css = f' class="{_e(block.css)}"' if block.css else ""
        return f"<p{css}>{_e(block.text)}</p>"
    if isinstance(block, Table):
        return _render_table(block)
    if isinstance(block, Figure):
        caption = f"<figcaption>{_e(block.caption)}</figcaption>" if block.caption else ""
        return f'<figure><img src="{_e(block.src)}" alt="{_e(block.alt)}" loading="eager">{caption}</figure>'
    text = f"<pre>{_e(block.text)}</pre>"
    return f"<details><summary>{_e(block.summary)}</summary>{text}</details>" if block.summary else text


def render_page(title: str, intro: Sequence[Block], sections: Sequence[Section], *, generator: str) -> str:
    """Return the whole page: title, a navigation line over the level-2 sections, then every section."""
    nav = " ".join(f'<a href="#{_e(s.anchor)}">{_e(s.title)}</a>' for s in sections if s.level == 2 and s.anchor)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{_e(generator)}">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        *(_render_block(b) for b in intro),
        f"<nav>{nav}</nav>" if nav else "",
    ]
    for section in sections:
        anchor = f' id="{_e(section.anchor)}"' if section.anchor else ""
        level = 3 if section.level >= 3 else 2
        parts.append(f"<h{level}{anchor}>{_e(section.title)}</h{level}>")
        parts.extend(_render_block(b) for b in section.blocks)
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p) + "\n"
