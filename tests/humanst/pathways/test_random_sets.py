"""Matched random gene sets: the evaluation controls (stream 0) and a negative-control fit's targets (stream 1)."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from humanst.pathways import GeneSets
from humanst.pathways.controls import expression_bins
from humanst.pathways.random_sets import TRAINING_STREAM, log1p_cp10k, matched_random_sets


def _data(seed: int = 0) -> tuple[GeneSets, list[str], sparse.csr_matrix, np.ndarray]:
    rng = np.random.default_rng(seed)
    genes = [f"G{i}" for i in range(400)]
    counts = sparse.csr_matrix(rng.poisson(rng.gamma(0.5, 2.0, size=400), size=(120, 400)))
    sets = GeneSets("toy", {f"SET{k}": tuple(rng.choice(genes, 15 + 5 * k, replace=False)) for k in range(6)})
    return sets, genes, counts, np.asarray(counts.sum(axis=1)).ravel()


def test_each_stream_draws_size_and_expression_matched_sets_and_the_streams_differ():
    sets, genes, counts, library = _data()
    names = list(sets.sets)
    control = matched_random_sets(sets, names, genes, counts, library, n_bins=10, seed=3)
    training = matched_random_sets(sets, names, genes, counts, library, n_bins=10, seed=3, stream=TRAINING_STREAM)
    again = matched_random_sets(sets, names, genes, counts, library, n_bins=10, seed=3, stream=TRAINING_STREAM)
    assert training.sets == again.sets  # seeded
    bins = expression_bins(log1p_cp10k(counts, library).mean(0), 10, variable=np.asarray(counts.mean(0)).ravel() > 0)
    position = {g: i for i, g in enumerate(genes)}
    overlap = []
    for name in names:
        members = sorted(position[g] for g in sets[name])
        for drawn in (control, training):
            picked = sorted(position[g] for g in drawn[f"random:{name}"])
            assert len(picked) == len(members)  # same size
            assert not set(picked) & set(members)  # never a member
            assert sorted(bins[picked]) == sorted(bins[members])  # one gene per member, from the member's bin
        overlap.append(len(set(control[f"random:{name}"]) & set(training[f"random:{name}"])) / len(members))
    # the fit's targets are not the sets the evaluation scores as its control
    assert control.sets != training.sets
    assert np.mean(overlap) < 0.5, overlap
