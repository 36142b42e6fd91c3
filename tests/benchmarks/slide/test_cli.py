"""Tiers 2 and 3 through the command line, as a user runs them: fetch a synthetic cohort, run, compare, submit.

A small synthetic slide cohort (real pyramidal TIFFs, GDC-style label files) is fetched by ``stamp-bench
fetch-cohort``; ``stamp-bench run --tiers 2,3`` embeds its slides with ``vit-tiny-test`` and its two baselines and
scores a status task and a survival task; the results are rerun, compared, submitted (reproduced from the slide
features: verified) and rendered; a forged result is refused.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from benchmarks.cli import app
from benchmarks.schema import canonical_digest, read_result
from benchmarks.slide.predictions import read_outcome_predictions

COHORT = "tiny-slides"
STATUS = "tiny-status"
SURVIVAL = "tiny-survival"
RUNNER = CliRunner()


def _invoke(*args: str) -> str:
    done = RUNNER.invoke(app, list(args))
    assert done.exit_code == 0, done.output
    return done.output


def _write_inputs(root: Path) -> tuple[Path, list[Path]]:
    definition = {
        "schema_version": 1, "name": COHORT, "description": "tiny synthetic slide cohort for the CLI test",
        "license": "Apache-2.0", "citation": "humanst.synth (this repository)",
        "source": {"kind": "synthetic", "n_patients": 14, "width_um": 300, "height_um": 250,
                   "second_slide_fraction": 0.25, "seed": 3},
        "labels": {"mutations": {"genes": ["DRIVER1", "PASSENGER1"]}, "survival": {"endpoint": "overall_survival"}},
        "pretraining": {"status": "no", "note": "drawn at fetch time", "default": "no"},
    }  # fmt: skip
    probes = {"use": ["mean-linear", "abmil"], "abmil": {"epochs": 2, "seeds": [0, 1], "hidden": 16, "attention": 8}}
    common = {"schema_version": 1, "cohort": COHORT, "folds": {"kind": "patient_kfold", "k": 3, "seed": 0},
              "probes": probes, "bootstrap": 200, "seed": 0}  # fmt: skip
    tasks = {
        STATUS: {**common, "name": STATUS, "tier": 2, "kind": "classification",
                 "label": {"table": "mutations", "columns": ["DRIVER1"]}},
        SURVIVAL: {**common, "name": SURVIVAL, "tier": 3, "kind": "survival",
                   "label": {"table": "survival", "columns": ["os_days", "os_event"]}},
    }  # fmt: skip
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{COHORT}.yaml").write_text(yaml.safe_dump(definition))
    paths = []
    for name, task in tasks.items():
        paths.append(root / f"{name}.yaml")
        paths[-1].write_text(yaml.safe_dump(task))
    return root / f"{COHORT}.yaml", paths


@pytest.fixture(scope="module")
def tier_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiers23")
    definition, tasks = _write_inputs(root / "inputs")
    cohort, out, cache = root / "cohort", root / "results", root / "emb"
    _invoke("fetch-cohort", str(definition), "--out", str(cohort))
    args = ["run", "--tiers", "2,3", "--cohort", str(cohort), "--encoder", "vit-tiny-test", "--out", str(out)]
    args += ["--cache", str(cache), "--device", "cpu", "--batch-size", "16"]
    for task in tasks:
        args += ["--task", str(task)]
    output = _invoke(*args)
    return {
        "root": root,
        "cohort": cohort,
        "out": out,
        "cache": cache,
        "tasks": root / "inputs",
        "output": Path(output),
    }


def _result(out: Path, key: str, task: str) -> Path:
    return out / f"{key}__{task}__default.json"


def test_every_entry_is_scored_on_both_tasks_with_counts_and_patient_intervals(tier_run):
    out = tier_run["out"]
    for key in ("vit-tiny-test", "vit-tiny-test+random", "colour-texture"):
        for task, kind, primary in ((STATUS, "classification", "auroc"), (SURVIVAL, "survival", "c_index")):
            result = read_result(_result(out, key, task))
            assert result.task.tier == (2 if task == STATUS else 3)
            assert {s.probe for s in result.outcomes} == {"mean-linear", "abmil"}
            assert result.cohort is not None
            assert result.cohort.pretraining_overlap == "no"
            n = len(result.task.patients)
            for score in result.outcomes:
                assert score.kind == kind
                assert score.primary == primary
                metric = score.metrics[primary]
                assert metric.n_patients == n
                assert metric.interval == "patient_bootstrap"
                assert metric.ci_low <= metric.mean <= metric.ci_high
                if kind == "classification":
                    assert score.counts["n_positive"] + score.counts["n_negative"] == n
                else:
                    assert 0 < score.counts["n_events"] <= n
            assert result.predictions is not None
            kept = read_outcome_predictions(out / result.predictions.file, sha256=result.predictions.sha256)
            assert sorted(kept.patients.tolist()) == sorted(result.task.patients)


def test_a_rerun_gives_the_same_numbers_and_reuses_the_slide_features(tier_run, tmp_path):
    tasks = [tier_run["tasks"] / f"{name}.yaml" for name in (STATUS, SURVIVAL)]
    again = tmp_path / "again"
    args = ["run", "--tiers", "2,3", "--cohort", str(tier_run["cohort"]), "--encoder", "vit-tiny-test"]
    args += ["--no-baselines", "--out", str(again), "--cache", str(tier_run["cache"]), "--device", "cpu"]
    for task in tasks:
        args += ["--task", str(task)]
    features = sorted((tier_run["cache"] / "slides").glob("*/vit-tiny-test/*.safetensors"))
    stamps = {p: p.stat().st_mtime_ns for p in features}
    _invoke(*args)
    assert features
    assert {p: p.stat().st_mtime_ns for p in features} == stamps  # unchanged slides are not embedded again
    for task in (STATUS, SURVIVAL):
        first = read_result(_result(tier_run["out"], "vit-tiny-test", task))
        second = read_result(_result(again, "vit-tiny-test", task))
        assert [s.model_dump() for s in first.outcomes] == [s.model_dump() for s in second.outcomes]
        assert first.embeddings_hash == second.embeddings_hash


def test_fetching_the_synthetic_cohort_again_rewrites_nothing(tier_run):
    definition = tier_run["tasks"] / f"{COHORT}.yaml"
    slides = sorted((tier_run["cohort"] / "slides").glob("*.tif"))
    stamps = {p: p.stat().st_mtime_ns for p in slides}
    output = _invoke("fetch-cohort", str(definition), "--out", str(tier_run["cohort"]))
    assert slides
    assert {p: p.stat().st_mtime_ns for p in slides} == stamps
    assert "not rewritten" in " ".join(output.split())


def test_compare_gives_a_paired_difference_per_probe(tier_run):
    out = tier_run["out"]
    output = _invoke(
        "compare", str(_result(out, "vit-tiny-test", STATUS)), str(_result(out, "colour-texture", STATUS)),
        "--n-boot", "200",
    )  # fmt: skip
    flat = " ".join(output.split())
    assert "tier 2" in flat
    assert "mean-linear" in flat
    assert "abmil" in flat
    assert "auroc" in flat


def test_submitted_results_are_reproduced_and_the_leaderboard_has_a_group_per_tier(tier_run, tmp_path):
    board = tmp_path / "board"
    board.mkdir()
    features = tier_run["cache"] / "slides"
    output = ""
    for task in (STATUS, SURVIVAL):  # tasks of the test, not shipped: each result with its task file
        task_file = str(tier_run["tasks"] / f"{task}.yaml")
        for result in sorted(tier_run["out"].glob(f"*__{task}__default.json")):
            output += _invoke(
                "submit", str(result), "--leaderboard", str(board), "--cohort", str(tier_run["cohort"]),
                "--features", str(features), "--submitter", "evaluator", "--task", task_file,
            )  # fmt: skip
    assert output.count("(verified:") == 6, output
    _invoke("leaderboard", str(board))
    with (board / "leaderboard.csv").open() as handle:
        header = handle.readline()
    assert "t2_classification_mean-linear" in header
    assert "t3_survival_abmil" in header
    assert "pretraining" in header
    html = (board / "leaderboard.html").read_text()
    assert "T2 AUROC (ABMIL)" in html
    assert "T3 C-index (mean-pooled linear)" in html
    assert not list(board.rglob("*.parquet"))  # the labels stay out of the leaderboard


def test_a_forged_tier2_result_with_a_recomputed_digest_is_refused(tier_run, tmp_path):
    source = _result(tier_run["out"], "vit-tiny-test", STATUS)
    forged_dir = tmp_path / "forged"
    forged_dir.mkdir()
    result = read_result(source)
    shutil.copy(tier_run["out"] / result.predictions.file, forged_dir / result.predictions.file)
    doc = json.loads(source.read_text())
    doc["outcomes"][0]["metrics"]["auroc"].update(mean=0.99, ci_low=0.98, ci_high=1.0)
    forged = result.model_validate(doc)
    doc["digest"] = canonical_digest(forged)
    (forged_dir / source.name).write_text(json.dumps(doc))
    board = tmp_path / "board"
    board.mkdir()
    task = str(tier_run["tasks"] / f"{STATUS}.yaml")
    done = RUNNER.invoke(app, ["submit", str(forged_dir / source.name), "--leaderboard", str(board), "--task", task])
    assert done.exit_code == 1
    flat = " ".join(done.output.split())
    assert "not internally consistent" in flat
    assert "auroc" in flat
    assert not (board / "entries").exists() or not list((board / "entries").iterdir())


def test_tasks_lists_every_tier(tier_run):
    output = _invoke("tasks")
    assert "demo-slide-status: tier 2, cohort synthetic-slides" in output
    assert "demo-patient-survival: tier 3" in output
    assert "demo-spot: tier 1" in output


def test_the_kept_tile_places_are_the_feature_files_and_the_report_draws_them_on_the_slides(tier_run, tmp_path):
    from stamp.slides import load_slide_features

    out = tier_run["out"]
    result = read_result(_result(out, "vit-tiny-test", STATUS))
    kept = read_outcome_predictions(out / result.predictions.file, sha256=result.predictions.sha256)
    assert kept.tiles is not None
    assert set(kept.tile_scores) == {"mean-linear", "abmil"}
    for places, attention in zip(kept.tiles, kept.tile_scores["abmil"], strict=True):
        assert attention.sum() == pytest.approx(1.0, abs=1e-5)  # one attention distribution over the patient's tiles
        for k, slide in enumerate(places.slides):
            (feature_file,) = (tier_run["cache"] / "slides").glob(f"*/vit-tiny-test/{slide}.safetensors")
            features = load_slide_features(feature_file)
            np.testing.assert_array_equal(places.xy_px[places.of_slide(slide)], features.coords_px)
            assert places.tile_px[k] == features.size_px_level0
    report = tmp_path / "report"
    args = ["report", str(out), "--out", str(report), "--cohort", str(tier_run["cohort"]), "--n-boot", "200"]
    output = _invoke(*args)
    page = (report / "index.html").read_text()
    heatmaps = sorted(p.name for p in report.glob("*heat*.png"))
    assert len(heatmaps) == 4  # two tasks, two probes
    assert page.count("Heatmaps on slides") == 2
    flat = " ".join(output.split())
    assert "no heatmaps" not in flat
    assert "heatmap of" not in flat  # every picked patient's slide was found and read
