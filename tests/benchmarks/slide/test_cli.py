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


def _forge_perfect(source: Path, folder: Path, *, encoder: str, key: str, adapter_hash: str = "") -> Path:
    """An attacker's tier-2 result: predictions rewritten to the labels, metrics recomputed, digests resealed.

    Built with the project's own functions, so it is internally consistent: only its name can give it away.
    """
    from dataclasses import replace

    import numpy as np

    from benchmarks.schema import result_filename
    from benchmarks.slide.metrics import metric_function
    from benchmarks.slide.predictions import outcome_predictions_filename, write_outcome_predictions

    result = read_result(source)
    kept = read_outcome_predictions(source.parent / result.predictions.file, sha256=result.predictions.sha256)
    perfect = {(probe, block): kept.measured[block].copy() for probe, block in kept.predicted}
    forged_predictions = replace(kept, predicted=perfect)
    folder.mkdir(parents=True, exist_ok=True)
    name = result_filename(key, result.task.name, result.task.protocol)
    sha256 = write_outcome_predictions(forged_predictions, folder / outcome_predictions_filename(name))
    outcomes = []
    everyone = np.arange(kept.n_patients)
    for score in result.outcomes:
        y, p = kept.measured[score.block][:, 0], perfect[(score.probe, score.block)][:, 0]
        metrics = {}
        for metric_name, metric in score.metrics.items():
            value = float(metric_function(metric_name, y, p)(everyone))
            metrics[metric_name] = metric.model_copy(update={"mean": value, "ci_low": value, "ci_high": value})
        outcomes.append(score.model_copy(update={"metrics": metrics}))
    predictions = result.predictions.model_copy(update={"file": outcome_predictions_filename(name), "sha256": sha256})
    forged = result.model_copy(
        update={"encoder": encoder, "embedding_key": key, "adapter_hash": adapter_hash, "outcomes": outcomes,
                "predictions": predictions, "digest": ""}
    )  # fmt: skip
    forged = forged.model_copy(update={"digest": canonical_digest(forged)})
    (folder / name).write_text(forged.model_dump_json(indent=2))
    return folder / name


def _submit(path: Path, board: Path, *args: str) -> tuple[int, str]:
    done = RUNNER.invoke(app, ["submit", str(path), "--leaderboard", str(board), *args])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return done.exit_code, " ".join(done.output.split())


def test_a_registered_name_is_only_ever_a_verified_entry(tier_run, tmp_path):
    from benchmarks.leaderboard import read_entries
    from benchmarks.slide.integrity import outcome_problems
    from benchmarks.tasks import load_any_task

    task_file = str(tier_run["tasks"] / f"{STATUS}.yaml")
    genuine = _result(tier_run["out"], "vit-tiny-test", STATUS)
    board = tmp_path / "board"
    board.mkdir()
    hashed = "vit-tiny-test+0123456789ab"
    forgeries = {
        "another encoder, a registered key": _forge_perfect(genuine, tmp_path / "a", encoder="mallory-net",
                                                            key="vit-tiny-test"),
        "a registered encoder and key": _forge_perfect(genuine, tmp_path / "b", encoder="vit-tiny-test",
                                                       key="vit-tiny-test"),
        "with an adapter hash": _forge_perfect(genuine, tmp_path / "c", encoder="vit-tiny-test", key=hashed,
                                               adapter_hash="0123456789ab"),
        "the baseline's name": _forge_perfect(genuine, tmp_path / "d", encoder="colour-texture", key="colour-texture"),
    }  # fmt: skip
    for what, forged in forgeries.items():
        result = read_result(forged)
        assert outcome_problems(result, forged.parent, load_any_task(task_file)) == [], what  # consistent
        assert result.outcomes[0].metrics["auroc"].mean == 1.0
        code, text = _submit(forged, board, "--task", task_file, "--submitter", "mallory")
        assert code == 1, (what, text)
        assert "refused" in text or "registered encoder or baseline" in text, (what, text)
    assert read_entries(board)[0] == []  # nothing was filed
    code, text = _submit(forgeries["another encoder, a registered key"], board, "--task", task_file)
    assert "do not make its embedding_key" in text
    code, text = _submit(forgeries["with an adapter hash"], board, "--task", task_file)
    assert "entry 'vit-tiny-test+0123456789ab' is named after a registered encoder or baseline" in text
    code, text = _submit(
        genuine, board, "--task", task_file, "--cohort", str(tier_run["cohort"]),
        "--features", str(tier_run["cache"] / "slides"), "--submitter", "evaluator",
    )  # fmt: skip
    assert code == 0, text
    ((entry,), _) = read_entries(board)
    assert (entry.record.name, entry.record.verification) == ("vit-tiny-test", "verified")


def test_a_task_name_from_a_submission_is_never_opened_or_echoed(tier_run, tmp_path):
    secret = tmp_path / "secret.yaml"
    secret.write_text("secret: [not closed SECRET-LINE\n")  # would be echoed in a YAML error if it were read
    genuine = read_result(_result(tier_run["out"], "colour-texture", STATUS))
    board = tmp_path / "board"
    board.mkdir()
    task_file = str(tier_run["tasks"] / f"{STATUS}.yaml")
    for name in (str(secret), "../../secret", "no-such-task"):
        folder = tmp_path / f"sub{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        shutil.copy(tier_run["out"] / genuine.predictions.file, folder / genuine.predictions.file)
        task = genuine.task.model_copy(update={"name": name})  # model_copy does not validate: what an attacker writes
        forged = genuine.model_copy(update={"task": task, "digest": ""})
        path = folder / "r.json"
        path.write_text(forged.model_copy(update={"digest": canonical_digest(forged)}).model_dump_json())
        code, text = _submit(path, board, "--task", task_file)
        assert code == 1, (name, text)
        assert "SECRET-LINE" not in text
        assert str(secret) not in text
        assert "stamp-bench tasks" in text or "task.name" in text, text
    assert not (board / "entries").exists()


def test_a_linked_predictions_file_is_refused_in_a_single_file_submission(tier_run, tmp_path):
    genuine = _result(tier_run["out"], "colour-texture", STATUS)
    result = read_result(genuine)
    folder = tmp_path / "sub"
    folder.mkdir()
    shutil.copy(genuine, folder / genuine.name)
    (folder / result.predictions.file).symlink_to(tier_run["out"] / result.predictions.file)
    board = tmp_path / "board"
    code, text = _submit(folder / genuine.name, board, "--task", str(tier_run["tasks"] / f"{STATUS}.yaml"))
    assert code == 1
    assert "no links" in text
    assert result.predictions.file in text
    assert not (board / "entries").exists()


def test_impossible_labels_stop_the_run_and_left_out_patients_are_printed(tier_run, tmp_path):
    import pandas as pd

    cohort = Path(shutil.copytree(tier_run["cohort"], tmp_path / "cohort", symlinks=True))
    table = cohort / "labels" / "survival.tsv"
    frame = pd.read_csv(table, sep="\t", dtype={"patient_id": str})
    first, second = frame["patient_id"].iloc[0], frame["patient_id"].iloc[1]
    base = ["run", "--tiers", "3", "--cohort", str(cohort), "--encoder", "vit-tiny-test", "--no-baselines"]
    base += [
        "--cache",
        str(tier_run["cache"]),
        "--device",
        "cpu",
        "--task",
        str(tier_run["tasks"] / f"{SURVIVAL}.yaml"),
    ]
    negative = frame.copy()
    negative.loc[0, "os_days"] = -50
    negative.to_csv(table, sep="\t", index=False)
    done = RUNNER.invoke(app, [*base, "--out", str(tmp_path / "neg")])
    assert done.exit_code == 1
    text = " ".join(done.output.split())
    assert f"label table 'survival' column 'os_days': a negative survival time for 1 patient(s): {first}" in text
    assert not (tmp_path / "neg").exists() or not list((tmp_path / "neg").glob("*.json"))
    missing = frame.copy()
    missing.loc[1, "os_days"] = None
    missing.to_csv(table, sep="\t", index=False)
    done = RUNNER.invoke(app, [*base, "--out", str(tmp_path / "nan")])
    assert done.exit_code == 0, done.output
    assert "label missing 1" in " ".join(done.output.split())
    result = read_result(_result(tmp_path / "nan", "vit-tiny-test", SURVIVAL))
    assert second not in result.task.patients
