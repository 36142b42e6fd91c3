"""The report of tiers 2-3 from hand-made results with known answers: the numbers on the page, the verdict rows with
their controls, the ROC curves (corner and diagonal), the survival groups' medians, and the page in Chromium."""

from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest
from lifelines.statistics import logrank_test
from typer.testing import CliRunner

from benchmarks.cli import app
from benchmarks.report.links import MANIFEST, read_report_manifest
from benchmarks.report.roc import roc_curve_of, roc_points
from benchmarks.report.survival import at_risk_ticks, kaplan_meier
from tests.benchmarks.report import handmade as hm
from tests.benchmarks.report.test_write import _dump


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return hm.write_handmade(tmp_path_factory.mktemp("handmade"))


@pytest.fixture(scope="module")
def report(made: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("report") / "report"
    args = ["report", str(made["A"]), str(made["B"]), "--out", str(out), "--cohort", str(made["cohort"])]
    done = CliRunner().invoke(app, [*args, "--n-boot", "200"])
    assert done.exit_code == 0, done.output
    return out, (out / "index.html").read_text(), done.output


def _rows(page: str, table_id: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def _table_of(page: str, task: str) -> str:
    index = re.search(rf'<h2 id="(task-\d+)">Task {task} ', page)
    assert index is not None, task
    return index.group(1).replace("task-", "results-")


def test_status_scores_on_the_page_are_the_known_ones(report):
    _, page, _ = report
    rows = {(r[0], r[2]): r for r in _rows(page, _table_of(page, hm.STATUS))}
    for probe in hm.PROBES:
        a, b = rows[(hm.A_KEY, probe)], rows[(hm.B_KEY, probe)]
        assert a[4:6] == ["0.500 [0.500, 0.500]", "0.500 [0.500, 0.500]"]  # AUROC, balanced accuracy: chance
        assert b[4:6] == ["1.000 [1.000, 1.000]", "1.000 [1.000, 1.000]"]  # perfect
        assert b[6] == "positive 5, negative 5"


def test_roc_curves_are_the_diagonal_and_through_the_corner():
    status = np.array([i % 2 for i in range(hm.N)])
    chance = roc_curve_of("A", status, np.full(hm.N, 0.5), n_boot=200, seed=0)
    perfect = roc_curve_of("B", status, np.where(status == 1, 0.9, 0.1), n_boot=200, seed=0)
    np.testing.assert_allclose(chance.fpr, chance.tpr)  # on the diagonal
    assert chance.point == (1.0, 1.0)  # every probability 0.5 is called positive at threshold 0.5
    assert any(f == 0.0 and t == 1.0 for f, t in zip(perfect.fpr, perfect.tpr, strict=True))  # the corner
    assert perfect.point == (0.0, 1.0)
    assert perfect.band is not None
    assert np.all(perfect.band[0][1:] == 1.0)  # every resample is perfect too
    assert chance.band is not None
    assert np.allclose(chance.band[0], np.linspace(0, 1, 101))


def test_survival_groups_have_their_known_medians_on_the_page(report):
    _, page, _ = report
    table = _table_of(page, hm.SURVIVAL).replace("results-", "t") + "_km"
    rows = [r for r in _rows(page, table) if r[0] == hm.B_KEY]
    assert {(r[2], r[3], r[4], r[5]) for r in rows} == {("low risk", "5", "5", "300"), ("high risk", "5", "5", "30")}
    assert all(r[6].startswith("5 / ") for r in rows)  # numbers at risk at time 0
    expected = logrank_test(hm.HIGH_TIMES, hm.LOW_TIMES)  # lifelines' two-group test on the known groups
    assert {r[7] for r in rows} == {f"{expected.test_statistic:.2f}"}
    assert {r[8] for r in rows} == {f"{expected.p_value:.3g}"}
    assert expected.p_value < 0.01
    assert "median split of the out-of-fold predicted risk" in page
    assert (
        f"{hm.B_KEY} [mean-linear]: C-index 1.000 [1.000, 1.000] over 10 patients, 10 events, 45 comparable pairs"
        in page
    )


def test_kaplan_meier_medians_and_numbers_at_risk_by_hand():
    time = np.r_[hm.HIGH_TIMES, hm.LOW_TIMES]
    km = kaplan_meier("B", "p", time, np.ones(hm.N), -time, at_risk_ticks(time))
    assert km is not None
    low, high = km.groups
    assert (low.median, high.median) == (300.0, 30.0)
    assert km.ticks[0] == 0
    assert low.at_risk[0] == high.at_risk[0] == 5
    tick = list(km.ticks).index(200.0)
    assert (low.at_risk[tick], high.at_risk[tick]) == (4, 0)  # still followed at day 200


def test_the_verdict_puts_each_control_under_the_row_it_controls(report):
    _, page, output = report
    rows = _rows(page, "verdict")
    for probe in hm.PROBES:
        at = next(i for i, r in enumerate(rows) if r[0] == f"{hm.STATUS} (2)" and r[1] == probe)
        status = rows[at]
        assert status[4] == hm.B_KEY  # A is named in the caption
        assert status[7] == "+0.500 [+0.500, +0.500]"
        assert status[10].startswith("B above A")
        controls = rows[at + 1 : at + 3]  # both negative-control tasks, each a row: data, not code
        assert {c[0] for c in controls} == {f"{hm.NULL1} (2)", f"{hm.NULL2} (2)"}
        assert all(c[3] == f"negative-control task, control of {hm.STATUS}" for c in controls)
        assert all(c[10].startswith("A and B at chance") for c in controls)
        assert "negative control hm-null: at chance" in status[10]
        activity = next(i for i, r in enumerate(rows) if r[0] == f"{hm.ACTIVITY} (2)" and r[1] == probe)
        assert rows[activity][3] == "task"
        assert rows[activity][7].startswith("+")
        assert rows[activity + 1][3] == "matched random sets, control of hm-activity / activity"
    assert f"<caption>A = {hm.A_KEY}. B - A: paired difference" in page
    assert f"verdict {hm.STATUS} [abmil] AUROC: {hm.B_KEY} vs {hm.A_KEY} B - A +0.500" in " ".join(output.split())


def test_activity_shows_the_perfect_prediction_and_its_random_sets(report):
    _, page, _ = report
    rows = {(r[0], r[2], r[3]): r for r in _rows(page, _table_of(page, hm.ACTIVITY))}
    for probe in hm.PROBES:
        assert rows[(hm.B_KEY, probe, "activity")][4] == "1.000 [1.000, 1.000]"
        assert (hm.B_KEY, probe, "activity-random") in rows  # the control block beside it


def test_every_image_is_a_png_nothing_is_external_and_chromium_loads_it(report):
    out, page, _ = report
    sources = re.findall(r'<img src="([^"]+)"', page)
    # 3 ROC + 1 Kaplan-Meier + 2 activity figures; heatmaps: 5 tasks x 2 probes
    assert len(sources) == 6 + 10
    assert sum("heat" in s for s in sources) == 10
    for src in sources:
        assert (out / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert "<script" not in page
    found = _dump(out / "index.html")
    assert len(found["images"]) == len(sources)
    assert all(width > 0 for width in found["images"].values()), found["images"]
    assert found["tables"]["verdict"] == len(_rows(page, "verdict")) == 2 * (1 + 2) + 2 * 1 + 2 * (1 + 1)


def test_the_report_lists_what_it_shows_for_the_leaderboard(report):
    out, _, _ = report
    manifest = read_report_manifest(out)
    shown = {(r.embedding_key, r.task) for r in manifest.results}
    assert (hm.B_KEY, hm.SURVIVAL) in shown
    assert (hm.A_KEY, hm.STATUS) in shown
    assert (out / MANIFEST).is_file()


def test_roc_points_are_scikit_learns_curve():
    from sklearn.metrics import roc_curve

    rng = np.random.default_rng(3)
    y = rng.random(60) < 0.4
    score = np.round(rng.random(60), 1)  # many ties
    fpr, tpr, _ = roc_curve(y, score, drop_intermediate=False)
    mine = roc_points(y, score)
    np.testing.assert_allclose(mine[0], fpr)
    np.testing.assert_allclose(mine[1], tpr)


def test_the_leaderboard_links_each_entry_to_its_section_of_the_report(report, made, tmp_path):
    out, page, _ = report
    html_path = tmp_path / "board" / "leaderboard.html"
    args = ["leaderboard", str(made["B"]), "--html", str(html_path), "--report", str(out)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    board = html_path.read_text()
    links = re.findall(r'<td data-key="report"[^>]*><a href="([^"]+)">report</a></td>', board)
    assert len(links) == len(list(made["B"].glob("*.json")))  # every entry of the folder is in the report
    for link in links:
        target, anchor = link.split("#")
        assert (html_path.parent / target).resolve() == (out / "index.html").resolve()
        assert f'id="{anchor}"' in page
    done = CliRunner().invoke(app, ["leaderboard", str(made["B"]), "--html", str(html_path), "--report", str(tmp_path)])
    assert done.exit_code == 1
    assert "report.json is missing" in done.output


def test_a_cohort_that_is_not_a_cohort_folder_is_one_clear_line(made, tmp_path):
    args = ["report", str(made["A"]), "--out", str(tmp_path / "r"), "--cohort", str(tmp_path)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 1
    assert "not a cohort folder" in done.output
    assert not (tmp_path / "r").exists()
