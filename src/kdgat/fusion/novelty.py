"""The VGAE's own alarm: a window far beyond every benign one, on a vehicle the VGAE knows.

The fusions weigh each expert by how it did on validation, whose attacks the
supervised experts already catch. An attack none of them has seen then gets
almost no say: on set_02's own vehicle its systematic id sweep (never among the
training attacks) is caught by the VGAE alone (F1 1.000), while every fusion
scored 0.08. So the VGAE keeps a one-class alarm beside the fusion, and a window
it fires on is flagged whatever the fusion says.

It fires on a window whose ``s_vgae_rel`` is as far above the largest benign
validation window as that one is above the benign median, and only in a capture
the VGAE knows: one whose reference (its running low quantile of the raw score,
``kdgat.fusion.capture_reference``) is at most twice the largest of the training
captures'. On a vehicle it never saw every window is novel to the VGAE, and its
alarm would be a false one. The benign validation windows that set it must be
familiar in the same sense; where none are (a validation vehicle of its own), the
alarm stays off. Causal and label-free at test time, like the state it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

FAMILIAR_SLACK = float(np.log(2.0))  # references are logs: "at most twice the training's"


@dataclass(frozen=True)
class NoveltyAlarm:
    """Where the VGAE alarm fires; ``threshold`` None: it never does."""

    threshold: float | None  # on s_vgae_rel
    familiar_below: float  # the largest log reference of a capture it knows

    def fires(self, relative: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """Per window: True where the alarm fires (``s_vgae_rel``, ``vgae_reference``)."""
        if self.threshold is None:
            return np.zeros(len(relative), bool)
        return (relative >= self.threshold) & (reference <= self.familiar_below)

    def to_json(self) -> dict[str, Any]:
        """The two numbers, for ``fusion.json``."""
        return {"threshold": self.threshold, "familiar_below": self.familiar_below}

    @classmethod
    def from_json(cls, data: Any) -> NoveltyAlarm:
        """Rebuilt from ``to_json``'s output (``KeyError``/``TypeError`` on anything else)."""
        threshold = data["threshold"]
        return cls(None if threshold is None else float(threshold), float(data["familiar_below"]))


OFF = NoveltyAlarm(None, 0.0)


def fit_alarm(
    train_reference: np.ndarray,
    val_relative: np.ndarray,
    val_reference: np.ndarray,
    val_y: np.ndarray,
) -> NoveltyAlarm:
    """The alarm set on the familiar benign validation windows (module docstring)."""
    familiar_below = float(train_reference.max()) + FAMILIAR_SLACK
    benign = val_relative[(val_y == 0) & (val_reference <= familiar_below)]
    if not len(benign):
        return NoveltyAlarm(None, familiar_below)
    top = float(benign.max())
    return NoveltyAlarm(top + (top - float(np.median(benign))), familiar_below)


def raise_alarms(scores: dict[str, np.ndarray], fired: np.ndarray) -> dict[str, np.ndarray]:
    """Every fused score set to 1 (above any threshold) where the alarm fired."""
    return {name: np.where(fired, 1.0, s) for name, s in scores.items()}
