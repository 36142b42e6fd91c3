"""Gene harmonisation on hand-made tables: controls out, symbols upper-cased, Ensembl mapped, duplicates summed."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from humanst.errors import SampleError
from humanst.harmonise.genes import harmonise_genes, is_control_probe


def _adata(names: list[str], x: np.ndarray, **var_columns: list[str]) -> ad.AnnData:
    var = pd.DataFrame(var_columns, index=pd.Index(names))
    return ad.AnnData(X=sparse.csr_matrix(x), var=var, obs=pd.DataFrame(index=[f"s{i}" for i in range(x.shape[0])]))


def test_controls_dropped_case_folded_and_duplicates_summed():
    names = ["EPCAM", "krt8", "KRT8", "NegControlProbe_001", "BLANK_0003", "VIM"]
    x = np.array([[1, 2, 3, 9, 9, 0], [0, 5, 7, 9, 9, 4]])
    out, report = harmonise_genes(_adata(names, x), sample_id="s")
    assert list(out.var_names) == ["EPCAM", "KRT8", "VIM"]
    np.testing.assert_array_equal(out.X.toarray(), [[1, 5, 0], [0, 12, 4]])  # krt8 + KRT8 summed
    assert out.var.loc["KRT8", "source_name"] == "krt8;KRT8"
    assert (report.n_input, report.n_controls, report.n_duplicates_merged) == (6, 2, 1)
    assert any("merged" in w for w in report.warnings)
    assert is_control_probe("UnassignedCodeword_0001")
    assert not is_control_probe("EGFR")


def test_ensembl_ids_map_through_the_symbol_column():
    names = ["ENSG00000119888", "ENSG00000111057.2", "ENSG00000026025"]
    out, report = harmonise_genes(
        _adata(names, np.eye(3, dtype=np.int64), gene_symbols=["EPCAM", "KRT18", "VIM"]), sample_id="s"
    )
    assert list(out.var_names) == ["EPCAM", "KRT18", "VIM"]
    assert list(out.var["ensembl_id"]) == names
    assert (report.naming, report.n_ensembl_mapped) == ("ensembl", 3)


def test_non_gene_features_are_left_out():
    names = ["EPCAM", "CD3", "VIM"]
    out, report = harmonise_genes(
        _adata(names, np.ones((2, 3), dtype=np.int64), feature_type=["Gene Expression", "Antibody Capture", "gene"]),
        sample_id="s",
    )
    assert list(out.var_names) == ["EPCAM", "VIM"]
    assert report.n_non_gene == 1


@pytest.mark.parametrize(
    ("names", "columns", "message"),
    [
        (["ENSG00000119888", "ENSG00000111057"], {}, "no symbol column"),
        (["gene_a", "gene_b", "gene_c"], {}, "unknown gene naming"),
    ],
)
def test_unrecognisable_naming_names_the_sample(names, columns, message):
    with pytest.raises(SampleError, match=rf"sample 'bad': .*{message}"):
        harmonise_genes(_adata(names, np.ones((1, len(names)), dtype=np.int64), **columns), sample_id="bad")
