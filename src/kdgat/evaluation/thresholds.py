"""Decision thresholds chosen on validation scores, and the binary metrics they give.

Scores are "higher = more likely attack" and a graph is flagged when
``score >= threshold``, the same convention as sklearn's ROC and PR curves, so
a threshold taken from those curves means exactly what the curve says it means.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from sklearn import metrics

ThresholdMethod = Literal["youden", "max_f1"]


def choose_threshold(scores: np.ndarray, labels: np.ndarray, method: ThresholdMethod) -> float:
    """The decision threshold that is best on a validation set.

    ``youden``: argmax of TPR - FPR (Youden's J) over the ROC curve's thresholds.
    ``max_f1``: argmax of F1 over the precision-recall curve's thresholds.
    Ties go to the highest threshold (fewest alarms). The threshold is then moved
    halfway down to the next lower validation score: every value in between makes
    the same validation decisions, and the middle leaves a margin on both sides
    for test scores (the best choice at the lowest attack score would miss any
    slightly weaker attack). Every returned value is finite:
    where the best choice is "flag nothing" (J = 0 is the best there is, e.g. scores
    that rank benign above attack), the result is the smallest float above the
    largest score rather than ROC's ``inf``.

    Degenerate validation sets have no curve to optimise; both methods then fall back to:

    * only benign graphs: the smallest threshold that keeps the validation
      false-positive rate at 0, i.e. the next float above the largest benign score;
    * only attack graphs: the largest threshold that keeps the validation recall at 1,
      i.e. the smallest attack score.

    Args:
        scores: Float [N] anomaly scores or attack probabilities.
        labels: [N] binary labels, 1 = attack.
        method: ``"youden"`` or ``"max_f1"``.

    Returns:
        The threshold; predict attack where ``score >= threshold``.

    Raises:
        ValueError: If the set is empty, shapes differ, labels are not 0/1, a score is
            not finite, or ``method`` is unknown.
    """
    scores, labels = _checked(scores, labels)
    if method not in ("youden", "max_f1"):
        raise ValueError(f"unknown threshold method {method!r}; use 'youden' or 'max_f1'")
    if not labels.any():
        return float(np.nextafter(scores.max(), np.inf))
    if labels.all():
        return float(scores.min())
    threshold = _youden(scores, labels) if method == "youden" else _max_f1(scores, labels)
    # ROC's first threshold is inf ("flag nothing"); keep that meaning but stay finite
    # so the value can be written to JSON and compared against without surprises.
    if not np.isfinite(threshold):
        return float(np.nextafter(scores.max(), np.inf))
    return _with_margin(threshold, scores)


def _with_margin(threshold: float, scores: np.ndarray) -> float:
    """Halfway between ``threshold`` (a score) and the next lower score, if there is one."""
    below = scores[scores < threshold]
    if not len(below):
        return float(threshold)
    middle = (threshold + below.max()) / 2
    # Adjacent floats have no middle; the threshold itself then keeps the decisions.
    return float(middle) if middle > below.max() else float(threshold)


def _youden(scores: np.ndarray, labels: np.ndarray) -> float:
    """The ROC threshold maximising TPR - FPR (both classes present)."""
    fpr, tpr, thresholds = metrics.roc_curve(labels, scores, drop_intermediate=False)
    # Thresholds decrease along the curve, so argmax's first maximum is the highest one.
    return float(thresholds[int(np.argmax(tpr - fpr))])


def _max_f1(scores: np.ndarray, labels: np.ndarray) -> float:
    """The precision-recall threshold maximising F1 (both classes present)."""
    precision, recall, thresholds = metrics.precision_recall_curve(labels, scores)
    # The curve's last point (precision 1, recall 0) has no threshold: drop it.
    precision, recall = precision[:-1], recall[:-1]
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
    # Thresholds increase here: take the last maximum, i.e. the highest threshold.
    return float(thresholds[len(f1) - 1 - int(np.argmax(f1[::-1]))])


def binary_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """Detection metrics of ``score >= threshold`` against ``labels``.

    Undefined values: ``auroc`` and ``auprc`` are NaN when only one class is present;
    ``specificity`` and ``fpr`` are NaN when there is no benign graph; precision,
    recall and F1 are 0.0 when their denominator is 0 (sklearn's ``zero_division=0``:
    a detector that flags nothing has no precision to speak of); MCC is 0.0 when any
    row or column of the confusion matrix is empty (sklearn's convention).

    Args:
        scores: Float [N] anomaly scores or attack probabilities.
        labels: [N] binary labels, 1 = attack.
        threshold: Decision threshold, e.g. from ``choose_threshold``.

    Returns:
        accuracy, precision, recall, f1, auroc, auprc, mcc, specificity, fpr, as floats.

    Raises:
        ValueError: As ``choose_threshold`` for the inputs.
    """
    scores, labels = _checked(scores, labels)
    predicted = (scores >= threshold).astype(np.int64)
    tn, fp = metrics.confusion_matrix(labels, predicted, labels=[0, 1])[0]  # the benign row
    negatives = tn + fp
    both_classes = bool(labels.any() and not labels.all())
    nan = float("nan")
    return {
        "accuracy": float(metrics.accuracy_score(labels, predicted)),
        "precision": float(metrics.precision_score(labels, predicted, zero_division=0)),
        "recall": float(metrics.recall_score(labels, predicted, zero_division=0)),
        "f1": float(metrics.f1_score(labels, predicted, zero_division=0)),
        "auroc": float(metrics.roc_auc_score(labels, scores)) if both_classes else nan,
        "auprc": float(metrics.average_precision_score(labels, scores)) if both_classes else nan,
        "mcc": float(metrics.matthews_corrcoef(labels, predicted)),
        "specificity": float(tn / negatives) if negatives else nan,
        "fpr": float(fp / negatives) if negatives else nan,
    }


def _checked(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``scores`` as float64 and ``labels`` as int64, after checking they are usable."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    if scores.ndim != 1 or scores.shape != labels.shape:
        raise ValueError(
            f"scores and labels must be 1-D of equal length, got {scores.shape} and {labels.shape}"
        )
    if len(scores) == 0:
        raise ValueError("cannot evaluate an empty set of scores (empty validation split?)")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"labels must be 0 (benign) or 1 (attack), got {np.unique(labels)}")
    if not np.isfinite(scores).all():
        raise ValueError(f"{int((~np.isfinite(scores)).sum())} scores are NaN or infinite")
    return scores, labels.astype(np.int64)
