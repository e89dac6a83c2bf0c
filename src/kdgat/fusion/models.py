"""The three fusion variants of one model pair, saved together and scoring together.

``dqn``: the agent's per-window fusion weight; ``avg``: one tuned weight;
``stack``: logistic regression over the state. On disk (one folder per pair):
``dqn.pt`` (Q-network, tensors only), ``stacker.json`` (coefficients), ``fusion.json``
(the average's weight, each variant's validation threshold, how it was chosen).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from kdgat.errors import KdgatError
from kdgat.fusion.dqn import Experience, alpha_grid, choose_alpha, fuse
from kdgat.fusion.static import Stacker
from kdgat.io import read_json, write_json
from kdgat.layout import FusionFiles
from kdgat.models.dqn import QNetwork
from kdgat.models.weights import load_weights, rebuilding, save_weights

VARIANTS = ("dqn", "avg", "stack")
WEIGHTED = ("dqn", "avg")  # the variants that weigh the GAT against the VGAE


class FusionModels:
    """The three fusion variants of one pair, scoring a split's state."""

    def __init__(self, q: QNetwork, alpha: float, stacker: Stacker) -> None:
        self.q, self.alpha, self.stacker = q.eval(), alpha, stacker
        self.alphas = alpha_grid(q.arguments["num_actions"])

    def save(self, files: FusionFiles, info: dict[str, Any]) -> None:
        """Write the three variants and ``info`` (which must hold their thresholds)."""
        files.dir.mkdir(parents=True, exist_ok=True)
        save_weights(files.dqn, {"arguments": self.q.arguments, "state_dict": self.q.state_dict()})
        write_json(files.stacker, self.stacker.to_json())
        write_json(files.info, {"average_alpha": self.alpha, **info})

    @classmethod
    def load(cls, files: FusionFiles) -> tuple[FusionModels, dict[str, Any]]:
        """The three variants saved in ``files`` and their ``info``."""
        if not files.info.is_file():
            raise KdgatError(f"{files.info}: not found; run `dvc repro train_dqn` for this dataset")
        rebuild = "dvc repro train_dqn"
        saved = load_weights(files.dqn, rebuild)
        with rebuilding(files.dqn, rebuild):
            q = QNetwork(**saved["arguments"])
            q.load_state_dict(saved["state_dict"])
        info = read_json(files.info, f"run `{rebuild}`")
        if not isinstance(info, dict) or not isinstance(info.get("average_alpha"), float):
            raise KdgatError(f"{files.info}: holds no average_alpha; run `{rebuild}`")
        return cls(q, info["average_alpha"], _read_stacker(files)), info

    def score(self, variant: str, data: Experience) -> np.ndarray:
        """Fused attack scores of every window of ``data``."""
        if variant == "stack":
            return self.stacker.attack_probability(data.states)
        return fuse(data.p_gat, data.s_vgae, self.gat_weight(variant, data))

    def gat_weight(self, variant: str, data: Experience) -> np.ndarray:
        """Per window: the weight alpha the variant gives the GAT (the VGAE gets 1 - alpha).

        The DQN chooses it per window, so its mean per scenario says how far it trusts
        the GAT there; the average's is fixed. The stacker has none (a logistic model).
        """
        if variant == "dqn":
            return choose_alpha(self.q, data.states, self.alphas)
        if variant == "avg":
            return np.full(len(data.y), self.alpha)
        raise ValueError(f"fusion variant {variant!r} weighs no GAT score")

    def gat_weights(self, data: Experience) -> dict[str, np.ndarray]:
        """``gat_weight`` of every variant that has one, by variant name."""
        return {variant: self.gat_weight(variant, data) for variant in WEIGHTED}

    def scores(
        self, data: Experience, weights: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Fused scores of every variant, by variant name.

        ``weights``: ``gat_weights(data)`` when the caller has them already (the DQN's
        cost a forward pass).
        """
        weights = self.gat_weights(data) if weights is None else weights
        fused = {v: fuse(data.p_gat, data.s_vgae, weights[v]) for v in WEIGHTED}
        return {**fused, "stack": self.stacker.attack_probability(data.states)}


def _read_stacker(files: FusionFiles) -> Stacker:
    """The stacker's coefficients; a missing or foreign file names the stage to re-run."""
    try:
        return Stacker.from_json(json.loads(files.stacker.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise KdgatError(
            f"{files.stacker}: unreadable ({type(err).__name__}: {err}); "
            "re-run `dvc repro train_dqn` to rebuild it"
        ) from None
