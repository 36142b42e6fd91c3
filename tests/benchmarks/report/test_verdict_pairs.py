"""The verdict's rows come from `stamp-bench compare`'s own comparisons: every pair of folders, the paired tissue
interval below 5 patients, the spread over replicate seeds, a control run's results as the reference, and the STAMP
runs' own verdicts from their run.json."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks.report.entries import task_entries
from benchmarks.report.inputs import RunFolder, TaskGroup, load_inputs, read_run, run_folders
from benchmarks.report.run_verdict import run_verdict_lines, run_verdict_table
from benchmarks.report.verdict import reading, verdict_table
from benchmarks.report.verdict_rows import build_verdict
from benchmarks.slide.compare import compare_outcomes
from benchmarks.spot.compare import compare_pairs
from benchmarks.spot.result_sets import load_result_sets, pair_replicates
from stamp.run_dir import RunFiles
from stamp.train.replicates import SUMMARY_JSON, seed_dir
from stamp.train.verdict import Check, verdict_json
from tests.benchmarks.report import handmade as hm
from tests.conftest import run_info_json

GAIN = "pathways:hallmark"


def _set(folder: Path) -> list:
    (items,) = load_result_sets(folder).values()
    return items


def test_every_pair_of_folders_gives_rows_with_the_tissue_interval_and_the_seed_spread(replicate_results):
    base, control, aligned = (replicate_results[k] for k in ("base", "control", "aligned"))
    verdict = build_verdict(load_inputs([base, control, aligned]).groups, n_boot=200)
    gains = {(r.a_label, r.b_label): r for r in verdict.rows if r.target == GAIN}
    ctrl, algn = "control seeds 0, 1 (control)", "aligned seeds 0, 1 (aligned)"
    assert list(gains) == [("base", ctrl), ("base", algn), (ctrl, algn)]  # every pair, A the earlier folder
    expected = {
        ("base", ctrl): compare_pairs(pair_replicates(_set(base), _set(control)), n_boot=200),
        ("base", algn): compare_pairs(pair_replicates(_set(base), _set(aligned)), n_boot=200),
        (ctrl, algn): compare_pairs(pair_replicates(_set(control), _set(aligned)), n_boot=200),
    }
    for pair, rows in expected.items():
        want = next(r for r in rows if r.target == GAIN)
        row = gains[pair]
        assert not want.population  # 2 held-out patients: the tissue interval
        assert want.tissue is not None
        assert row.diff.diff == want.diff
        assert (row.tissue.ci_low, row.tissue.ci_high) == (want.tissue.ci_low, want.tissue.ci_high)
        assert row.seeds is not None
        assert row.seeds.per_seed == want.seeds.per_seed
        assert row.within_tissue
        assert row.interval()[:2] == (want.tissue.ci_low, want.tissue.ci_high)
        assert "within these patients' tissue" in row.diff_text()
        assert row.seeds.text() in " ".join(c for line in verdict_table(verdict, "v").rows for c in line)
    claimed = gains[(ctrl, algn)]
    assert claimed.direction == 1  # the aligned seeds beat their random-aligned controls within this tissue
    controls = verdict.controls_of(claimed)
    assert {c.target for c in controls} == {"random:hallmark", "gap pathways:hallmark - random:hallmark"}
    assert reading(claimed, controls).startswith("B above A within these patients' tissue (no population claim)")
    table = verdict_table(verdict, "v")
    assert "seeds: B - A mean ± sd" in table.headers
    assert "B vs A" in table.headers  # several references: each row names its A


def test_a_control_run_makes_its_results_the_reference_of_the_other_adapters(replicate_results, tmp_path):
    inputs = load_inputs([replicate_results[k] for k in ("base", "aligned", "control")])
    (group,) = inputs.groups
    hashes = {"aligned": "a" * 12, "control": "c" * 12}
    marked = [
        dataclasses.replace(r, result=r.result.model_copy(update={"adapter_hash": hashes.get(r.result.encoder, "")}))
        for r in group.results
    ]
    group = TaskGroup(group.task, group.protocol, marked)
    run = tmp_path / "control-run"
    run.mkdir()
    (run / RunFiles.INFO).write_text(json.dumps(run_info_json(adapter_hash="c" * 12, targets={"kind": "random"})))
    controls = load_inputs([replicate_results["base"]], runs=[run]).control_adapters
    assert controls == {"c" * 12}
    assert [e.results[0].result.encoder for e in task_entries(group)] == ["base", "aligned", "control"]
    assert [e.results[0].result.encoder for e in task_entries(group, controls)] == ["base", "control", "aligned"]


def test_seeds_of_a_tier2_fit_are_compared_pair_by_pair_with_their_spread(tmp_path):
    made = hm.write_handmade(tmp_path / "made")
    status = np.array([i % 2 for i in range(hm.N)], dtype=float)
    perfect = np.where(status == 1, 0.9, 0.1)
    worse = perfect.copy()
    worse[[1, 2]] = [0.1, 0.9]  # one positive and one negative swapped
    hm.write_status_seeds(tmp_path / "seeds", {0: perfect, 1: worse})
    verdict = build_verdict(load_inputs([made["A"], tmp_path / "seeds"]).groups, n_boot=200)
    rows = [r for r in verdict.rows if r.task == hm.STATUS]
    assert [(r.probe, r.b_label) for r in rows] == [
        (p, f"vit-tiny-test+{s:012d}") for s in (0, 1) for p in hm.PROBES
    ]  # one row per seed pair and probe, every seed kept
    base = next(i for i in load_result_sets(made["A"]).values() if i[0].result.task.name == hm.STATUS)
    seeds = next(iter(load_result_sets(tmp_path / "seeds").values()))
    want = {
        str(y.seed): compare_outcomes(x.result, y.result, x.folder, y.folder, n_boot=200)
        for x, y in pair_replicates(base, seeds)
    }
    for row in rows:
        (same,) = [c for c in want[row.b_label[-1]] if c.probe == row.probe]
        assert (row.diff.diff, row.diff.ci_low, row.diff.ci_high) == (same.diff, same.ci_low, same.ci_high)
        assert row.seeds is not None
        assert row.seeds.per_seed == {s: next(c.diff for c in w if c.probe == row.probe) for s, w in want.items()}
    assert rows[0].seeds.per_seed["0"] == pytest.approx(0.5)  # perfect minus chance
    assert rows[0].seeds.per_seed["1"] < 0.5


def _check(name: str, value: float, passed: bool | None, low: float | None = None) -> Check:
    return Check(name=name, question=f"{name}?", metric=f"metric of {name}", a_label="base", a=0.1, b_label="kept",
                 b=0.1 + value, value=value, ci_low=low, ci_high=None if low is None else low + 0.2,
                 rule="lower end above 0", passed=passed, resampled="tiles")  # fmt: skip


def _seed_run(folder: Path, seed: int, checks: list[Check]) -> None:
    folder.mkdir(parents=True)
    info = {"adapter_hash": f"{seed:012d}", "seed": seed, "replicate_group": "g1", "targets": {"kind": "pathways"}}
    (folder / RunFiles.INFO).write_text(json.dumps(run_info_json(**info, verdict=verdict_json(checks, None))))


def test_the_runs_own_verdict_rows_and_their_spread_over_seeds(tmp_path):
    seeds = tmp_path / "aligned"
    _seed_run(seed_dir(seeds, 0), 0, [_check("moved", 0.2, True), _check("beat_base", 0.1, True, low=0.02)])
    _seed_run(seed_dir(seeds, 1), 1, [_check("moved", 0.4, True), _check("beat_base", 0.3, False, low=-0.01)])
    (seeds / SUMMARY_JSON).write_text(json.dumps({"seeds": [{"seed": 0}, {"seed": 1}]}))
    assert run_folders(seeds) == [seed_dir(seeds, 0), seed_dir(seeds, 1)]
    runs: list[RunFolder] = [read_run(folder) for folder in run_folders(seeds)]
    table = run_verdict_table(runs, "verdict-runs")
    assert table is not None
    assert len(table.rows) == 2 * 2 + 2  # every check of every run, then each check over the seeds
    first = next(r for r in table.rows if r[0].startswith("seed-0") and r[1].startswith("beat_base"))
    assert first[5:7] == ["+0.1000", "[+0.0200, +0.2200]"]
    assert first[8] == "yes"
    spread = next(r for r in table.rows if r[0].startswith("seeds 0, 1") and r[1].startswith("beat_base"))
    assert spread[5] == f"+0.2000 ± {np.std([0.1, 0.3], ddof=1):.4f} (2 seeds)"
    assert spread[8] == "passed 1/2 seeds"
    assert run_verdict_lines(runs)[1].endswith("moved yes, beat_base no")
    bare = tmp_path / "old-run"
    bare.mkdir()
    old = {k: v for k, v in run_info_json(adapter_hash="0" * 12).items() if k != "verdict"}
    (bare / RunFiles.INFO).write_text(json.dumps(old))  # written before verdicts
    assert run_folders(bare) == [bare]
    assert run_verdict_table([read_run(bare)], "none") is None
