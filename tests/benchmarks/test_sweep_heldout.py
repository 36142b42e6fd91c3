"""`benchmarks.sweep_heldout`: per setting mean ± sd over seeds, a focus pathway, aligned - base and - control."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.spot.result_sets import load_result_sets
from benchmarks.sweep_heldout import CHOOSE_NOTE, HeldoutSetting, heldout_csv, heldout_rows, heldout_table
from stamp.errors import RunError
from stamp.probe import PAIRED_LABEL


def _items(folder):
    (items,) = load_result_sets(folder).values()
    return items


def _focus_r(item, pathway):
    block = next(b for b in item.result.blocks if b.kind == "pathways")
    return float(np.mean([t[pathway] for t in block.per_patient_target.values()]))


def test_the_table_reports_the_focus_pathway_and_paired_differences_to_the_control(replicate_results):
    (base,) = _items(replicate_results["base"])
    aligned, control = _items(replicate_results["aligned"]), _items(replicate_results["control"])
    block = next(b for b in base.result.blocks if b.kind == "pathways")
    focus = sorted(block.per_target)[0]
    settings = [
        HeldoutSetting("soft", "setting", "ctrl", aligned),
        HeldoutSetting("ctrl", "control", None, control),
    ]
    table = heldout_rows(base, settings, [focus])
    soft, ctrl = table["settings"]
    assert soft["seeds"] == [0, 1]
    # the focus pathway's own r: mean over patients, then mean ± sd over seeds
    per_seed = [_focus_r(item, focus) for item in aligned]
    assert soft["over_seeds"][focus]["mean"] == pytest.approx(np.mean(per_seed))
    assert soft["over_seeds"][focus]["sd"] == pytest.approx(np.std(per_seed, ddof=1))
    assert table["base"][focus] == pytest.approx(_focus_r(base, focus))
    # aligned - control, paired seed by seed, with the tissue interval (2 held-out patients) and the seed spread
    diff = soft["minus_control"][focus]
    pairs = [_focus_r(a, focus) - _focus_r(c, focus) for a, c in zip(aligned, control, strict=True)]
    assert diff["seeds"]["n"] == 2
    assert diff["seeds"]["mean"] == pytest.approx(np.mean(pairs), abs=1e-6)
    assert diff["diff"] == pytest.approx(np.mean(pairs), abs=1e-6)
    assert diff["ci_low"] < diff["diff"] < diff["ci_high"]
    assert PAIRED_LABEL in diff["resampled"]
    assert soft["minus_control"]["gap"]["ci_low"] is not None
    assert soft["minus_base"]["pathway_r"]["diff"] > 0  # the aligned embeddings carry more pathway signal
    assert ctrl["minus_control"] is None
    assert table["patients"] == sorted(block.per_patient)
    assert len(table["patients"]) == 2 < len(base.result.task.patients)  # the held-out ones, not every patient
    text = heldout_table(table)
    assert CHOOSE_NOTE in text
    assert f"| {focus} r |" in text
    assert f"{focus} r: aligned - control" in text
    assert f"{diff['diff']:+.3f} [{diff['ci_low']:+.3f}, {diff['ci_high']:+.3f}]; seeds" in text
    assert PAIRED_LABEL in text
    head = heldout_csv(table).splitlines()[0].split(",")
    assert f"{focus}_minus_control_ci_low" in head
    with pytest.raises(RunError, match="--pathway NOT_A_PATHWAY"):
        heldout_rows(base, settings, ["NOT_A_PATHWAY"])
