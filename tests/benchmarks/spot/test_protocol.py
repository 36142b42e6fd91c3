"""Tier 1 on the demo task: no test-fold spot reaches a fitted step (leakage), protocols, outcomes."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.cache import aligned_embeddings
from benchmarks.spot.probe import FitTrace, TargetBlock, top_variable
from benchmarks.spot.runner import prepare_task
from benchmarks.tiers import get_tier
from stamp.probe import projection as projection_module


def test_genes_and_pca_are_fitted_without_any_test_fold_spot(prepared, informative_cache, monkeypatch):
    data = prepared.data
    x = aligned_embeddings(informative_cache, data.sample_ids, data.spot_ids)
    poison = 1e6
    x_poisoned = x.copy()
    fold0 = prepared.folds[0]
    x_poisoned[fold0.test, 0] = poison  # a scaler or PCA that saw fold 0's test spots would see this

    fitted_rows = []

    class SpyPCA(projection_module.PCA):
        def fit(self, X, y=None):
            fitted_rows.append(np.asarray(X).copy())
            return super().fit(X, y)

    monkeypatch.setattr(projection_module, "PCA", SpyPCA)
    genes = next(b for b in prepared.blocks if b.kind == "genes")
    # a gene whose variance is huge on fold 0's test spots only: chosen if the test fold leaked into selection
    values = genes.values.copy()
    values[:, 0] = 0.0
    values[fold0.test, 0] = np.arange(fold0.test.size) * 100.0
    leaky = TargetBlock(genes.name, "genes", genes.names, values, choose=top_variable(values, 50))
    trace = FitTrace()
    outcomes = get_tier(1).evaluate(x_poisoned, [leaky], prepared.folds[:2], data, prepared.task, trace=trace)
    for fold in prepared.folds[:2]:
        for step in ("scaler", "pca", f"targets:{genes.name}"):
            rows = trace.rows[(fold.name, step)]
            np.testing.assert_array_equal(rows, fold.train)
            assert np.intersect1d(rows, fold.test).size == 0
    # the PCA of fold 0 saw exactly its training rows, standardised without the poisoned test spots
    assert fitted_rows[0].shape[0] == fold0.train.size
    assert np.abs(fitted_rows[0]).max() < 100
    # gene 0 is the most variable over all spots but constant on fold 0's training spots: not a fold-0 target
    assert 0 in top_variable(values, 50)(np.arange(data.n_spots))
    assert 0 not in leaky.columns(fold0.train)
    assert genes.names[0] not in outcomes[0].target_r or len(outcomes[0].target_r[genes.names[0]]) < 2


def test_demo_blocks_pair_every_pathway_collection_with_its_random_sets(prepared):
    names = [b.name for b in prepared.blocks]
    assert names == ["pathways:hallmark", "random:hallmark", "genes:top50"]
    real, control = prepared.blocks[0], prepared.blocks[1]
    assert control.control_of == real.name
    assert control.values.shape == real.values.shape
    assert [n.removeprefix("random:") for n in control.names] == real.names
    assert np.isfinite(control.values).all()


def test_informative_embeddings_beat_the_random_sets(prepared, informative_cache):
    data = prepared.data
    x = aligned_embeddings(informative_cache, data.sample_ids, data.spot_ids)
    outcomes = {o.name: o for o in get_tier(1).evaluate(x, prepared.blocks, prepared.folds, data, prepared.task)}
    real = np.mean(list(outcomes["pathways:hallmark"].pooled.values()))
    control = np.mean(list(outcomes["random:hallmark"].pooled.values()))
    assert real > 0.6
    assert real - control > 0.3
    held_out = {p for fold in prepared.folds for p in fold.test_patients}
    assert held_out == set(prepared.task.folds.held_out_patients)
    assert set(outcomes["pathways:hallmark"].pooled) == held_out


def test_hest_protocol_fixed_ridge_on_fifty_log1p_genes(demo_atlas, demo_task, informative_cache, prepared):
    hest = prepare_task(demo_atlas, demo_task, "hest")
    assert [b.name for b in hest.blocks] == ["genes:hest50"]
    assert hest.split_hash == prepared.split_hash  # same spots and folds as the default protocol
    assert len(hest.split_hash) == 64
    data = hest.data
    x = aligned_embeddings(informative_cache, data.sample_ids, data.spot_ids)
    outcome = get_tier(1, "hest").evaluate(x, hest.blocks, hest.folds, data, demo_task)[0]
    dims = min(demo_task.probe.pca_components, x.shape[1])
    assert outcome.alphas == [pytest.approx(100.0 / (dims * 50))]
    assert outcome.n_targets == 50


def test_every_tier_is_built_and_an_unknown_one_lists_the_known():
    from benchmarks.errors import TierError

    assert get_tier(2).name == "slide"
    assert get_tier(3).name == "patient"
    with pytest.raises(TierError, match=r"unknown tier \(number, protocol\) \(4, 'default'\)"):
        get_tier(4)
    with pytest.raises(TierError, match=r"unknown tier \(number, protocol\) \(1, 'nope'\); known: \(1, 'default'\)"):
        get_tier(1, "nope")
