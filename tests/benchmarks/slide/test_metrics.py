"""Tier 2/3 metrics on data small enough to count by hand, checked against the hand count and the libraries."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.utils import concordance_index
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from benchmarks.slide.metrics import (
    MIN_BOOTSTRAP_PATIENTS,
    auroc,
    balanced_accuracy,
    comparable_pairs,
    concordance,
    mean_pearson,
    metric_function,
    patient_bootstrap,
    resample_indices,
)

# Seven patients A..G: (time, event, risk). Ties in time (B/C event vs censored, D/E both events, F/G censored vs
# event) and ties in risk (B, C, D all 0.5).
TIME = np.array([2.0, 4.0, 4.0, 6.0, 6.0, 8.0, 8.0])
EVENT = np.array([1, 1, 0, 1, 1, 0, 1])
RISK = np.array([0.9, 0.5, 0.5, 0.5, 0.7, 0.1, 0.2])
# Comparable pairs (i had the event, j outlived it: later time, or the same time but censored), by hand:
#   A(2): B C D E F G                          6 pairs, all concordant (0.9 is the highest risk)
#   B(4): C (same time, censored) D E F G      5 pairs: C, D tied in risk; E (0.7) discordant; F, G concordant
#   C censored                                 0
#   D(6): F G (E: same time, both events: not comparable)  2 concordant
#   E(6): F G                                  2 concordant
#   F censored                                 0
#   G(8): F (same time, censored)              1 concordant (0.2 > 0.1)
HAND_PAIRS = 6 + 5 + 2 + 2 + 1
HAND_CONCORDANT, HAND_TIED, HAND_DISCORDANT = 13, 2, 1
HAND_C_INDEX = (HAND_CONCORDANT + 0.5 * HAND_TIED) / HAND_PAIRS  # 14 / 16


def _brute_force_pairs(time: np.ndarray, event: np.ndarray) -> int:
    return sum(
        1
        for i in range(len(time))
        for j in range(len(time))
        if i != j and event[i] and (time[j] > time[i] or (time[j] == time[i] and not event[j]))
    )


def test_hand_count_is_consistent():
    assert HAND_CONCORDANT + HAND_TIED + HAND_DISCORDANT == HAND_PAIRS
    assert HAND_C_INDEX == 14 / 16
    assert _brute_force_pairs(TIME, EVENT) == HAND_PAIRS


def test_comparable_pairs_match_the_hand_count():
    assert comparable_pairs(TIME, EVENT) == HAND_PAIRS


def test_c_index_matches_the_hand_count_and_lifelines():
    value = concordance(TIME, EVENT, RISK)
    assert value == pytest.approx(HAND_C_INDEX)
    # lifelines wants a score where higher means longer survival: the negated risk
    assert value == pytest.approx(concordance_index(TIME, -RISK, EVENT))


def test_c_index_direction_and_extremes():
    order = np.lexsort((-EVENT, TIME))  # risk falling with time, events before censorings at a tied time
    perfect = np.empty_like(RISK)
    perfect[order] = np.arange(len(TIME))[::-1]
    assert concordance(TIME, EVENT, perfect) == 1.0
    assert concordance(TIME, EVENT, -perfect) == 0.0
    assert concordance(TIME, EVENT, np.zeros_like(RISK)) == 0.5  # all risks tied


def test_an_event_tied_with_a_censored_time_is_one_comparable_pair():
    time, event = np.array([4.0, 4.0]), np.array([1, 0])
    assert comparable_pairs(time, event) == 1
    assert concordance(time, event, np.array([2.0, 1.0])) == 1.0
    assert concordance(time, event, np.array([1.0, 2.0])) == 0.0


def test_no_comparable_pair_gives_nan_not_an_error():
    assert comparable_pairs(np.array([3.0, 3.0]), np.array([1, 1])) == 0  # tied event times
    assert np.isnan(concordance(np.array([3.0, 3.0]), np.array([1, 1]), np.array([1.0, 0.0])))
    assert np.isnan(concordance(np.array([3.0, 5.0]), np.array([0, 0]), np.array([1.0, 0.0])))  # all censored


def test_c_index_and_pairs_match_lifelines_on_random_tied_data():
    rng = np.random.default_rng(3)
    for _ in range(20):
        time = rng.integers(1, 6, size=15).astype(float)  # many ties
        event = rng.integers(0, 2, size=15)
        risk = rng.integers(0, 4, size=15).astype(float)
        assert comparable_pairs(time, event) == _brute_force_pairs(time, event)
        if comparable_pairs(time, event):
            assert concordance(time, event, risk) == pytest.approx(concordance_index(time, -risk, event))


# Six patients: positives at 0.8, 0.4, 0.9; negatives at 0.1, 0.4, 0.3. Of the 9 (positive, negative) pairs the
# positive scores higher in 8 and ties in 1 (0.4 vs 0.4): AUROC = 8.5 / 9.
Y = np.array([0, 1, 0, 1, 1, 0])
SCORE = np.array([0.1, 0.8, 0.4, 0.4, 0.9, 0.3])


def test_auroc_matches_the_hand_count_and_scikit_learn():
    assert auroc(Y, SCORE) == pytest.approx(8.5 / 9)
    assert auroc(Y, SCORE) == pytest.approx(roc_auc_score(Y, SCORE))


def test_balanced_accuracy_matches_the_hand_count_and_scikit_learn():
    # called positive at >= 0.5: patients 1 and 4. Sensitivity 2/3 (patient 3 missed), specificity 3/3
    assert balanced_accuracy(Y, SCORE) == pytest.approx((2 / 3 + 1) / 2)
    assert balanced_accuracy(Y, SCORE) == pytest.approx(balanced_accuracy_score(Y, SCORE >= 0.5))
    # the threshold is inclusive: a negative at exactly 0.5 is called positive
    assert balanced_accuracy(Y, np.where(Y == 0, 0.5, 0.9)) == pytest.approx(0.5)


def test_one_class_gives_nan():
    assert np.isnan(auroc(np.ones(4), np.arange(4.0)))
    assert np.isnan(balanced_accuracy(np.zeros(4), np.arange(4.0)))


def test_mean_pearson_averages_the_targets():
    y = np.array([[1.0, 1.0], [2.0, 3.0], [3.0, 2.0], [4.0, 4.0]])
    pred = np.array([[1.0, 4.0], [2.0, 2.0], [3.0, 3.0], [4.0, 1.0]])
    r0 = np.corrcoef(y[:, 0], pred[:, 0])[0, 1]
    r1 = np.corrcoef(y[:, 1], pred[:, 1])[0, 1]
    assert r0 == pytest.approx(1.0)
    assert mean_pearson(y, pred) == pytest.approx((r0 + r1) / 2)


def test_metric_function_reads_the_survival_columns():
    y = np.c_[TIME, EVENT]
    assert metric_function("c_index", y, RISK)(np.arange(len(TIME))) == pytest.approx(HAND_C_INDEX)
    # a subset of patients: A, B, F only -> A-B, A-F, B-F comparable, all concordant
    assert metric_function("c_index", y, RISK)(np.array([0, 1, 5])) == 1.0


def test_patient_bootstrap_is_seeded_and_brackets_the_value():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, size=60)
    score = y + rng.normal(scale=1.0, size=60)
    metric = metric_function("auroc", y, score)
    first, values = patient_bootstrap(metric, 60, n_boot=120, seed=4)
    again, values_again = patient_bootstrap(metric, 60, n_boot=120, seed=4)
    other, _ = patient_bootstrap(metric, 60, n_boot=120, seed=5)
    assert first == again
    np.testing.assert_array_equal(values, values_again)
    assert other != first
    assert first.kind == "patient_bootstrap"
    assert first.n_defined == 120
    assert first.low < first.value < first.high
    assert first.value == pytest.approx(roc_auc_score(y, score))
    # the resamples are patients drawn with replacement, the same for any metric of the same patients
    idx = resample_indices(60, n_boot=120, seed=4)
    expected = [metric(row) for row in idx]
    np.testing.assert_array_equal(values, expected)


def test_no_interval_below_the_minimum_number_of_patients():
    n = MIN_BOOTSTRAP_PATIENTS - 1
    y = np.array([0, 1] * n)[:n]
    interval, values = patient_bootstrap(metric_function("auroc", y, y.astype(float)), n, n_boot=200, seed=0)
    assert interval.kind == "none"
    assert np.isnan(interval.low)
    assert np.isnan(interval.high)
    assert values.size == 0


def test_undefined_resamples_are_skipped_not_counted():
    # 2 positives among 12: many resamples hold one class; those are skipped and counted out of n_defined
    y = np.array([1, 1] + [0] * 10)
    score = np.linspace(1.0, 0.0, 12)
    interval, values = patient_bootstrap(metric_function("auroc", y, score), 12, n_boot=150, seed=0)
    undefined = int(np.isnan(values).sum())
    assert undefined > 0
    assert interval.n_defined == 150 - undefined
    assert interval.kind == "patient_bootstrap"
