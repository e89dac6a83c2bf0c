"""The three fusion variants of one model pair, saved together and scoring together.

``dqn``: the agent's per-window fusion weight; ``avg``: one tuned weight;
``stack``: logistic regression over the state. On disk (one folder per pair):
``dqn.pt`` (Q-network), ``stacker.pkl`` (scikit-learn pipeline), ``fusion.json``
(the average's weight, each variant's validation threshold, how it was chosen).
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import numpy as np
import torch

from kdgat.errors import KdgatError
from kdgat.fusion.dqn import Experience, alpha_grid, choose_alpha, fuse
from kdgat.io import atomic_path, write_json
from kdgat.layout import FusionFiles
from kdgat.models.dqn import QNetwork

VARIANTS = ("dqn", "avg", "stack")


class FusionModels:
    """The three fusion variants of one pair, scoring a split's state."""

    def __init__(self, q: QNetwork, alpha: float, stacker: Any) -> None:
        self.q, self.alpha, self.stacker = q.eval(), alpha, stacker
        self.alphas = alpha_grid(q.arguments["num_actions"])

    def save(self, files: FusionFiles, info: dict[str, Any]) -> None:
        """Write the three variants and ``info`` (which must hold their thresholds)."""
        files.dir.mkdir(parents=True, exist_ok=True)
        with atomic_path(files.dqn) as tmp:
            torch.save({"arguments": self.q.arguments, "state_dict": self.q.state_dict()}, tmp)
        with atomic_path(files.stacker) as tmp:
            tmp.write_bytes(pickle.dumps(self.stacker))
        write_json(files.info, {"average_alpha": self.alpha, **info})

    @classmethod
    def load(cls, files: FusionFiles) -> tuple[FusionModels, dict[str, Any]]:
        """The three variants saved in ``files`` and their ``info``."""
        if not files.info.is_file():
            raise KdgatError(f"{files.info}: not found; run `dvc repro train_dqn` for this dataset")
        saved = torch.load(files.dqn, map_location="cpu", weights_only=True)
        q = QNetwork(**saved["arguments"])
        q.load_state_dict(saved["state_dict"])
        info = json.loads(files.info.read_text())
        stacker = pickle.loads(files.stacker.read_bytes())
        return cls(q, info["average_alpha"], stacker), info

    def score(self, variant: str, data: Experience) -> np.ndarray:
        """Fused attack scores of every window of ``data``."""
        if variant == "dqn":
            return fuse(data.p_gat, data.s_vgae, choose_alpha(self.q, data.states, self.alphas))
        if variant == "avg":
            return fuse(data.p_gat, data.s_vgae, self.alpha)
        return np.asarray(self.stacker.predict_proba(data.states)[:, 1])

    def scores(self, data: Experience) -> dict[str, np.ndarray]:
        """Fused scores of every variant, by variant name."""
        return {variant: self.score(variant, data) for variant in VARIANTS}
