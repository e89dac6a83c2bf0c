"""Feature scaling fit on benign training graphs only, applied to every split.

``zscore``: (v - mean) / std. ``robust``: (v - median) / IQR, for features with
heavy tails (inter-arrival times under a flood). A constant feature keeps scale 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Scaler:
    """Per-feature center and scale of one feature matrix (node or edge), by name."""

    method: Literal["zscore", "robust"]
    center: np.ndarray
    scale: np.ndarray
    names: list[str]

    @staticmethod
    def fit(values: np.ndarray, names: list[str], method: Literal["zscore", "robust"]) -> Scaler:
        """Fit on ``values``; no rows give the identity, a constant feature keeps scale 1."""
        values = np.asarray(values, dtype=np.float64)
        if len(values) == 0:
            zeros = np.zeros(len(names))
            return Scaler(method, zeros, np.ones(len(names)), names)
        if method == "robust":
            low, center, high = np.percentile(values, [25, 50, 75], axis=0)
            spread = high - low
        else:
            center, spread = values.mean(axis=0), values.std(axis=0)
        return Scaler(method, center, np.where(spread > 1e-12, spread, 1.0), names)

    def apply(self, values: np.ndarray) -> np.ndarray:
        """Scaled ``values`` as float32, the dtype graph stores hold."""
        return ((values - self.center) / self.scale).astype(np.float32)

    def to_json(self) -> dict[str, object]:
        """Method and per-feature center and scale, for ``scaler.json``."""
        return {
            "method": self.method,
            "features": {
                n: {"center": float(c), "scale": float(s)}
                for n, c, s in zip(self.names, self.center, self.scale, strict=True)
            },
        }
