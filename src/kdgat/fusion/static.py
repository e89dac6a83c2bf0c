"""Fusion baselines on the same state and splits as the DQN.

* weighted average: one global weight vector, tuned on the selection set;
* stacker: logistic regression over the whole state (class-balanced).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from kdgat.evaluation.thresholds import ThresholdMethod, binary_metrics, choose_threshold
from kdgat.fusion.dqn import Experience, fuse


def tune_weights(data: Experience, grid: np.ndarray, method: ThresholdMethod) -> np.ndarray:
    """The weight vector whose fused score, at its own best threshold, has the highest F1.

    Ties go to the higher AUROC, then to the first row of ``grid``.
    """
    best: tuple[float, float] = (-1.0, -1.0)
    chosen = grid[0]
    for weights in grid:
        fused = fuse(data.experts, weights)
        m = binary_metrics(fused, data.y, choose_threshold(fused, data.y, method))
        key = (m["f1"], np.nan_to_num(m["auroc"]))
        if key > best:
            best, chosen = key, weights
    return chosen


@dataclass(frozen=True)
class Stacker:
    """Logistic regression on the standardised state, as plain numbers (saved as JSON)."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float

    def attack_probability(self, states: np.ndarray) -> np.ndarray:
        """Per window: the regression's probability of an attack."""
        z = (np.asarray(states, np.float64) - self.mean) / self.scale
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    @property
    def parameters(self) -> int:
        """Coefficients plus intercept."""
        return len(self.coef) + 1

    def to_json(self) -> dict[str, Any]:
        """The fields, for ``write_json``."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Stacker:
        """Rebuilt from ``to_json``'s output (a ``KeyError``/``TypeError`` on anything else)."""
        return cls(
            [float(v) for v in data["mean"]],
            [float(v) for v in data["scale"]],
            [float(v) for v in data["coef"]],
            float(data["intercept"]),
        )


def fit_stacker(data: Experience, seed: int) -> Stacker:
    """Fit the class-balanced logistic regression on the standardised state."""
    scaler = StandardScaler().fit(data.states)
    regression = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed)
    regression.fit(scaler.transform(data.states), data.y)
    return Stacker(
        scaler.mean_.tolist(),
        scaler.scale_.tolist(),
        regression.coef_[0].tolist(),
        float(regression.intercept_[0]),
    )


def selection_set(val: Experience, train: Experience) -> tuple[Experience, str]:
    """Where fusion choices are made: validation when it holds both classes.

    A validation split can hold no attack at all (set_01's does when it is each
    capture's tail, ``graphs.val_blocks: 1``); choosing a fusion weight there
    would only minimise false alarms. Training and validation together then
    serve, and the name says so (it is reported with the model).
    """
    if 0 < val.y.sum() < len(val):
        return val, "val"
    return Experience.concatenate([train, val]), "train+val"
