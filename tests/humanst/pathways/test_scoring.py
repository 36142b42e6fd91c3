from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
from scipy import sparse

from humanst.pathways import GeneSets, PathwayScores, load_collection, obsm_key, score


def _r(a, b) -> float:
    return float(np.corrcoef(np.asarray(a, dtype=float), np.asarray(b, dtype=float))[0, 1])


@pytest.fixture(scope="module")
def hallmark_scores(planted):
    adata, _, _ = planted
    return score(adata, "hallmark")


def test_corrected_mean_z_recovers_every_planted_programme(planted, hallmark_scores, programme_sets):
    _, truth, _ = planted
    frame = hallmark_scores.frame()
    rs = {gs: _r(frame[gs], truth[f"act_{prog}"]) for gs, prog in programme_sets}
    assert np.median(list(rs.values())) >= 0.95, rs
    assert min(rs.values()) > 0.9, rs


def test_agrees_with_decoupler_ulm(planted, hallmark_scores):
    adata, _, _ = planted
    ulm = score(adata, "hallmark", method="ulm")
    rs = [_r(hallmark_scores.scores[:, k], ulm.scores[:, k]) for k in range(len(ulm.names))]
    assert ulm.method == "ulm"
    assert ulm.background is None
    assert np.median(rs) >= 0.95, np.round(rs, 3)


@pytest.mark.parametrize("set_name", ["HALLMARK_HYPOXIA", "HALLMARK_E2F_TARGETS", "HALLMARK_MYOGENESIS"])
def test_equals_scanpy_score_genes_with_the_same_control_genes(planted, set_name):
    """Same controls, no standardising: our score is scanpy's module score to float precision."""
    adata, _, _ = planted
    members = [g for g in load_collection("hallmark")[set_name] if g in adata.var_names]
    drawn = score(adata, GeneSets("one", {set_name: tuple(members)}), ctrl_size=50, standardize=False)
    controls = drawn.controls["all"][set_name]
    assert len(controls) >= 50
    assert not set(controls) & set(members)
    reference = adata.copy()
    sc.pp.normalize_total(reference, target_sum=1e4)
    sc.pp.log1p(reference)
    # scanpy bins the pool into 2 cuts (all genes / the top gene) and takes every control of the members' cut
    pool = members + controls
    means = pd.Series(np.asarray(reference[:, pool].X.mean(axis=0)).ravel(), index=pool)
    used = [g for g in controls if g != means.idxmax()] if means.idxmax() in controls else controls
    sc.tl.score_genes(reference, members, gene_pool=pool, ctrl_size=10**6, n_bins=2, score_name="ref")
    ours = score(adata, GeneSets("one", {set_name: tuple(members)}), controls={set_name: used}, standardize=False)
    np.testing.assert_allclose(ours.scores[:, 0], reference.obs["ref"].to_numpy(), rtol=1e-4, atol=1e-5)


def test_background_removes_the_shared_factor_from_random_sets(planted, null_genes, shared_factor):
    adata, _, _ = planted
    rng = np.random.default_rng(0)
    sizes = [len(v) for v in load_collection("hallmark").sets.values()][:20]
    random_sets = GeneSets(
        "random", {f"R{i}": tuple(rng.choice(null_genes, n, replace=False)) for i, n in enumerate(sizes)}
    )
    corrected = score(adata, random_sets)
    naive = score(adata, random_sets, background="none")
    r_corrected = np.abs([_r(corrected.scores[:, k], shared_factor) for k in range(len(sizes))])
    r_naive = np.abs([_r(naive.scores[:, k], shared_factor) for k in range(len(sizes))])
    assert r_corrected.mean() < 0.1, r_corrected
    assert r_corrected.max() < 0.25, r_corrected
    assert r_naive.mean() > 0.5, r_naive
    assert r_naive.min() > 0.4, r_naive


def test_all_background_also_corrects(planted, null_genes, shared_factor):
    adata, _, _ = planted
    rng = np.random.default_rng(1)
    random_sets = GeneSets("random", {f"R{i}": tuple(rng.choice(null_genes, 100, replace=False)) for i in range(10)})
    r = np.abs([_r(s, shared_factor) for s in score(adata, random_sets, background="all").scores.T])
    assert r.mean() < 0.15


def test_scores_shape_dtype_mask_and_obsm_round_trip(planted, hallmark_scores, tmp_path):
    adata, _, _ = planted
    s = hallmark_scores
    assert s.scores.shape == (adata.n_obs, 50)
    assert s.scores.dtype == np.float32
    assert s.mask.all()
    assert np.isfinite(s.scores).all()
    assert s.coverage.min() == 1.0
    assert s.license == "CC-BY-4.0"
    copy = adata.copy()
    key = s.to_obsm(copy)
    assert key == obsm_key("hallmark") == "pathways_hallmark"
    path = tmp_path / "scored.h5ad"
    copy.write_h5ad(path)
    back = PathwayScores.from_obsm(ad.read_h5ad(path), key)
    np.testing.assert_array_equal(back.scores, s.scores)
    assert back.names == s.names
    assert back.background == "matched"
    assert back.method == "mean_z"
    np.testing.assert_array_equal(back.mask, s.mask)


def test_same_result_dense_sparse_chunked_and_backed(planted, hallmark_scores, tmp_path):
    adata, _, _ = planted
    dense = adata.copy()
    dense.X = adata.X.toarray()
    np.testing.assert_allclose(score(dense, "hallmark").scores, hallmark_scores.scores, rtol=1e-5, atol=1e-6)
    chunked = score(adata, "hallmark", chunk_size=37)
    np.testing.assert_allclose(chunked.scores, hallmark_scores.scores, rtol=1e-5, atol=1e-6)
    path = tmp_path / "counts.h5ad"
    ad.AnnData(X=sparse.csr_matrix(adata.X), var=adata.var[["gene_ids"]].copy()).write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    np.testing.assert_allclose(score(backed, "hallmark").scores, hallmark_scores.scores, rtol=1e-5, atol=1e-6)
    backed.file.close()


def test_groupby_scores_each_sample_on_its_own(planted):
    adata, _, _ = planted
    half = adata.n_obs // 2
    first, second = adata[:half].copy(), adata[half:].copy()
    both = ad.concat([first, second], label="sample_id", keys=["a", "b"], merge="same")
    grouped = score(both, "hallmark", groupby="sample_id")
    separate = np.vstack([score(first, "hallmark").scores, score(second, "hallmark").scores])
    np.testing.assert_allclose(grouped.scores, separate, rtol=1e-5, atol=1e-6)
    assert not np.allclose(score(both, "hallmark").scores, separate, atol=1e-3)


def test_drawn_controls_are_seeded_per_set(planted):
    adata, _, _ = planted
    a = score(adata, "hallmark", ctrl_size=60, seed=3)
    b = score(adata, "hallmark", ctrl_size=60, seed=3)
    c = score(adata, "hallmark", ctrl_size=60, seed=4)
    np.testing.assert_array_equal(a.scores, b.scores)
    assert a.controls["all"]["HALLMARK_HYPOXIA"] != c.controls["all"]["HALLMARK_HYPOXIA"]
    one = score(
        adata,
        GeneSets("h", {"HALLMARK_HYPOXIA": load_collection("hallmark")["HALLMARK_HYPOXIA"]}),
        ctrl_size=60,
        seed=3,
    )
    assert one.controls["all"]["HALLMARK_HYPOXIA"] == a.controls["all"]["HALLMARK_HYPOXIA"], "independent of other sets"
