"""Render a leaderboard table as ``leaderboard.csv``, ``leaderboard.md`` and a static ``leaderboard.html``.

Text that comes from result files (an encoder's name is free text) is written safely in all three: HTML-escaped,
Markdown-escaped (no link, image, emphasis or inline HTML can be made of it; one line), and in the CSV a text cell
that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is prefixed with ``'`` so that a
spreadsheet shows it instead of evaluating it. The HTML page is one self-contained file: inline CSS and a small
inline script, no external assets. With reports given, each entry shown by one links to its task's section there
(a relative link; the report is a local folder; the one link the Markdown makes on purpose).
Clicking a header sorts by that column; the page also sorts on load from the URL fragment
``#sort=<column key>&dir=asc|desc`` (default: the first pathway column, descending), so a sorted view
can be linked. The table carries ``data-sort-key`` / ``data-sort-dir`` once the script has run.
"""

from __future__ import annotations

import csv
import html
import io
from pathlib import Path

from benchmarks.leaderboard.collect import REPORT, LeaderboardTable

__all__ = ["csv_text", "markdown_text", "render_all", "render_csv", "render_html", "render_markdown"]

DASH = "\u2013"
_MARKDOWN_SPECIAL = "\\`*_[]<>|!#~"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def markdown_text(text: str) -> str:
    """Return ``text`` as literal Markdown on one line: line breaks become spaces, markup characters are escaped."""
    flat = " ".join(str(text).splitlines())
    return "".join(f"\\{c}" if c in _MARKDOWN_SPECIAL else c for c in flat)


def csv_text(text: str) -> str:
    """Return a CSV text cell a spreadsheet will not evaluate: one starting with ``= + - @`` gets a leading ``'``."""
    return f"'{text}" if str(text).startswith(_FORMULA_START) else str(text)


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;font-size:.9rem}th,td{padding:.35rem .6rem;border-bottom:1px solid #ddd}
th{cursor:pointer;background:#f4f4f4;text-align:left;white-space:nowrap}th.sorted-asc:after{content:" \\25B2"}
th.sorted-desc:after{content:" \\25BC"}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.baseline td{color:#777;font-style:italic}.notes{color:#a40;margin-top:1rem}
tr.self-reported td{background:#fff8e6}
"""

_SCRIPT = """
(function(){
  var table=document.getElementById('leaderboard');
  var heads=Array.prototype.slice.call(table.tHead.rows[0].cells);
  function sortBy(key,dir){
    var col=heads.findIndex(function(h){return h.dataset.key===key;});
    if(col<0){return;}
    var numeric=heads[col].dataset.numeric==='1';
    var body=table.tBodies[0];
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=a.cells[col].dataset.value,y=b.cells[col].dataset.value;
      if(numeric){
        var fx=x===''?NaN:parseFloat(x),fy=y===''?NaN:parseFloat(y);
        if(isNaN(fx)&&isNaN(fy)){return 0;} if(isNaN(fx)){return 1;} if(isNaN(fy)){return -1;}
        return dir==='asc'?fx-fy:fy-fx;
      }
      var c=x.localeCompare(y);return dir==='asc'?c:-c;
    });
    rows.forEach(function(r){body.appendChild(r);});
    heads.forEach(function(h){h.classList.remove('sorted-asc','sorted-desc');});
    heads[col].classList.add('sorted-'+dir);
    table.dataset.sortKey=key;table.dataset.sortDir=dir;
  }
  function fromHash(){
    var params={};
    location.hash.replace(/^#/,'').split('&').forEach(function(p){
      var kv=p.split('=');if(kv[0]){params[decodeURIComponent(kv[0])]=decodeURIComponent(kv[1]||'');}
    });
    sortBy(params.sort||table.dataset.defaultKey,params.dir==='asc'?'asc':'desc');
  }
  heads.forEach(function(h){
    h.addEventListener('click',function(){
      var dir=(table.dataset.sortKey===h.dataset.key&&table.dataset.sortDir==='desc')?'asc':'desc';
      location.hash='sort='+encodeURIComponent(h.dataset.key)+'&dir='+dir;
    });
  });
  window.addEventListener('hashchange',fromHash);
  fromHash();
})();
"""


def render_csv(table: LeaderboardTable) -> str:
    """Return CSV with one column per table column (the shown text; numbers as plain values in ``<key>_value``).

    Text cells go through :func:`csv_text`.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = []
    for column in table.columns:
        header.append(csv_text(column.key))
        if column.numeric and column.key != "rank":
            header.append(csv_text(f"{column.key}_value"))
    writer.writerow(header)
    for row in table.rows:
        cells = []
        for column in table.columns:
            value, text = row.get(column.key, (None, ""))
            cells.append(text if column.numeric else csv_text(text))  # numbers: formatted here, negative allowed
            if column.numeric and column.key != "rank":
                cells.append("" if value is None else f"{value:.6g}")
        writer.writerow(cells)
    return buffer.getvalue()


def _md_cell(row: dict[str, tuple[float | str | None, str]], key: str) -> str:
    """One Markdown cell as literal text; the report column is a link (its href percent-encoded by the report)."""
    value, text = row.get(key, (None, DASH))
    if key == REPORT and isinstance(value, str):
        return f"[{markdown_text(text)}]({value})"
    return markdown_text(text) or DASH


def render_markdown(table: LeaderboardTable) -> str:
    """Return a Markdown table (every cell and note as literal text, :func:`markdown_text`) followed by the notes."""
    lines = ["| " + " | ".join(markdown_text(c.header) for c in table.columns) + " |"]
    lines.append("|" + "|".join("---:" if c.numeric else "---" for c in table.columns) + "|")
    for row in table.rows:
        cells = [_md_cell(row, c.key) for c in table.columns]
        lines.append("| " + " | ".join(cells) + " |")
    if table.notes:
        lines += ["", *[f"- note: {markdown_text(n)}" for n in table.notes]]
    return "\n".join(lines) + "\n"


def render_html(table: LeaderboardTable, *, title: str = "stamp-bench leaderboard") -> str:
    """Return a self-contained sortable HTML page (inline CSS and JS only)."""
    default = next((c.key for c in table.columns if c.numeric and c.key.startswith("r_")), "rank")
    esc = html.escape
    head = "".join(
        f'<th data-key="{esc(c.key)}" data-numeric="{int(c.numeric)}" title="{esc(c.title)}">{esc(c.header)}</th>'
        for c in table.columns
    )
    body = []
    for row in table.rows:
        classes = []
        if str(row.get("entry", ("", ""))[0]).startswith("baseline"):
            classes.append("baseline")
        if row.get("verification", ("verified", ""))[0] != "verified":
            classes.append("self-reported")
        cells = []
        for c in table.columns:
            value, text = row.get(c.key, (None, DASH))
            data = "" if value is None else (f"{value:.9g}" if isinstance(value, float) else str(value))
            cls = ' class="num"' if c.numeric else ""
            tip = f' title="{esc(row["_how"][1])}"' if c.key == "verification" and "_how" in row else ""
            shown = esc(text or DASH)
            if c.key == REPORT and isinstance(value, str):
                shown = f'<a href="{esc(value)}">{shown}</a>'
            cells.append(f'<td data-key="{esc(c.key)}" data-value="{esc(data)}"{cls}{tip}>{shown}</td>')
        row_class = f' class="{" ".join(classes)}"' if classes else ""
        body.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    notes = "".join(f"<li>{esc(n)}</li>" for n in table.notes)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1><p>Pearson r, mean over held-out patients, with a 95% interval whose kind is in "
        "the interval column: a bootstrap over patients when the task holds out enough of them, otherwise a "
        "spatial block bootstrap within the patients, which makes no claim about other patients. Verified "
        "entries were scored or reproduced by the evaluator; self-reported ones are internally consistent "
        "results files and rank after them. The random-set column is the size- and expression-matched control; "
        "the gap is the specific molecular signal. Click a header to sort.</p>"
        f'<table id="leaderboard" data-default-key="{esc(default)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
        f'<ul class="notes">{notes}</ul><script>{_SCRIPT}</script></body></html>\n'
    )


def render_all(table: LeaderboardTable, out_dir: Path, *, html_path: Path | None = None) -> dict[str, Path]:
    """Write ``leaderboard.csv`` and ``leaderboard.md`` into ``out_dir`` and the HTML page (default there too)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": out_dir / "leaderboard.csv",
        "md": out_dir / "leaderboard.md",
        "html": html_path or out_dir / "leaderboard.html",
    }
    paths["csv"].write_text(render_csv(table), encoding="utf-8")
    paths["md"].write_text(render_markdown(table), encoding="utf-8")
    paths["html"].parent.mkdir(parents=True, exist_ok=True)
    paths["html"].write_text(render_html(table), encoding="utf-8")
    return paths
