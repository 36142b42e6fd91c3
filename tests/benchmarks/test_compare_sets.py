"""`stamp-bench compare` of several result sets: every pairwise difference, the tissue interval and the seed spread."""

from __future__ import annotations

from typer.testing import CliRunner

from benchmarks.cli import app


def test_base_aligned_and_control_give_every_pairwise_difference(replicate_results):
    folders = [str(replicate_results[k]) for k in ("base", "aligned", "control")]
    out = CliRunner().invoke(app, ["compare", *folders, "--n-boot", "200"], terminal_width=250)
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    titles = [line for line in out.output.splitlines() if "demo-spot (default): A =" in line]
    assert len(titles) == 3  # base-aligned, base-control, aligned-control
    assert "A = base" in titles[0]
    assert "B = aligned+seed0" in titles[0]
    assert "A = aligned+seed0" in titles[2]
    assert text.count("(2 seed pairs)") == 3
    assert "within these patients' tissue, paired, no population claim" in text
    assert "tissue, paired" in text
    assert "seeds: mean ± sd" in text  # the spread of B - A over the seed pairs, beside the interval
    assert text.count(" ± ") >= 9  # one per target and table
    assert "none chosen" in text


def test_compare_needs_two_sets(replicate_results):
    out = CliRunner().invoke(app, ["compare", str(replicate_results["base"])])
    assert out.exit_code == 1
    assert "two or more result sets" in out.output
