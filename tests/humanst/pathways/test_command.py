from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
from typer.testing import CliRunner

from humanst.cli import app
from humanst.pathways import PathwayScores, score

runner = CliRunner()


def _write(planted, path: Path) -> Path:
    adata, _, _ = planted
    ad.AnnData(X=adata.X.copy(), obs=adata.obs[["array_row"]].copy(), var=adata.var[["gene_ids"]].copy()).write_h5ad(
        path
    )
    return path


def test_score_command_writes_scores_in_place(planted, tmp_path: Path):
    path = _write(planted, tmp_path / "sample.h5ad")
    result = runner.invoke(app, ["score", str(path), "--gene-sets", "hallmark,reactome"])
    assert result.exit_code == 0, result.output
    assert "pathways_hallmark" in result.output
    assert "pathways_reactome" in result.output
    scored = ad.read_h5ad(path)
    hallmark = PathwayScores.from_obsm(scored, "pathways_hallmark")
    reactome = PathwayScores.from_obsm(scored, "pathways_reactome")
    np.testing.assert_allclose(hallmark.scores, score(planted[0], "hallmark").scores, rtol=1e-5, atol=1e-6)
    assert len(reactome.names) == 2504
    assert 0 < reactome.mask.sum() < 2504, "the demo genes cover part of Reactome"
    assert reactome.license == "CC0-1.0"
    assert not list(tmp_path.glob(".*partial*")), "written atomically"


def test_score_command_options_and_errors(planted, tmp_path: Path):
    path = _write(planted, tmp_path / "sample.h5ad")
    out = tmp_path / "out.h5ad"
    naive = runner.invoke(app, ["score", str(path), "--gene-sets", "hallmark", "--background", "none", "-o", str(out)])
    assert naive.exit_code == 0, naive.output
    assert PathwayScores.from_obsm(ad.read_h5ad(out), "pathways_hallmark").background == "none"
    assert "pathways_hallmark" not in ad.read_h5ad(path).obsm, "the input is untouched with --out"
    bad = runner.invoke(app, ["score", str(path), "--gene-sets", "kegg"])
    assert bad.exit_code == 1
    assert "unknown gene-set collection 'kegg'" in bad.output
    missing = runner.invoke(app, ["score", str(tmp_path / "nope.h5ad")])
    assert missing.exit_code == 1
    folder = runner.invoke(app, ["score", str(tmp_path)])
    assert folder.exit_code == 1
    assert "not an atlas" in folder.output
