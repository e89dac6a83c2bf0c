"""Paired questions over seeds: which pairs are compared, and what the bootstrap says."""

from __future__ import annotations

import numpy as np

from kdgat.evaluation.comparisons import comparison_rows

SCENARIO = "known_vehicle_known_attack"


def _seed(rng: np.random.Generator, accuracy: dict[str, float], windows: int = 400):
    labels = rng.random(windows) < 0.3
    decisions = {
        model: {SCENARIO: np.where(rng.random(windows) < acc, labels, ~labels)}
        for model, acc in accuracy.items()
    }
    return decisions, {SCENARIO: labels}


def test_teacher_far_better_than_student_is_a_gap_the_interval_supports() -> None:
    rng = np.random.default_rng(0)
    seeds = [_seed(rng, {"gat": 0.98, "gat_small": 0.7}) for _ in range(3)]
    (row,) = comparison_rows("d", seeds, {})
    assert (row["question"], row["model"], row["other"], row["seeds"]) == (
        "kd_gap",
        "gat",
        "gat_small",
        3,
    )
    assert row["difference"] > 0.2
    assert row["ci_low"] > 0
    assert row["p_value"] < 0.01


def test_fusion_is_compared_with_the_better_input_by_mean_f1() -> None:
    rng = np.random.default_rng(1)
    accuracy = {"fusion_dqn": 0.9, "gat": 0.9, "vgae": 0.8}
    seeds = [_seed(rng, accuracy) for _ in range(2)]
    mean_f1 = {("gat", SCENARIO): 0.7, ("vgae", SCENARIO): 0.9}  # say the VGAE is better
    (row,) = [r for r in comparison_rows("d", seeds, mean_f1) if r["question"] == "fusion_gain"]
    assert row["other"] == "vgae"


def test_identical_decisions_differ_by_nothing() -> None:
    rng = np.random.default_rng(2)
    seeds = []
    for _ in range(2):
        decisions, labels = _seed(rng, {"gat": 0.9})
        decisions["window_gbt"] = decisions["gat"]
        seeds.append((decisions, labels))
    (row,) = comparison_rows("d", seeds, {})
    assert (row["difference"], row["ci_low"], row["ci_high"], row["p_value"]) == (0, 0, 0, 1)


def test_no_attack_window_and_missing_models_give_no_rows() -> None:
    rng = np.random.default_rng(3)
    decisions, labels = _seed(rng, {"gat": 0.9, "gat_small": 0.8})
    assert comparison_rows("d", [(decisions, {SCENARIO: np.zeros(400, bool)})], {}) == []
    assert comparison_rows("d", [({"gat": decisions["gat"]}, labels)], {}) == []
    assert comparison_rows("d", [], {}) == []
