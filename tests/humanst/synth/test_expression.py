from __future__ import annotations

import numpy as np
import pytest

from humanst.pathways import load_collection
from humanst.synth import PROGRAMMES, Footprint, GeneModel, make_tissue, simulate_counts
from humanst.synth.formats.spaceranger import hex_spot_grid


@pytest.fixture(scope="module")
def spots():
    tissue = make_tissue(2000, 2000, seed=9)
    model = GeneModel.create(seed=9)
    grid = hex_spot_grid(tissue)
    keep = tissue.sample(tissue.tissue, grid["x_um"], grid["y_um"]) > 0.5
    x, y = grid["x_um"][keep], grid["y_um"][keep]
    counts, truth = simulate_counts(tissue, model, x, y, Footprint("disc", 27.5), target_umis=6000, seed=9)
    dense = counts.toarray().astype(float)
    logn = np.log1p(dense / dense.sum(axis=1, keepdims=True) * 1e4)
    z = (logn - logn.mean(axis=0)) / (logn.std(axis=0) + 1e-9)
    return {"tissue": tissue, "model": model, "counts": counts, "truth": truth, "z": z, "x": x, "y": y}


def test_genes_are_real_hallmark_symbols_with_unique_ids(spots):
    model = spots["model"]
    hallmark = set(load_collection("hallmark").genes())
    assert set(model.genes) <= hallmark
    assert len(model.genes) == len(hallmark)
    assert len(set(model.gene_ids)) == len(model.gene_ids)
    assert all(i.startswith("ENSG9") and len(i) == 15 for i in model.gene_ids)


def test_counts_are_overdispersed_integers(spots):
    counts = spots["counts"]
    assert counts.dtype == np.int32
    assert counts.data.min() > 0
    dense = counts.toarray()
    mean, var = dense.mean(axis=0), dense.var(axis=0)
    high = mean > 5
    assert (var[high] > 1.5 * mean[high]).mean() > 0.9, "negative binomial, not Poisson"


def test_programme_activity_is_recoverable_from_counts(spots):
    z, model, truth = spots["z"], spots["model"], spots["truth"]
    member = model.effects > 0
    background = z.mean(axis=1)
    for p_idx, programme in enumerate(PROGRAMMES):
        specific = member[:, p_idx] & (member.sum(axis=1) == 1)
        score = z[:, specific].mean(axis=1) - background
        r = np.corrcoef(score, truth[f"act_{programme.name}"])[0, 1]
        assert r > 0.9, (programme.name, r)


def test_shared_factors_shift_all_genes(spots):
    counts, truth, z = spots["counts"], spots["truth"], spots["z"]
    shared = np.log(truth["library_size"] * truth["cellularity"])
    total = np.log(np.asarray(counts.sum(axis=1)).ravel())
    assert np.corrcoef(total, shared)[0, 1] > 0.95
    # the shared component makes a naive score of any random gene set track it; removing the background does not
    rng = np.random.default_rng(0)
    random_set = rng.choice(z.shape[1], 100, replace=False)
    naive = z[:, random_set].mean(axis=1)
    assert np.corrcoef(naive, shared)[0, 1] > 0.5
    # (what is left is the programmes the set's genes carry, whose fields may follow the library gradient by chance)
    activity = truth[[f"act_{p.name}" for p in PROGRAMMES]].to_numpy()
    design = np.column_stack([np.ones(len(activity)), activity])
    corrected = naive - z.mean(axis=1)
    left = corrected - design @ np.linalg.lstsq(design, corrected, rcond=None)[0]
    assert abs(np.corrcoef(left, shared)[0, 1]) < 0.15
    # cellularity is visible as nuclear density
    assert np.corrcoef(truth["cellularity"], truth["nuclear_density_per_mm2"])[0, 1] > 0.99


def test_counts_are_deterministic_per_seed(spots):
    tissue, model = spots["tissue"], spots["model"]
    x, y = spots["x"][:40], spots["y"][:40]
    a, _ = simulate_counts(tissue, model, x, y, Footprint("disc", 27.5), target_umis=6000, seed=1)
    b, _ = simulate_counts(tissue, model, x, y, Footprint("disc", 27.5), target_umis=6000, seed=1)
    c, _ = simulate_counts(tissue, model, x, y, Footprint("disc", 27.5), target_umis=6000, seed=2)
    assert (a != b).nnz == 0
    assert (a != c).nnz > 0
    assert GeneModel.create(seed=3).log_rate.tolist() == GeneModel.create(seed=3).log_rate.tolist()


def test_panel_subset_keeps_gene_effects(spots):
    model = spots["model"]
    panel = list(model.genes[:50])
    sub = model.subset(panel)
    assert sub.genes == tuple(panel)
    np.testing.assert_array_equal(sub.effects, model.effects[:50])


def test_an_exclusive_programme_alone_moves_its_genes_and_its_field_ignores_the_regions(spots):
    """The positive control's programme: nothing a region or another field does shows in its pathway score."""
    model, tissue, truth = spots["model"], spots["tissue"], spots["truth"]
    (p_idx,) = [i for i, p in enumerate(PROGRAMMES) if p.exclusive]
    hallmark = load_collection("hallmark")
    rows = [model.genes.index(g) for g in hallmark[PROGRAMMES[p_idx].gene_sets[0]] if g in model.genes]
    assert (model.effects[rows, p_idx] > 0).all()
    assert not np.delete(model.effects[rows], p_idx, axis=1).any()
    inside = tissue.tissue > 0.5
    for field in (*tissue.region_prob, tissue.hypoxia, tissue.subvisual, tissue.cellularity):
        # orthogonal before the probit that maps it to [0, 1]; the probit leaves a small trace
        assert abs(np.corrcoef(tissue.lipid[inside], field[inside])[0, 1]) < 0.1
    assert truth["act_lipid"].std() > 0.1
