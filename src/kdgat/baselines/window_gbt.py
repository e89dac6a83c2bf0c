"""The non-graph baseline: gradient-boosted trees on per-window statistics, no graph at all.

What a graph model adds must show against this (``kdgat.baselines.window_stats``
lists the features). Saved as a scikit-learn pickle beside its card.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier


def fit_window_gbt(
    features: np.ndarray,
    labels: np.ndarray,
    max_iter: int,
    learning_rate: float,
    max_leaf_nodes: int,
    seed: int,
) -> HistGradientBoostingClassifier:
    """Boosted trees on the training windows' statistics; both classes weigh the same."""
    model = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=learning_rate,
        max_leaf_nodes=max_leaf_nodes,
        class_weight="balanced",
        random_state=seed,
    )
    return model.fit(features, labels)


def attack_probability(model: HistGradientBoostingClassifier, features: np.ndarray) -> np.ndarray:
    """Per window: the model's probability that it holds an attack."""
    return np.asarray(model.predict_proba(features)[:, 1])


def tree_nodes(model: HistGradientBoostingClassifier) -> int:
    """Nodes over all trees: the ensemble's size, comparable to a network's parameters."""
    return sum(len(tree.nodes) for trees in model._predictors for tree in trees)


def save(model: HistGradientBoostingClassifier, path: Path) -> None:
    """The fitted model as a pickle (written by the caller into a temporary folder)."""
    path.write_bytes(pickle.dumps(model))
