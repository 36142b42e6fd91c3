"""Fraction of headroom recovered: base, ceiling and models scored on the same tiles for one programme."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from benchmarks.cli import app
from benchmarks.errors import ResultError
from benchmarks.spot.headroom import headroom, headroom_markdown
from stamp.probe import PAIRED_LABEL

PATHWAY = "HALLMARK_HYPOXIA"


def test_the_ceiling_recovers_all_of_its_headroom_and_the_base_none(replicate_results):
    base, aligned, control = (replicate_results[k] for k in ("base", "aligned", "control"))
    table = headroom(base, aligned, [aligned, base, control], pathway=PATHWAY, n_boot=200)
    assert table.ceiling.diff > 0.1  # the synthetic aligned embeddings carry the pathways
    assert table.ceiling.ci_low > 0
    ceiling, none, control_row = table.rows
    # the same tiles for everyone: the ceiling against itself is exactly 1 in every replicate, the base exactly 0
    assert ceiling.fraction == pytest.approx(1.0)
    assert ceiling.fraction_low == pytest.approx(1.0)
    assert ceiling.fraction_high == pytest.approx(1.0)
    assert none.fraction == pytest.approx(0.0)
    assert none.fraction_low == none.fraction_high == pytest.approx(0.0)
    # the weaker control recovers part of it; its replicate seeds are averaged, each seed's fraction listed
    assert 0.0 < control_row.fraction < 1.0
    assert control_row.fraction_low < control_row.fraction < control_row.fraction_high
    assert sorted(control_row.seed_fractions) == [0, 1]
    assert control_row.gain.diff == pytest.approx(control_row.gain.b - table.ceiling.a)
    text = headroom_markdown(table)
    assert PATHWAY in text
    assert PAIRED_LABEL in text
    assert "0: " in text  # the per-seed column


def test_an_unknown_pathway_names_itself(replicate_results):
    with pytest.raises(ResultError, match="NOT_A_PATHWAY"):
        headroom(
            replicate_results["base"], replicate_results["aligned"], [replicate_results["control"]],
            pathway="NOT_A_PATHWAY", n_boot=20,
        )  # fmt: skip


def test_the_cli_prints_the_table(replicate_results):
    base, aligned, control = (str(replicate_results[k]) for k in ("base", "aligned", "control"))
    result = CliRunner().invoke(app, ["headroom", base, aligned, control, "--pathway", PATHWAY, "--n-boot", "50"])
    assert result.exit_code == 0, result.output
    assert "fraction of headroom" in result.output
    assert "control" in result.output
