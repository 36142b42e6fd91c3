from __future__ import annotations

import numpy as np

from benchmarks.controls import log1p_cp10k, random_gene_sets
from humanst.pathways import load_collection
from humanst.pathways.controls import expression_bins


def test_random_sets_match_size_and_expression_and_avoid_members(prepared):
    data = prepared.data
    sets = random_gene_sets("hallmark", data, n_bins=25, seed=0)
    hallmark = load_collection("hallmark")
    genes = {g.upper(): i for i, g in enumerate(data.genes)}
    mean = np.asarray(data.counts.mean(axis=0)).ravel()
    bins = expression_bins(log1p_cp10k(data).mean(0), 25, variable=mean > 0)
    names, _ = data.pathways["hallmark"]
    assert len(sets) == len(names)
    for name in names:
        members = sorted({genes[g.upper()] for g in hallmark[name] if g.upper() in genes})
        drawn = sorted(genes[g.upper()] for g in sets[f"random:{name}"])
        assert len(drawn) == len(members)
        assert not set(drawn) & set(members)
        assert sorted(bins[drawn].tolist()) == sorted(bins[members].tolist())


def test_random_sets_are_seeded(prepared):
    a = random_gene_sets("hallmark", prepared.data, n_bins=25, seed=0)
    b = random_gene_sets("hallmark", prepared.data, n_bins=25, seed=0)
    c = random_gene_sets("hallmark", prepared.data, n_bins=25, seed=1)
    assert a.sets == b.sets
    assert a.sets != c.sets
