"""`humanst info`: the build summary (spots kept, dropped and why, um/px and its source) for any atlas."""

from __future__ import annotations

from typer.testing import CliRunner

from humanst.cli import app
from humanst.store.atlas import Atlas
from humanst.store.summary import build_summary


def test_the_summary_has_a_row_per_record_with_drops_and_pixel_size_sources(demo_atlas):
    records = Atlas.open(demo_atlas).records()
    summary = build_summary(demo_atlas)
    rows = {row[0]: dict(zip(summary.COLUMNS, row, strict=True)) for row in summary.rows()}
    assert sorted(rows) == sorted(r.sample_id for r in records)
    for record in records:
        row = rows[record.sample_id]
        assert row["spots kept"] == str(record.spots_kept)
        assert row["um/px source"] == record.um_per_px_source
        for reason, n in record.dropped.items():
            assert (f"{reason} {n}" in row["dropped (why)"]) == (n > 0)
    kept = sum(r.spots_kept for r in records if r.finished)
    assert f"{kept} spots kept of {sum(r.spots_in for r in records if r.finished)}" in summary.totals_line()


def test_humanst_info_prints_the_summary(demo_atlas):
    done = CliRunner().invoke(app, ["info", str(demo_atlas)], terminal_width=200)
    assert done.exit_code == 0, done.output
    assert "dropped (why)" in done.output
    assert "um/px source" in done.output
    records = Atlas.open(demo_atlas).records()
    assert all(r.sample_id in done.output for r in records)
    assert "spots kept of" in done.output
