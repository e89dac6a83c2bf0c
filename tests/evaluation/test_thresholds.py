"""Threshold choice (Youden, max-F1, degenerate sets) and the binary metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kdgat.evaluation.thresholds import binary_metrics, choose_threshold

METHODS = ("youden", "max_f1")


def counts(scores: np.ndarray, labels: np.ndarray, t: float) -> tuple[int, int, int, int]:
    """(tp, fp, tn, fn) of ``score >= t``."""
    flagged = scores >= t
    attack = labels == 1
    return (
        int((flagged & attack).sum()),
        int((flagged & ~attack).sum()),
        int((~flagged & ~attack).sum()),
        int((~flagged & attack).sum()),
    )


def youden(scores: np.ndarray, labels: np.ndarray, t: float) -> float:
    tp, fp, tn, fn = counts(scores, labels, t)
    return tp / (tp + fn) - fp / (fp + tn)


def f1(scores: np.ndarray, labels: np.ndarray, t: float) -> float:
    tp, fp, _, fn = counts(scores, labels, t)
    return 2 * tp / (2 * tp + fp + fn)


def candidates(scores: np.ndarray) -> list[float]:
    """Every distinct decision: each unique score, plus "flag nothing"."""
    return [*np.unique(scores).tolist(), float(np.nextafter(scores.max(), np.inf))]


# Small integers as scores force many ties, within and across classes.
labelled_scores = st.lists(
    st.tuples(st.integers(0, 12).map(lambda v: v / 4), st.booleans()), min_size=2, max_size=40
).filter(lambda rows: len({label for _, label in rows}) == 2)


@pytest.mark.parametrize("method", METHODS)
def test_separable_scores(method: str) -> None:
    scores = np.array([0.1, 0.7, 0.3, 0.9, 0.2, 0.8])
    labels = np.array([0, 1, 0, 1, 0, 1])
    t = choose_threshold(scores, labels, method)  # type: ignore[arg-type]
    assert t == pytest.approx(0.5)  # the middle of the gap between the classes
    result = binary_metrics(scores, labels, t)
    assert result["f1"] == 1.0
    assert result["fpr"] == 0.0
    assert result["mcc"] == 1.0


@settings(max_examples=100, deadline=None)
@given(labelled_scores)
def test_youden_is_the_brute_force_maximum(rows: list[tuple[float, bool]]) -> None:
    scores = np.array([s for s, _ in rows])
    labels = np.array([int(a) for _, a in rows])
    t = choose_threshold(scores, labels, "youden")
    assert math.isfinite(t)
    best = max(youden(scores, labels, c) for c in candidates(scores))
    assert youden(scores, labels, t) == pytest.approx(best, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(labelled_scores)
def test_max_f1_is_the_brute_force_maximum(rows: list[tuple[float, bool]]) -> None:
    scores = np.array([s for s, _ in rows])
    labels = np.array([int(a) for _, a in rows])
    t = choose_threshold(scores, labels, "max_f1")
    best = max(f1(scores, labels, c) for c in candidates(scores))
    assert f1(scores, labels, t) == pytest.approx(best, abs=1e-12)


def test_ties_go_to_the_highest_threshold_then_halfway_down() -> None:
    # J = 0.5 at both 0.9 (TPR 1/2, FPR 0) and 0.3 (TPR 1, FPR 1/2): 0.9, then
    # halfway to the next lower score, 0.5.
    scores, labels = np.array([0.1, 0.5, 0.3, 0.9]), np.array([0, 0, 1, 1])
    assert choose_threshold(scores, labels, "youden") == pytest.approx(0.7)
    # F1 = 2/3 at both 0.9 (P 1, R 1/2) and 0.2 (P 1/2, R 1).
    scores, labels = np.array([0.9, 0.2, 0.5, 0.6]), np.array([1, 1, 0, 0])
    assert choose_threshold(scores, labels, "max_f1") == pytest.approx(0.75)


@pytest.mark.parametrize("method", METHODS)
def test_separable_scores_get_the_middle_of_the_gap(method: str) -> None:
    scores, labels = np.array([0.1, 0.3, 0.7, 0.9]), np.array([0, 0, 1, 1])
    assert choose_threshold(scores, labels, method) == pytest.approx(0.5)  # type: ignore[arg-type]


def test_adjacent_floats_keep_the_threshold_on_the_score() -> None:
    low = 0.5
    high = float(np.nextafter(low, 1.0))
    scores, labels = np.array([low, high]), np.array([0, 1])
    assert choose_threshold(scores, labels, "max_f1") == high


def test_reversed_scores_flag_nothing_with_a_finite_threshold() -> None:
    scores = np.array([0.9, 0.8, 0.1, 0.2])  # benign score higher than every attack
    labels = np.array([0, 0, 1, 1])
    t = choose_threshold(scores, labels, "youden")
    assert math.isfinite(t)
    assert t > 0.9
    assert counts(scores, labels, t)[:2] == (0, 0)


@pytest.mark.parametrize("method", METHODS)
def test_all_benign_keeps_fpr_at_zero(method: str) -> None:
    scores = np.array([0.2, 0.4, 0.3])
    t = choose_threshold(scores, np.zeros(3, dtype=np.uint8), method)  # type: ignore[arg-type]
    assert t > 0.4
    assert t == np.nextafter(0.4, 1.0)  # the smallest such threshold


@pytest.mark.parametrize("method", METHODS)
def test_all_attack_keeps_recall_at_one(method: str) -> None:
    scores = np.array([0.2, 0.4, 0.3])
    assert choose_threshold(scores, np.ones(3), method) == 0.2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scores", "labels", "pattern"),
    [
        (np.array([]), np.array([]), "empty"),
        (np.array([0.1, 0.2]), np.array([0]), "equal length"),
        (np.array([0.1, 0.2]), np.array([0, 2]), "0 \\(benign\\) or 1"),
        (np.array([0.1, np.nan]), np.array([0, 1]), "NaN or infinite"),
    ],
)
def test_invalid_inputs(scores: np.ndarray, labels: np.ndarray, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        choose_threshold(scores, labels, "youden")
    with pytest.raises(ValueError, match=pattern):
        binary_metrics(scores, labels, 0.5)


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown threshold method"):
        choose_threshold(np.array([0.1, 0.9]), np.array([0, 1]), "auc")  # type: ignore[arg-type]


def test_metrics_match_hand_counts() -> None:
    #           tp   tp   fn   fp   tn   tn   tn   tp   fp   tn
    scores = np.array([0.9, 0.8, 0.2, 0.7, 0.1, 0.3, 0.4, 0.6, 0.55, 0.0])
    labels = np.array([1, 1, 1, 0, 0, 0, 0, 1, 0, 0])
    tp, fp, tn, fn = 3, 2, 4, 1
    assert counts(scores, labels, 0.5) == (tp, fp, tn, fn)
    result = binary_metrics(scores, labels, 0.5)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    mcc = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    expected = {
        "accuracy": (tp + tn) / 10,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall),
        "mcc": mcc,
        "specificity": tn / (tn + fp),
        "fpr": fp / (tn + fp),
    }
    for key, value in expected.items():
        assert result[key] == pytest.approx(value), key
    # Of the 4 * 6 attack/benign pairs, 5 rank the benign higher (0.2 under 4, 0.6 under 1).
    assert result["auroc"] == pytest.approx(1 - 5 / 24)
    assert 0 < result["auprc"] <= 1
    assert set(result) == {*expected, "auroc", "auprc"}


def test_metrics_with_one_class() -> None:
    benign = binary_metrics(np.array([0.1, 0.6]), np.array([0, 0]), 0.5)
    assert math.isnan(benign["auroc"])
    assert math.isnan(benign["auprc"])
    assert benign["fpr"] == 0.5
    assert benign["specificity"] == 0.5
    assert benign["precision"] == 0.0
    assert benign["recall"] == 0.0
    assert benign["mcc"] == 0.0
    attack = binary_metrics(np.array([0.1, 0.6]), np.array([1, 1]), 0.5)
    assert math.isnan(attack["auroc"])
    assert math.isnan(attack["specificity"])
    assert math.isnan(attack["fpr"])
    assert attack["recall"] == 0.5
    assert attack["precision"] == 1.0
    assert attack["accuracy"] == 0.5
