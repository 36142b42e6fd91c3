"""Tiers 2/3 end to end on the toy cohort folder: a planted signal found, shuffled labels at chance, reruns identical,
counts right, and a poisoned test fold that cannot reach the probe fitted for it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from benchmarks.slide import outcomes as outcomes_module
from benchmarks.slide.data import SlideData
from benchmarks.slide.metrics import comparable_pairs
from benchmarks.slide.outcomes import OutcomeRun, evaluate_outcomes
from benchmarks.slide.probes import ProbeInput, ProbeOutput, ProbeSpec, get_probe
from tests.benchmarks.slide.conftest import FAST_ABMIL, ToyCohort, planted_bags, prepared

KINDS = ("classification", "regression", "survival")
CHANCE = {"classification": 0.5, "regression": 0.0, "survival": 0.5}
BOTH = {"use": ["mean-linear", "abmil"], "abmil": FAST_ABMIL.model_dump(), "linear": {"pca_components": 8,
        "c_grid": [0.01, 0.1, 1.0], "cox_components": 4}}  # fmt: skip


@pytest.fixture(scope="module")
def planted(toy_dir: Path, toy: ToyCohort) -> dict[str, tuple[SlideData, list[np.ndarray], OutcomeRun]]:
    """Each kind's task with both probes, the planted bags and the run on them."""
    level = dict(zip(toy.patients, toy.level, strict=True))
    runs = {}
    for kind in KINDS:
        data = prepared(toy_dir, toy, kind, probes=BOTH)
        bags = planted_bags(data, level)
        runs[kind] = (data, bags, evaluate_outcomes(bags, data))
    return runs


def _label_scores(run: OutcomeRun) -> dict[str, object]:
    return {s.probe: s for s in run.scores if s.block == "label"}


@pytest.mark.parametrize("kind", KINDS)
def test_planted_signal_is_found_by_both_probes_with_cis_excluding_chance(planted, kind: str):
    data, _, run = planted[kind]
    scores = _label_scores(run)
    assert set(scores) == {"mean-linear", "abmil"}
    for probe, score in scores.items():
        metric = score.metrics[score.primary]  # type: ignore[attr-defined]
        assert metric.interval == "patient_bootstrap", probe
        assert metric.n_patients == len(data.patients)
        assert metric.ci_low > CHANCE[kind], (probe, metric)
        assert metric.ci_low <= metric.mean <= metric.ci_high
        assert score.per_seed[score.primary]  # type: ignore[attr-defined]
    assert len(scores["abmil"].per_seed[scores["abmil"].primary]) == len(FAST_ABMIL.seeds)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", KINDS)
def test_counts_are_right(planted, kind: str):
    data, _, run = planted[kind]
    counts = run.scores[0].counts
    if kind == "classification":
        assert counts == {"n_positive": int(data.y.sum()), "n_negative": int((data.y == 0).sum())}
    elif kind == "survival":
        time, event = data.y[:, 0], data.y[:, 1]
        by_hand = sum(
            1
            for i in range(len(time))
            for j in range(len(time))
            if event[i] and (time[j] > time[i] or (time[j] == time[i] and not event[j]))
        )
        assert counts == {"n_events": int(event.sum()), "n_comparable_pairs": by_hand}
        assert comparable_pairs(time, event) == by_hand
    else:
        assert counts == {"n_targets": 2}
        assert set(run.scores[0].per_target) == {"PATHWAY_A", "PATHWAY_B"}


@pytest.mark.parametrize("kind", KINDS)
def test_predictions_cover_every_patient_once_with_its_fold(planted, kind: str):
    data, _, run = planted[kind]
    predictions = run.predictions
    assert sorted(predictions.patients.tolist()) == data.patients
    fold_of = {p: f.name for f in data.folds for p in f.test_patients}
    assert [fold_of[p] for p in predictions.patients] == predictions.folds.tolist()
    for probe in ("mean-linear", "abmil"):
        assert np.isfinite(predictions.predicted[(probe, "label")]).all()


def test_rerunning_a_task_gives_identical_numbers(planted):
    data, bags, run = planted["survival"]
    again = evaluate_outcomes(bags, data)
    assert [s.model_dump() for s in again.scores] == [s.model_dump() for s in run.scores]
    for key, values in run.predictions.predicted.items():
        np.testing.assert_array_equal(again.predictions.predicted[key], values)


def test_folds_fitted_in_one_process_give_the_numbers_of_parallel_ones(planted, monkeypatch):
    data, bags, run = planted["classification"]
    assert outcomes_module.fold_workers(len(data.folds), "cpu") >= 1
    monkeypatch.setattr(outcomes_module, "fold_workers", lambda n, device: 1)
    serial = evaluate_outcomes(bags, data)
    assert [s.model_dump() for s in serial.scores] == [s.model_dump() for s in run.scores]


@pytest.mark.parametrize("kind", KINDS)
def test_shuffled_labels_are_at_chance(toy_dir: Path, toy: ToyCohort, kind: str):
    data = prepared(toy_dir, toy, kind)  # mean-linear only
    bags = planted_bags(data, dict(zip(toy.patients, toy.level, strict=True)))
    order = np.random.default_rng(0).permutation(len(bags))  # labels permuted across patients (fixed seed)
    score = evaluate_outcomes([bags[i] for i in order], data).scores[0]
    metric = score.metrics[score.primary]
    assert metric.ci_low <= CHANCE[kind] <= metric.ci_high, metric
    assert abs(metric.mean - CHANCE[kind]) < 0.25, metric


class _Spy:
    """Wraps a probe: records every fold's inputs, and predicts one fixed witness bag beside the test patients."""

    def __init__(self, name: str, witness: np.ndarray) -> None:
        self.probe = get_probe(name)
        self.witness = witness
        self.calls: list[tuple[ProbeInput, np.ndarray, np.ndarray]] = []  # input, test predictions, witness's

    def spec(self, name: str) -> ProbeSpec:
        def fit_predict(data: ProbeInput) -> ProbeOutput:
            out = self.probe.fit_predict(dataclasses.replace(data, test=[*data.test, self.witness]))
            n = len(data.test)
            self.calls.append((data, out.predictions[:n].copy(), out.predictions[n:].copy()))
            return ProbeOutput(out.predictions[:n], [p[:n] for p in out.per_seed], out.notes)

        return ProbeSpec(name, self.probe.description, fit_predict)


def _spied_run(monkeypatch, probe: str, bags: list[np.ndarray], data: SlideData, witness: np.ndarray) -> _Spy:
    spy = _Spy(probe, witness)
    monkeypatch.setattr(outcomes_module, "get_probe", spy.spec)
    monkeypatch.setattr(outcomes_module, "fold_workers", lambda n, device: 1)  # the spy lives in this process
    evaluate_outcomes(bags, data)
    return spy


@pytest.mark.parametrize(("kind", "probe"), [("classification", "mean-linear"), ("survival", "mean-linear"),
                                             ("regression", "mean-linear"), ("classification", "abmil")])  # fmt: skip
def test_a_poisoned_test_fold_cannot_reach_the_probe_fitted_for_it(toy_dir, toy, monkeypatch, kind, probe):
    data = prepared(toy_dir, toy, kind, probes={**BOTH, "use": [probe]})
    bags = planted_bags(data, dict(zip(toy.patients, toy.level, strict=True)))
    witness = planted_bags(data, dict.fromkeys(data.patients, 0.5), seed=9)[0]
    clean = _spied_run(monkeypatch, probe, bags, data, witness)

    # poison fold 0's test patients: sentinel tiles in their bags, absurd labels
    fold0 = data.folds[0]
    sentinel = 1e6
    poisoned_bags = [np.full_like(b, sentinel) if i in set(fold0.test.tolist()) else b for i, b in enumerate(bags)]
    y = data.y.copy()
    y[fold0.test] = {"classification": 1 - y[fold0.test], "regression": 1e6, "survival": [1e9, 0]}[kind]
    poisoned = _spied_run(monkeypatch, probe, poisoned_bags, dataclasses.replace(data, y=y), witness)

    assert len(poisoned.calls) == len(data.folds)  # one fit per fold (one label block)
    first, _, _ = poisoned.calls[0]
    assert all(np.abs(b).max() < sentinel / 10 for b in first.train)  # no poisoned bag in fold 0's training
    np.testing.assert_array_equal(first.y_train, data.y[fold0.train])  # nor a poisoned label
    # the probe fitted for fold 0 is the same model: it predicts the witness bag bit for bit as before
    np.testing.assert_array_equal(poisoned.calls[0][2], clean.calls[0][2])
    # the other folds did train on fold 0's (now poisoned) patients, so the spy can see poison when it is there
    assert any(np.abs(b).max() >= sentinel for b in poisoned.calls[1][0].train)
    assert not np.array_equal(poisoned.calls[1][2], clean.calls[1][2])


def test_with_tile_places_the_predictions_keep_every_tested_tiles_score(toy_dir: Path, toy: ToyCohort, monkeypatch):
    from benchmarks.slide.tiles import TilePlaces

    monkeypatch.setattr(outcomes_module, "fold_workers", lambda n, device: 1)  # in this process: no worker start-up
    data = prepared(toy_dir, toy, "classification")  # mean-linear only
    bags = planted_bags(data, dict(zip(toy.patients, toy.level, strict=True)))
    places = [
        TilePlaces.join(data.slides[p], [np.column_stack([np.arange(6) * 224, np.zeros(6)])] * len(data.slides[p]),
                        [224] * len(data.slides[p]))
        for p in data.patients
    ]  # fmt: skip
    run = evaluate_outcomes(bags, data, places=places)
    predictions = run.predictions
    assert predictions.tiles is not None
    assert set(predictions.tile_scores) == {"mean-linear"}
    index = {p: i for i, p in enumerate(data.patients)}
    for k, patient in enumerate(predictions.patients):
        assert predictions.tiles[k] is places[index[patient]]
        scores = predictions.tile_scores["mean-linear"][k]
        assert scores.shape == (len(bags[index[patient]]), 1)
        probability = predictions.predicted[("mean-linear", "label")][k, 0]
        assert scores.mean() == pytest.approx(np.log(probability / (1 - probability)))  # the fold model's own scores
    assert predictions.tile_what["mean-linear"].startswith("linear score")
