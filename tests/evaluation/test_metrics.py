"""Scenario metrics: confusion counts, detection rate at 1% FPR, strict JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from kdgat.evaluation.metrics import detection_rate_at_fpr, json_ready, scenario_metrics


def test_confusion_counts_and_rates_at_the_threshold() -> None:
    scores = np.array([0.1, 0.4, 0.6, 0.8, 0.3, 0.9])
    labels = np.array([0, 0, 0, 1, 1, 1])
    m = scenario_metrics(scores, labels, threshold=0.5)
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (2, 1, 2, 1)
    assert m["fpr"] == pytest.approx(1 / 3)
    assert m["specificity"] == pytest.approx(2 / 3)
    assert m["graphs"] == 6
    assert m["attack_fraction"] == 0.5
    assert m["threshold"] == 0.5


def test_detection_rate_at_one_percent_fpr() -> None:
    benign = np.linspace(0, 1, 200)  # 1% FPR allows 2 benign above the threshold
    attacks = np.array([0.999, 0.998, 0.5, 0.2])
    scores = np.concatenate([benign, attacks])
    labels = np.concatenate([np.zeros(200, int), np.ones(4, int)])
    # Above benign's 198th value (0.99497...) lie two attacks; the next costs 100 benign.
    assert detection_rate_at_fpr(scores, labels) == pytest.approx(0.5)


def test_one_class_scenario_gives_null_not_nan_in_json() -> None:
    m = scenario_metrics(np.array([0.2, 0.7]), np.array([0, 0]), threshold=0.5)
    assert math.isnan(m["auroc"])
    assert math.isnan(m["dr_at_1pct_fpr"])
    text = json.dumps(json_ready({"gat": {"s": m}}), allow_nan=False)  # raises on NaN
    assert json.loads(text)["gat"]["s"]["auroc"] is None
