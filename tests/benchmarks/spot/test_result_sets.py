"""Replicate seeds in compare: seeds of one fit form one set, paired seed by seed, with their mean and spread."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from benchmarks.errors import ResultError
from benchmarks.spot.compare import compare_pairs, pick_model_results
from benchmarks.spot.result_sets import LoadedResult, load_result_sets, pair_replicates


def _items(folder):
    (items,) = load_result_sets(folder).values()
    return items


def test_seeds_of_one_fit_are_one_set_paired_seed_by_seed(replicate_results):
    aligned, control = _items(replicate_results["aligned"]), _items(replicate_results["control"])
    (base,) = _items(replicate_results["base"])
    assert [i.seed for i in aligned] == [0, 1]
    assert [(x.seed, y.seed) for x, y in pair_replicates(control, aligned)] == [(0, 0), (1, 1)]
    assert [(x.seed, y.seed) for x, y in pair_replicates([base], aligned)] == [(None, 0), (None, 1)]
    with pytest.raises(ResultError, match="several model results"):
        pick_model_results(replicate_results["aligned"])  # one-result callers still refuse a folder of seeds


def test_the_row_reports_the_seed_averaged_difference_with_its_interval_and_the_spread(replicate_results):
    aligned, control = _items(replicate_results["aligned"]), _items(replicate_results["control"])
    pairs = pair_replicates(control, aligned)
    rows = compare_pairs(pairs, n_boot=200)
    singles = [compare_pairs([pair], n_boot=200) for pair in pairs]
    for index, row in enumerate(rows):
        per_seed = [s[index].diff for s in singles]
        assert row.seeds is not None
        assert row.seeds.per_seed == pytest.approx({"0": per_seed[0], "1": per_seed[1]})
        assert row.seeds.mean == pytest.approx(np.mean(per_seed))
        assert row.seeds.sd == pytest.approx(np.std(per_seed, ddof=1))
        assert row.diff == pytest.approx(np.mean(per_seed))
        # the interval is the tissue bootstrap of the seed-averaged scores: between and around the seeds' own
        assert row.tissue is not None
        assert row.tissue.ci_low <= row.diff <= row.tissue.ci_high
    gain = rows[0]
    assert gain.target == "pathways:hallmark"
    assert gain.tissue.ci_low > 0  # the aligned encoder beats its control within these patients' tissue


def test_a_folder_mixing_fits_or_unpaired_seeds_is_refused(replicate_results, tmp_path):
    mixed = tmp_path / "mixed"
    shutil.copytree(replicate_results["aligned"], mixed)
    for path in replicate_results["control"].glob("*seed0*"):
        shutil.copy2(path, mixed / path.name)
    with pytest.raises(ResultError, match="not replicate seeds of one fit"):
        load_result_sets(mixed)
    one_seed = tmp_path / "one-seed"
    one_seed.mkdir()
    for path in replicate_results["control"].glob("*seed1*"):
        shutil.copy2(path, one_seed / path.name)
    lone = _items(one_seed)
    assert len(pair_replicates(lone, _items(replicate_results["aligned"]))) == 2  # one result: paired with each
    aligned = _items(replicate_results["aligned"])
    shifted = [LoadedResult(i.result.model_copy(update={"adapter_seed": i.seed + 1}), i.folder) for i in aligned]
    with pytest.raises(ResultError, match="paired seed by seed"):
        pair_replicates(_items(replicate_results["control"]), shifted)  # seeds 0, 1 against 1, 2
