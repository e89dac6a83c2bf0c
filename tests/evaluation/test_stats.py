"""Seed statistics: summaries with bootstrap intervals, the ~chance mark, paired bootstrap."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from kdgat.evaluation.stats import (
    Interval,
    auroc_of,
    f1_of,
    flag_all_f1,
    is_chance,
    paired_bootstrap,
    summarize,
)

# -- flag_all_f1 ---------------------------------------------------------------------------


@pytest.mark.parametrize("attacks", [1, 3, 10, 19])
def test_flag_all_f1_is_the_f1_of_flagging_every_window(attacks: int) -> None:
    labels = np.r_[np.ones(attacks, int), np.zeros(20 - attacks, int)]
    assert flag_all_f1(attacks / 20) == pytest.approx(f1_score(labels, np.ones(20, int)))


def test_flag_all_f1_edges_and_bad_prevalence() -> None:
    assert flag_all_f1(0.0) == 0.0
    assert flag_all_f1(1.0) == 1.0
    with pytest.raises(ValueError, match="prevalence"):
        flag_all_f1(1.5)


# -- summarize ------------------------------------------------------------------------------


def test_summarize_mean_and_sample_std_are_exact() -> None:
    s = summarize([0.7, 0.8, 0.9])
    assert s.mean == pytest.approx(0.8)
    assert s.std == pytest.approx(0.1)  # ddof=1: sqrt((0.01 + 0 + 0.01) / 2)
    assert s.n == 3
    assert s.low <= s.mean <= s.high
    assert 0.7 <= s.low < s.high <= 0.9  # a bootstrap of the mean stays within the data


def test_summarize_of_exactly_representable_values() -> None:
    s = summarize([0.5, 0.75, 1.0])
    assert (s.mean, s.std, s.n) == (0.75, 0.25, 3)


def test_summarize_interval_is_narrower_for_tighter_data() -> None:
    wide = summarize([0.5, 0.7, 0.9, 0.6, 0.8])
    tight = summarize([0.69, 0.71, 0.70, 0.695, 0.705])
    assert tight.high - tight.low < wide.high - wide.low


def test_summarize_is_deterministic() -> None:
    values = [0.61, 0.65, 0.72, 0.58]
    assert summarize(values) == summarize(values)


def test_summarize_higher_confidence_gives_a_wider_interval() -> None:
    values = [0.61, 0.65, 0.72, 0.58, 0.66, 0.7]
    narrow, wide = summarize(values, confidence=0.5), summarize(values, confidence=0.99)
    assert wide.low <= narrow.low
    assert narrow.high <= wide.high


def test_one_seed_has_no_interval() -> None:
    s = summarize([0.42])
    assert (s.mean, s.std, s.n) == (0.42, 0.0, 1)
    assert math.isnan(s.low)
    assert math.isnan(s.high)


def test_identical_seeds_give_a_point_interval() -> None:
    assert summarize([0.1, 0.1, 0.1]) == Interval(0.1, 0.0, 0.1, 0.1, 3)


def test_nan_values_are_dropped() -> None:
    assert summarize([0.7, float("nan"), 0.9]) == summarize([0.7, 0.9])
    assert summarize([0.7, float("nan"), 0.9]).n == 2


def test_all_nan_is_undefined() -> None:
    s = summarize([float("nan"), float("nan")])
    assert s.n == 0
    assert all(math.isnan(v) for v in (s.mean, s.std, s.low, s.high))
    assert summarize([]).n == 0


# -- is_chance ------------------------------------------------------------------------------

NAN = float("nan")
UNDEFINED = Interval(NAN, NAN, NAN, NAN, 0)


def test_f1_of_flagging_everything_is_chance() -> None:
    # prevalence 0.5: flagging everything scores F1 2/3.
    f1 = Interval(mean=0.66, std=0.01, low=0.65, high=0.68, n=3)
    good_auroc = Interval(mean=0.9, std=0.01, low=0.89, high=0.91, n=3)
    assert is_chance(f1, good_auroc, prevalence=0.5)


def test_a_good_detector_is_not_chance() -> None:
    f1 = Interval(mean=0.9, std=0.01, low=0.89, high=0.91, n=3)
    auroc = Interval(mean=0.97, std=0.01, low=0.96, high=0.98, n=3)
    assert not is_chance(f1, auroc, prevalence=0.5)


def test_auroc_not_above_half_is_chance() -> None:
    f1 = Interval(mean=0.9, std=0.01, low=0.89, high=0.91, n=3)
    auroc = Interval(mean=0.55, std=0.05, low=0.49, high=0.6, n=3)
    assert is_chance(f1, auroc, prevalence=0.5)


def test_one_seed_uses_the_tolerance() -> None:
    auroc = Interval(mean=0.95, std=0.0, low=float("nan"), high=float("nan"), n=1)
    near = Interval(mean=0.68, std=0.0, low=float("nan"), high=float("nan"), n=1)
    far = Interval(mean=0.72, std=0.0, low=float("nan"), high=float("nan"), n=1)
    assert is_chance(near, auroc, prevalence=0.5)  # |0.68 - 2/3| <= 0.02
    assert not is_chance(far, auroc, prevalence=0.5)
    weak = Interval(mean=0.51, std=0.0, low=float("nan"), high=float("nan"), n=1)
    assert is_chance(far, weak, prevalence=0.5)


def test_a_detector_that_flags_nothing_is_chance_whatever_its_ranking() -> None:
    nothing = Interval(mean=0.0, std=0.0, low=0.0, high=0.0, n=3)
    ranks = Interval(mean=0.62, std=0.0, low=0.62, high=0.62, n=3)
    assert is_chance(nothing, ranks, prevalence=0.1)


def test_undefined_auroc_marks_nothing_by_itself() -> None:
    f1 = Interval(mean=0.9, std=0.01, low=0.89, high=0.91, n=3)
    assert not is_chance(f1, UNDEFINED, prevalence=0.5)
    assert not is_chance(UNDEFINED, UNDEFINED, prevalence=0.5)


# -- the metrics of paired_bootstrap ----------------------------------------------------------


def test_f1_of_matches_sklearn_with_and_without_weights() -> None:
    rng = np.random.default_rng(3)
    labels = rng.random(300) < 0.3
    predicted = labels ^ (rng.random(300) < 0.2)
    assert f1_of(predicted, labels) == pytest.approx(f1_score(labels, predicted))
    weights = rng.integers(0, 4, size=(3, 300))
    expected = [f1_score(labels, predicted, sample_weight=w) for w in weights]
    np.testing.assert_allclose(f1_of(predicted, labels, weights), expected)
    assert f1_of(np.zeros(4), np.zeros(4)) == 0.0  # zero_division=0


def test_auroc_of_matches_sklearn_with_ties_and_weights() -> None:
    rng = np.random.default_rng(4)
    labels = rng.random(300) < 0.4
    scores = np.round(rng.random(300) + 0.3 * labels, 1)  # many ties
    assert auroc_of(scores, labels) == pytest.approx(roc_auc_score(labels, scores))
    weights = rng.integers(0, 4, size=(3, 300))
    expected = [roc_auc_score(labels, scores, sample_weight=w) for w in weights]
    np.testing.assert_allclose(auroc_of(scores, labels, weights), expected)
    assert math.isnan(auroc_of(np.array([0.1, 0.2]), np.array([1, 1])))


# -- paired_bootstrap -----------------------------------------------------------------------


def _seeds(n_seeds: int, windows: int, error_a: float, error_b: float, seed: int = 0):
    """Per-seed labels and predictions of two models with the given error rates."""
    rng = np.random.default_rng(seed)
    labels = [(rng.random(windows) < 0.3).astype(int) for _ in range(n_seeds)]
    a = [(y ^ (rng.random(windows) < error_a)).astype(int) for y in labels]
    b = [(y ^ (rng.random(windows) < error_b)).astype(int) for y in labels]
    return a, b, labels


def test_identical_models_differ_by_exactly_zero() -> None:
    a, _, labels = _seeds(3, 500, 0.1, 0.1)
    result = paired_bootstrap(f1_of, a, [x.copy() for x in a], labels, resamples=300)
    assert (result.mean_diff, result.low, result.high, result.p_value) == (0.0, 0.0, 0.0, 1.0)
    assert result.n_seeds == 3


def test_a_clearly_better_model_wins() -> None:
    a, b, labels = _seeds(3, 2000, 0.05, 0.25)
    result = paired_bootstrap(f1_of, a, b, labels, resamples=1000)
    expected = np.mean(
        [f1_score(y, p) - f1_score(y, q) for p, q, y in zip(a, b, labels, strict=True)]
    )
    assert result.mean_diff == pytest.approx(expected)
    assert 0 < result.low <= result.mean_diff <= result.high
    assert result.p_value < 0.01
    reverse = paired_bootstrap(f1_of, b, a, labels, resamples=1000)
    assert reverse.high < 0
    assert reverse.p_value < 0.01


def test_equally_good_models_are_not_significant() -> None:
    a, b, labels = _seeds(3, 1000, 0.15, 0.15, seed=7)
    result = paired_bootstrap(f1_of, a, b, labels, resamples=1000)
    assert result.low < 0 < result.high
    assert result.p_value > 0.05


def test_paired_bootstrap_is_deterministic_and_seeded() -> None:
    a, b, labels = _seeds(3, 500, 0.1, 0.12)
    first = paired_bootstrap(f1_of, a, b, labels, resamples=500)
    assert paired_bootstrap(f1_of, a, b, labels, resamples=500) == first
    other = paired_bootstrap(f1_of, a, b, labels, resamples=500, seed=1)
    assert other.mean_diff == first.mean_diff
    assert other.low != first.low


def test_paired_bootstrap_of_auroc() -> None:
    rng = np.random.default_rng(5)
    labels = [(rng.random(400) < 0.3).astype(int) for _ in range(2)]
    a = [rng.random(400) + y for y in labels]  # separates well
    b = [rng.random(400) + 0.1 * y for y in labels]  # barely
    result = paired_bootstrap(auroc_of, a, b, labels, resamples=200)
    expected = np.mean(
        [roc_auc_score(y, p) - roc_auc_score(y, q) for p, q, y in zip(a, b, labels, strict=True)]
    )
    assert result.mean_diff == pytest.approx(expected)
    assert result.low > 0
    assert result.p_value < 0.01


def test_one_seed_resamples_windows_only() -> None:
    a, b, labels = _seeds(1, 2000, 0.05, 0.25)
    result = paired_bootstrap(f1_of, a, b, labels, resamples=500)
    assert result.n_seeds == 1
    assert result.low > 0


def test_f1_bootstrap_is_fast() -> None:
    a, b, labels = _seeds(3, 5000, 0.1, 0.12)
    began = time.perf_counter()
    paired_bootstrap(f1_of, a, b, labels)
    assert time.perf_counter() - began < 1.0


def test_mismatched_lengths_name_the_arrays() -> None:
    a, b, labels = _seeds(2, 100, 0.1, 0.1)
    with pytest.raises(ValueError, match=r"labels\[1\]"):
        paired_bootstrap(f1_of, a, b, [labels[0], labels[1][:-1]])
    with pytest.raises(ValueError, match="seeds"):
        paired_bootstrap(f1_of, a, b[:1], labels)
    with pytest.raises(ValueError, match="at least one seed"):
        paired_bootstrap(f1_of, [], [], [])
    with pytest.raises(ValueError, match=r"labels\[0\] must be 0"):
        paired_bootstrap(f1_of, a, b, [labels[0] * 2, labels[1]])
    with pytest.raises(ValueError, match="NaN"):
        paired_bootstrap(auroc_of, [np.full(100, np.nan), a[1]], b, labels)
