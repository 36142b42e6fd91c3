"""The demo leaderboard: both trivial baselines, random sets beside every pathway, HTML checked in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from benchmarks.leaderboard import build_table, collect_results, render_all

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
INSTALL = "sudo apt-get install -y chromium"


@pytest.fixture(scope="module")
def board(demo_results, tmp_path_factory):
    folder = tmp_path_factory.mktemp("board")
    for path in demo_results.glob("*.json"):
        shutil.copy(path, folder / path.name)
    results, problems = collect_results(folder)
    assert not problems
    table = build_table(results)
    return table, render_all(table, folder)


def test_both_trivial_baselines_and_the_random_set_control_beside_every_pathway(board):
    table, paths = board
    entries = {row["encoder"][0] + "|" + row["entry"][0] for row in table.rows}
    assert entries == {
        "vit-tiny-test|model",
        "vit-tiny-test|baseline: random weights",
        "colour-texture|baseline: colour/texture statistics",
    }
    keys = [c.key for c in table.columns]
    for key in (k for k in keys if k.startswith("r_pathways_")):
        what = key.removeprefix("r_pathways_")
        assert keys.index(f"r_random_{what}") == keys.index(key) + 1
        assert keys.index(f"gap_{what}") == keys.index(key) + 2
    assert not [n for n in table.notes if "missing" in n]  # both baselines present
    md = paths["md"].read_text()
    assert "hallmark random-set r" in md
    assert "hallmark specific gap" in md
    csv_header = paths["csv"].read_text().splitlines()[0]
    assert "r_random_hallmark" in csv_header
    assert "gap_hallmark_value" in csv_header


def test_html_has_no_external_assets(board):
    page = board[1]["html"].read_text()
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "<script>" in page
    assert "<style>" in page


def _dump_dom(url: str) -> str:
    if CHROMIUM is None:
        pytest.fail(f"headless Chromium is needed to check the leaderboard page; install it with: {INSTALL}")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _rows(dom: str) -> list[dict[str, str]]:
    body = dom.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        rows.append(dict(re.findall(r'<td data-key="([^"]+)" data-value="([^"]*)"', tr)))
    return rows


def test_html_renders_in_headless_chromium_sorted_by_the_url_fragment(board):
    table, paths = board
    url = paths["html"].resolve().as_uri()
    dom = _dump_dom(url)
    assert 'data-sort-key="r_pathways_hallmark"' in dom
    assert 'data-sort-dir="desc"' in dom
    rows = _rows(dom)
    assert len(rows) == len(table.rows) == 3
    values = [float(r["r_pathways_hallmark"]) for r in rows]
    assert values == sorted(values, reverse=True)
    dom = _dump_dom(url + "#sort=encoder&dir=asc")
    assert 'data-sort-key="encoder"' in dom
    assert 'data-sort-dir="asc"' in dom
    encoders = [r["encoder"] for r in _rows(dom)]
    assert encoders == sorted(encoders)
    dom = _dump_dom(url + "#sort=r_random_hallmark&dir=asc")
    values = [float(r["r_random_hallmark"]) for r in _rows(dom)]
    assert values == sorted(values)


def test_the_table_shows_the_kind_of_entry_the_patients_and_the_kind_of_interval(board):
    table, paths = board
    keys = [c.key for c in table.columns]
    assert {"verification", "patients", "interval"} <= set(keys)
    for row in table.rows:  # a results folder, not submitted: nobody verified these
        assert row["verification"][0] == "self-reported"
        assert row["patients"] == (2, "2")
        assert row["interval"][0] == "spatial_block_bootstrap"
    header = paths["csv"].read_text().splitlines()[0].split(",")
    assert {"verification", "patients", "interval"} <= set(header)
    assert "no claim about other patients" in paths["html"].read_text()


def test_free_text_is_written_safely_in_all_three_files(demo_results, tmp_path):
    import csv
    import json

    from benchmarks.schema import Result, canonical_digest

    folder = tmp_path / "results"
    folder.mkdir()
    hostile = '=HYPERLINK("http://evil")|<img src=x onerror=alert(1)>![x](http://evil/p.png) *b*\nnext'
    doc = json.loads(next(demo_results.glob("vit-tiny-test__*.json")).read_text())
    doc["encoder"] = hostile
    result = Result.model_validate({**doc, "digest": ""})
    sealed = result.model_copy(update={"digest": canonical_digest(result)})
    (folder / "hostile.json").write_text(sealed.model_dump_json())
    results, problems = collect_results(folder)
    assert problems == []
    paths = render_all(build_table(results), folder)
    md = paths["md"].read_text()
    assert not re.search(r"(?<!\\)[<\[\]!*]", md.split("\n- note:")[0].replace("\u2020", ""))  # all escaped
    assert "\\<img src=x onerror=alert(1)\\>\\!\\[x\\](http://evil/p.png) \\*b\\* next" in md
    assert sum(line.startswith("|") for line in md.splitlines()) == 3  # header, rule, one row: no row injected
    with paths["csv"].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["encoder"] == "'" + hostile  # shown, not evaluated, by a spreadsheet
    page = paths["html"].read_text()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
