"""ROC and precision-recall curves (DVC plot data) and confusion matrices (images)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a cluster node

import matplotlib.pyplot as plt
import numpy as np
from sklearn import metrics

CURVE_POINTS = 101  # enough to draw a curve, small enough to keep in git


def _thin(*columns: np.ndarray) -> list[np.ndarray]:
    keep = np.unique(np.linspace(0, len(columns[0]) - 1, CURVE_POINTS).round().astype(int))
    return [c[keep] for c in columns]


def _write_csv(path: Path, names: tuple[str, str], a: np.ndarray, b: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "\n".join(f"{x:.6g},{y:.6g}" for x, y in zip(a, b, strict=True))
    path.write_text(f"{names[0]},{names[1]}\n{rows}\n")


def write_curves(roc: Path, pr: Path, name: str, scores: np.ndarray, labels: np.ndarray) -> None:
    """``roc/<name>.csv`` (fpr, tpr) and ``pr/<name>.csv`` (recall, precision), if both classes."""
    if labels.all() or not labels.any():
        return
    fpr, tpr, _ = metrics.roc_curve(labels, scores)
    _write_csv(roc / f"{name}.csv", ("fpr", "tpr"), *_thin(fpr, tpr))
    precision, recall, _ = metrics.precision_recall_curve(labels, scores)
    _write_csv(pr / f"{name}.csv", ("recall", "precision"), *_thin(recall, precision))


def confusion_figure(path: Path, model: str, matrices: dict[str, dict[str, int]]) -> None:
    """One panel per scenario: the 2x2 confusion matrix with counts."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(3 * len(matrices), 3), squeeze=False)
    for ax, (scenario, m) in zip(axes[0], matrices.items(), strict=True):
        grid = np.array([[m["tn"], m["fp"]], [m["fn"], m["tp"]]])
        ax.imshow(grid, cmap="Blues")
        for (i, j), count in np.ndenumerate(grid):
            ax.text(j, i, str(count), ha="center", va="center")
        ax.set(
            xticks=[0, 1],
            yticks=[0, 1],
            xticklabels=["benign", "attack"],
            yticklabels=["benign", "attack"],
            xlabel="predicted",
            ylabel="actual",
            title=scenario[:28],
        )
    fig.suptitle(model)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
