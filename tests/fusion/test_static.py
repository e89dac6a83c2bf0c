"""Fusion baselines and where fusion choices are made."""

from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from kdgat.fusion.dqn import Experience, weight_grid
from kdgat.fusion.static import Stacker, fit_stacker, selection_set, tune_weights


def experience(y: np.ndarray, *scores: np.ndarray) -> Experience:
    experts = np.column_stack(scores)
    return Experience(experts.astype(np.float32), experts, y)


def test_tuned_weights_follow_the_informative_model() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.4).astype(np.int64)
    informative = np.clip(y + rng.normal(0, 0.2, 400), 0, 1)
    noise, more_noise = rng.random(400), rng.random(400)
    two = weight_grid(11, 2)
    assert tune_weights(experience(y, informative, noise), two, "max_f1")[0] >= 0.9
    assert tune_weights(experience(y, noise, informative), two, "max_f1")[0] <= 0.1
    three = experience(y, noise, more_noise, informative)
    assert tune_weights(three, weight_grid(11, 3), "max_f1")[2] >= 0.9


def test_stacker_scores_rank_attacks_first() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.2).astype(np.int64)
    data = experience(y, np.clip(0.3 * y + rng.random(500) * 0.7, 0, 1), rng.random(500))
    scores = fit_stacker(data, seed=0).attack_probability(data.states)
    assert scores[y == 1].mean() > scores[y == 0].mean() + 0.2


def test_stacker_is_sklearns_regression_and_survives_json() -> None:
    rng = np.random.default_rng(2)
    y = (rng.random(300) < 0.3).astype(np.int64)
    data = experience(y, np.clip(0.5 * y + rng.random(300) * 0.5, 0, 1), rng.random(300))
    stacker = fit_stacker(data, seed=0)
    reference = make_pipeline(
        StandardScaler(),
        LogisticRegression(class_weight="balanced", max_iter=2000, random_state=0),
    ).fit(data.states, y)
    again = Stacker.from_json(json.loads(json.dumps(stacker.to_json())))
    expected = reference.predict_proba(data.states)[:, 1]
    np.testing.assert_allclose(again.attack_probability(data.states), expected, rtol=1e-5)
    assert again.parameters == 3


def test_selection_uses_validation_when_it_has_both_classes() -> None:
    train = experience(np.array([0, 1, 0]), np.zeros(3), np.zeros(3))
    val = experience(np.array([0, 1]), np.ones(2), np.ones(2))
    chosen, where = selection_set(val, train)
    assert where == "val"
    assert chosen is val


def test_concatenated_experience_keeps_every_expert_column() -> None:
    a = experience(np.array([0, 1]), np.zeros(2), np.ones(2), np.full(2, 0.5))
    both = Experience.concatenate([a, a.head(1)])
    assert both.experts.shape == (3, 3)
    assert both.y.tolist() == [0, 1, 0]


def test_selection_falls_back_to_train_and_val_when_validation_is_benign_only() -> None:
    train = experience(np.array([0, 1, 0]), np.zeros(3), np.zeros(3))
    val = experience(np.array([0, 0]), np.ones(2), np.ones(2))
    chosen, where = selection_set(val, train)
    assert where == "train+val"
    assert chosen.y.tolist() == [0, 1, 0, 0, 0]
    assert chosen.states.shape == (5, 2)
