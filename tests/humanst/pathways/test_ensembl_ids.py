"""Tables named by Ensembl ids only are scored through the shipped table; tables nothing matches fail with a hint."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
from typer.testing import CliRunner

from humanst.cli import app
from humanst.pathways import PathwayScores, score
from humanst.pathways.ensembl_symbols import ensembl_to_symbol, symbol_table_path
from humanst.pathways.genesets import load_collection

runner = CliRunner()


def test_the_shipped_table_covers_the_gene_sets_and_is_small():
    table = ensembl_to_symbol()
    symbols = set(table.values())
    hallmark = {g for genes in load_collection("hallmark").sets.values() for g in genes}
    assert len(hallmark & symbols) / len(hallmark) > 0.98
    assert all(gid.startswith("ENSG") for gid in table)
    assert table["ENSG00000141510"] == "TP53"
    assert symbol_table_path().stat().st_size < 1_000_000
    assert "ensembl_symbols.tsv" in (symbol_table_path().parent / "SOURCES.md").read_text()


def _ensembl_only(planted) -> ad.AnnData:
    """The planted sample with its genes renamed to their real Ensembl ids (no symbol anywhere)."""
    adata, _, _ = planted
    by_symbol = {}
    for gid, symbol in sorted(ensembl_to_symbol().items()):
        by_symbol.setdefault(symbol, gid)
    keep = [i for i, s in enumerate(adata.var_names) if s in by_symbol]
    out = ad.AnnData(X=adata.X[:, keep].copy(), obs=adata.obs[["array_row"]].copy())
    out.var_names = [f"{by_symbol[adata.var_names[i]]}.7" for i in keep]  # versioned ids, as many files have
    return out


def test_an_ensembl_only_table_is_scored_like_the_symbols(planted, tmp_path: Path):
    adata, _, _ = planted
    path = tmp_path / "ensembl.h5ad"
    _ensembl_only(planted).write_h5ad(path)
    result = runner.invoke(app, ["score", str(path), "--gene-sets", "hallmark"])
    assert result.exit_code == 0, result.output
    scored = PathwayScores.from_obsm(ad.read_h5ad(path), "pathways_hallmark")
    reference = score(adata, "hallmark")
    assert scored.mask.sum() == reference.mask.sum() == 50
    for k in range(50):
        assert np.corrcoef(scored.scores[:, k], reference.scores[:, k])[0, 1] > 0.98


def test_a_table_no_set_matches_exits_non_zero_with_a_hint_and_writes_nothing(planted, tmp_path: Path):
    adata, _, _ = planted
    unknown = ad.AnnData(X=adata.X.copy(), obs=adata.obs[["array_row"]].copy())
    unknown.var_names = [f"feature_{i:05d}" for i in range(unknown.n_vars)]
    path = tmp_path / "unknown.h5ad"
    unknown.write_h5ad(path)
    before = path.read_bytes()
    result = runner.invoke(app, ["score", str(path), "--gene-sets", "hallmark"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "no gene set reaches min_coverage 0.5" in text
    assert "feature_00000" in text  # shows what the names look like
    assert "HGNC symbols" in text
    assert "Ensembl id" in text
    assert path.read_bytes() == before
