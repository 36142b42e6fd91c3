from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from humanst.errors import HumanstError, RegistryError
from humanst.pathways import GeneSets, load_collection, method_names, register_method, score


@pytest.fixture(scope="module")
def small(planted):
    adata, _, _ = planted
    return adata[:120].copy()


def test_zero_coverage_set_is_masked_not_an_error(small):
    sets = GeneSets(
        "x", {"NOPE": ("NOT_A_GENE_1", "NOT_A_GENE_2"), "HYP": load_collection("hallmark")["HALLMARK_HYPOXIA"]}
    )
    s = score(small, sets)
    assert s.coverage[0] == 0.0
    assert not s.mask[0]
    assert np.isnan(s.scores[:, 0]).all()
    assert np.isfinite(s.scores[:, 1]).all()
    assert s.unmatched["NOPE"] == ["NOT_A_GENE_1", "NOT_A_GENE_2"]


def test_spot_with_zero_counts_gets_finite_scores(small):
    zeroed = small.copy()
    X = zeroed.X.tolil()
    X[5, :] = 0
    zeroed.X = X.tocsr()
    s = score(zeroed, "hallmark")
    assert np.isfinite(s.scores).all()


def test_constant_genes_have_zero_z_not_nan(small):
    extra = [f"ZERO{i}" for i in range(6)]
    X = sparse.hstack([small.X, sparse.csr_matrix((small.n_obs, len(extra)))], format="csr")
    var = pd.DataFrame(index=pd.Index([*small.var_names, *extra]))
    padded = ad.AnnData(X=X, var=var)
    sets = GeneSets("z", {"CONSTANT": tuple(extra), "HYP": load_collection("hallmark")["HALLMARK_HYPOXIA"]})
    for background in ("matched", "all", "none"):
        s = score(padded, sets, background=background)
        assert np.isfinite(s.scores).all(), background
    np.testing.assert_allclose(score(padded, sets, background="none").scores[:, 0], 0.0)
    np.testing.assert_allclose(score(padded, sets).scores[:, 0], 0.0, atol=1e-6)


def test_duplicated_gene_names_are_summed(small):
    sets = load_collection("hallmark")
    gene = load_collection("hallmark")["HALLMARK_HYPOXIA"][0]
    col = list(small.var_names).index(gene)
    counts = small.X.toarray()
    half = np.floor(counts[:, col] / 2)
    split = np.column_stack([counts, counts[:, col] - half])
    split[:, col] = half
    dup = ad.AnnData(X=sparse.csr_matrix(split), var=pd.DataFrame(index=pd.Index([*small.var_names, gene.lower()])))
    np.testing.assert_allclose(score(dup, sets).scores, score(small, sets).scores, rtol=1e-5, atol=1e-6)


def test_targeted_panel_masks_poorly_covered_sets(small):
    rng = np.random.default_rng(0)
    panel = rng.choice(small.n_vars, 300, replace=False)
    targeted = small[:, np.sort(panel)].copy()
    s = score(targeted, "hallmark")
    hallmark = load_collection("hallmark")
    expected = np.array([sum(g in set(targeted.var_names) for g in hallmark[n]) / len(hallmark[n]) for n in s.names])
    np.testing.assert_allclose(s.coverage, expected)
    assert (~s.mask).sum() >= 45, "a 300-gene panel covers few Hallmark sets at >= 50%"
    assert np.isnan(s.scores[:, ~s.mask]).all()
    loose = score(targeted, "hallmark", min_coverage=0.0)
    assert loose.mask.sum() > s.mask.sum()
    assert np.isfinite(loose.scores[:, loose.mask]).all()


def test_members_match_case_insensitively_and_by_ensembl_id(small):
    hypoxia = load_collection("hallmark")["HALLMARK_HYPOXIA"]
    ids = dict(zip(small.var_names, small.var["gene_ids"], strict=True))
    by_symbol = score(small, GeneSets("a", {"S": hypoxia}))
    lower = score(small, GeneSets("b", {"S": tuple(g.lower() for g in hypoxia)}))
    by_id = score(small, GeneSets("c", {"S": tuple(f"{ids[g]}.7" for g in hypoxia if g in ids)}))
    np.testing.assert_allclose(lower.scores, by_symbol.scores)
    np.testing.assert_allclose(by_id.scores, by_symbol.scores)


def test_normalised_input_is_refused_with_a_fix(small):
    logged = small.copy()
    logged.X = sparse.csr_matrix(np.log1p(small.X.toarray() / 3.0))
    with pytest.raises(HumanstError, match=r"expected raw counts.*layer='counts'"):
        score(logged, "hallmark")
    logged.layers["counts"] = small.X.copy()
    assert np.isfinite(score(logged, "hallmark", layer="counts").scores).all()
    with pytest.raises(HumanstError, match="layer 'raw' not found"):
        score(logged, "hallmark", layer="raw")


def test_bad_choices_list_the_valid_ones(small):
    with pytest.raises(RegistryError, match="known: mean_z, ssgsea, ulm"):
        score(small, "hallmark", method="gsva")
    with pytest.raises(HumanstError, match="use one of matched, all, none"):
        score(small, "hallmark", background="median")
    with pytest.raises(HumanstError, match="applies to method 'mean_z' only"):
        score(small, "hallmark", method="ulm", background="none")
    with pytest.raises(HumanstError, match="groupby column 'batch' not in obs"):
        score(small, "hallmark", groupby="batch")


def test_missing_reference_library_gives_install_hint(small):
    register_method("needs_missing", description="test", reference="test", requires="no_such_library_xyz")(
        lambda ctx: np.zeros((ctx.n_rows, int(ctx.active.sum())))
    )
    assert "needs_missing" in method_names()
    with pytest.raises(HumanstError, match="pip install no_such_library_xyz"):
        score(small, "hallmark", method="needs_missing")


def test_ssgsea_delegates_to_gseapy_and_agrees(planted):
    adata, truth, _ = planted
    names = {"HALLMARK_E2F_TARGETS": "proliferation", "HALLMARK_HYPOXIA": "hypoxia"}
    sets = GeneSets("h", {n: load_collection("hallmark")[n] for n in names})
    nes = score(adata, sets, method="ssgsea")
    ours = score(adata, sets)
    assert nes.method == "ssgsea"
    assert np.isfinite(nes.scores).all()
    for k, programme in enumerate(names.values()):
        assert np.corrcoef(nes.scores[:, k], ours.scores[:, k])[0, 1] > 0.9
        assert np.corrcoef(nes.scores[:, k], truth[f"act_{programme}"])[0, 1] > 0.9
