"""Slide probes: ABMIL deterministic on CPU and averaged over seeds, its Cox loss by hand; the linear probes' fits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from benchmarks.errors import TierError
from benchmarks.slide.probes import PROBES, ProbeInput, get_probe
from benchmarks.slide.probes.abmil import cox_partial_likelihood
from benchmarks.slide.task import ProbeSettings
from tests.benchmarks.slide.conftest import FAST_ABMIL, FAST_LINEAR


def _input(kind: str, seed: int = 0) -> ProbeInput:
    rng = np.random.default_rng(seed)
    level = rng.normal(size=30)
    bags = [(rng.normal(size=(rng.integers(3, 9), 12)) + lv).astype(np.float32) for lv in level]
    y = {
        "classification": (level > 0).astype(float),
        "regression": np.c_[level, -level],
        "survival": np.c_[np.round(rng.exponential(100 * np.exp(-level))) + 1, rng.random(30) < 0.7],
    }[kind]
    settings = ProbeSettings(use=["abmil"], abmil=FAST_ABMIL, linear=FAST_LINEAR)
    return ProbeInput(kind, bags[:22], y[:22], bags[22:], settings, seed=3)


def test_the_registry_holds_both_probes_and_refuses_unknown_ones():
    assert set(PROBES.names()) >= {"mean-linear", "abmil"}
    with pytest.raises(TierError, match="mean-linear"):
        get_probe("no-such-probe")


@pytest.mark.parametrize("kind", ["classification", "regression", "survival"])
def test_abmil_is_bit_identical_on_rerun_and_averages_its_seeds(kind: str):
    data = _input(kind)
    first = get_probe("abmil").fit_predict(data)
    torch.manual_seed(12345)  # the global generators must not matter
    torch.rand(7)
    again = get_probe("abmil").fit_predict(data)
    np.testing.assert_array_equal(first.predictions, again.predictions)
    for a, b in zip(first.per_seed, again.per_seed, strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(first.per_seed) == len(FAST_ABMIL.seeds)
    assert not np.array_equal(first.per_seed[0], first.per_seed[1])  # the seeds differ...
    np.testing.assert_allclose(first.predictions, np.mean(first.per_seed, axis=0))  # ...and are averaged
    width = 2 if kind == "regression" else 1
    assert first.predictions.reshape(len(data.test), -1).shape == (len(data.test), width)
    assert np.isfinite(first.predictions).all()
    if kind == "classification":
        assert ((first.predictions > 0) & (first.predictions < 1)).all()
    assert not torch.are_deterministic_algorithms_enabled()  # switched on for the fit only, then restored


def test_abmil_depends_on_the_task_seed():
    data = _input("classification")
    other = ProbeInput(data.kind, data.train, data.y_train, data.test, data.settings, seed=4)
    assert not np.array_equal(get_probe("abmil").fit_predict(data).predictions,
                              get_probe("abmil").fit_predict(other).predictions)  # fmt: skip


def _breslow_by_hand(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> float:
    total = 0.0
    for i in range(len(time)):
        if event[i]:
            total += risk[i] - np.log(np.exp(risk[time >= time[i]]).sum())  # risk set: still followed at time[i]
    return -total / event.sum()


def test_cox_loss_is_breslow_with_tied_times_in_any_batch_order():
    time = np.array([5.0, 3.0, 3.0, 3.0, 1.0, 8.0])  # three patients tied at 3 (two events, one censored)
    event = np.array([1.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    risk = np.array([0.2, -0.5, 1.0, 0.3, 0.7, -1.0])
    expected = _breslow_by_hand(time, event, risk)
    for order in (np.arange(6), np.array([3, 2, 1, 0, 5, 4]), np.array([1, 3, 2, 0, 4, 5])):
        got = cox_partial_likelihood(torch.tensor(risk[order]), torch.tensor(time[order]), torch.tensor(event[order]))
        assert got.item() == pytest.approx(expected, rel=1e-12)


def test_cox_loss_without_events_is_zero_and_keeps_the_graph():
    risk = torch.tensor([0.3, -0.2], requires_grad=True)
    loss = cox_partial_likelihood(risk, torch.tensor([2.0, 5.0]), torch.tensor([0.0, 0.0]))
    loss.backward()
    assert loss.item() == 0.0
    assert risk.grad is not None


def test_cox_loss_prefers_the_right_ranking():
    time, event = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.ones(4)
    right = cox_partial_likelihood(torch.tensor([3.0, 2.0, 1.0, 0.0]), time, event)
    wrong = cox_partial_likelihood(torch.tensor([0.0, 1.0, 2.0, 3.0]), time, event)
    assert right.item() < wrong.item()


@pytest.mark.parametrize("kind", ["classification", "regression", "survival"])
def test_linear_probe_is_deterministic_and_reports_its_penalty(kind: str):
    data = _input(kind)
    first = get_probe("mean-linear").fit_predict(data)
    again = get_probe("mean-linear").fit_predict(data)
    np.testing.assert_array_equal(first.predictions, again.predictions)
    assert len(first.per_seed) == 1
    assert np.isfinite(first.predictions).all()
    key = {"classification": "C", "regression": "alpha_median", "survival": "penalizer"}[kind]
    assert key in first.notes


def test_linear_probe_with_one_class_in_training_predicts_that_class():
    data = _input("classification")
    only_ones = ProbeInput(data.kind, data.train, np.ones(len(data.train)), data.test, data.settings)
    out = get_probe("mean-linear").fit_predict(only_ones)
    np.testing.assert_array_equal(out.predictions, np.ones(len(data.test)))


@pytest.mark.parametrize("kind", ["classification", "regression", "survival"])
def test_linear_tile_scores_average_to_the_patients_score(kind: str):
    data = _input(kind)
    out = get_probe("mean-linear").fit_predict(data)
    assert [len(t) for t in out.tile_scores] == [len(b) for b in data.test]
    means = np.stack([t.mean(axis=0) for t in out.tile_scores])
    patient = out.predictions.reshape(len(data.test), -1)
    if kind == "classification":
        patient = np.log(patient / (1 - patient))  # the tiles' scores are logits
    np.testing.assert_allclose(means, patient, rtol=1e-6, atol=1e-8)  # the chain is affine: the mean is the patient's
    assert means.shape[1] == (2 if kind == "regression" else 1)
    assert np.ptp(out.tile_scores[0]) > 0  # tiles differ


def test_abmil_tile_attention_is_a_distribution_over_each_bag_averaged_over_seeds():
    data = _input("classification")
    out = get_probe("abmil").fit_predict(data)
    assert [t.shape for t in out.tile_scores] == [(len(b), 1) for b in data.test]
    for attention in out.tile_scores:
        assert (attention >= 0).all()
        assert attention.sum() == pytest.approx(1.0)
    again = get_probe("abmil").fit_predict(data)
    for a, b in zip(out.tile_scores, again.tile_scores, strict=True):
        np.testing.assert_array_equal(a, b)
    assert get_probe("abmil").tile_score.startswith("attention")
    assert get_probe("mean-linear").tile_score.startswith("linear score")
