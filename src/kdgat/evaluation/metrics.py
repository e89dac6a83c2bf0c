"""Every detection metric of one model on one test scenario, at a validation threshold."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn import metrics

from kdgat.evaluation.thresholds import binary_metrics

LOW_FPR = 0.01


def detection_rate_at_fpr(scores: np.ndarray, labels: np.ndarray, fpr: float = LOW_FPR) -> float:
    """The best recall reachable while the false-positive rate stays at or below ``fpr``.

    NaN when the scenario lacks either class (no curve exists).
    """
    if labels.all() or not labels.any():
        return float("nan")
    curve_fpr, tpr, _ = metrics.roc_curve(labels, scores)
    return float(tpr[curve_fpr <= fpr].max())


def scenario_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, Any]:
    """binary_metrics plus the confusion matrix, detection rate at 1% FPR and the set's size."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = np.asarray(scores) >= threshold
    result: dict[str, Any] = binary_metrics(scores, labels, threshold)
    result.update(
        dr_at_1pct_fpr=detection_rate_at_fpr(np.asarray(scores), labels),
        threshold=float(threshold),
        tp=int((predicted & (labels == 1)).sum()),
        fp=int((predicted & (labels == 0)).sum()),
        tn=int((~predicted & (labels == 0)).sum()),
        fn=int((~predicted & (labels == 1)).sum()),
        graphs=len(labels),
        attack_fraction=float(labels.mean()),
    )
    return result


def json_ready(value: Any) -> Any:
    """NaN (an undefined metric) becomes null, so the file is strict JSON."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
