"""The three fusion variants of one model pair, saved together and scoring together.

``dqn``: the agent's per-window fusion weight; ``avg``: one tuned weight;
``stack``: logistic regression over the state. On disk (one folder per pair):
``dqn.pt`` (Q-network), ``stacker.pkl`` (scikit-learn pipeline), ``fusion.json``
(the average's weight, each variant's validation threshold, how it was chosen).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kdgat.fusion.dqn import Experience, QNetwork, alpha_grid, choose_alpha, fuse
from kdgat.io import atomic_path, write_json

VARIANTS = ("dqn", "avg", "stack")


class FusionModels:
    """The three fusion variants of one pair, scoring a split's state."""

    def __init__(self, q: QNetwork, alpha: float, stacker: Any) -> None:
        self.q, self.alpha, self.stacker = q.eval(), alpha, stacker
        self.alphas = alpha_grid(q.arguments["num_actions"])

    def save(self, folder: Path, info: dict[str, Any]) -> None:
        """Write the three variants and ``info`` (which must hold their thresholds)."""
        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / "dqn.pt") as tmp:
            torch.save({"arguments": self.q.arguments, "state_dict": self.q.state_dict()}, tmp)
        with atomic_path(folder / "stacker.pkl") as tmp:
            tmp.write_bytes(pickle.dumps(self.stacker))
        write_json(folder / "fusion.json", {"average_alpha": self.alpha, **info})

    @classmethod
    def load(cls, folder: Path) -> tuple[FusionModels, dict[str, Any]]:
        saved = torch.load(folder / "dqn.pt", map_location="cpu", weights_only=True)
        q = QNetwork(**saved["arguments"])
        q.load_state_dict(saved["state_dict"])
        info = json.loads((folder / "fusion.json").read_text())
        stacker = pickle.loads((folder / "stacker.pkl").read_bytes())
        return cls(q, info["average_alpha"], stacker), info

    def score(self, variant: str, data: Experience) -> np.ndarray:
        """Fused attack scores of every window of ``data``."""
        if variant == "dqn":
            return fuse(data.p_gat, data.s_vgae, choose_alpha(self.q, data.states, self.alphas))
        if variant == "avg":
            return fuse(data.p_gat, data.s_vgae, self.alpha)
        return np.asarray(self.stacker.predict_proba(data.states)[:, 1])

    def scores(self, data: Experience) -> dict[str, np.ndarray]:
        return {variant: self.score(variant, data) for variant in VARIANTS}
