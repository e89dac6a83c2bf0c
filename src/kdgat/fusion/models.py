"""The three fusion variants of one model pair, saved together and scoring together.

``dqn``: the agent's per-window weight vector over the experts, anchored to the
average's (``kdgat.fusion.dqn.Anchor``); ``avg``: one tuned weight vector; ``stack``:
logistic regression over the state. On disk (one folder per pair): ``dqn.pt``
(Q-network, tensors only), ``stacker.json`` (coefficients), ``fusion.json`` (the
experts, the average's weights, the agent's margin, each variant's validation
threshold, how they were chosen).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from kdgat.errors import KdgatError
from kdgat.fusion.dqn import Anchor, Experience, choose_weights, fuse, weight_grid
from kdgat.fusion.state import EXPERT_SCORES
from kdgat.fusion.static import Stacker
from kdgat.io import read_json, write_json
from kdgat.layout import FusionFiles
from kdgat.models.dqn import QNetwork
from kdgat.models.weights import load_weights, rebuilding, save_weights

VARIANTS = ("dqn", "avg", "stack")
WEIGHTED = ("dqn", "avg")  # the variants that weigh the experts (the stacker has no weights)


class FusionModels:
    """The three fusion variants of one pair, scoring a split's state.

    ``experts``: the names of the fused scores, in the order of ``Experience.experts``;
    ``levels``: the DQN's weight grid (``weight_grid``); ``average``: the avg's weights;
    ``margin``: the gain the DQN must expect before it leaves them (``Anchor``).
    """

    def __init__(
        self,
        q: QNetwork,
        average: np.ndarray,
        stacker: Stacker,
        experts: tuple[str, ...],
        levels: int,
        margin: float,
    ) -> None:
        self.q, self.average, self.stacker = q.eval(), np.asarray(average, np.float64), stacker
        self.experts, self.levels, self.margin = experts, levels, margin
        self.grid = weight_grid(levels, len(experts))
        self.anchor = Anchor(self.average, margin)

    def save(self, files: FusionFiles, info: dict[str, Any]) -> None:
        """Write the three variants and ``info`` (which must hold their thresholds)."""
        files.dir.mkdir(parents=True, exist_ok=True)
        save_weights(files.dqn, {"arguments": self.q.arguments, "state_dict": self.q.state_dict()})
        write_json(files.stacker, self.stacker.to_json())
        write_json(files.info, {**self.description(), **info})

    def description(self) -> dict[str, Any]:
        """What ``load`` needs beside the weights: experts, grid, the average's weights, margin."""
        return {
            "experts": list(self.experts),
            "levels": self.levels,
            "average_weights": dict(zip(self.experts, self.average.tolist(), strict=True)),
            "deviation_margin": self.margin,
        }

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
        experts, levels, average, margin = _description(info, files, rebuild)
        models = cls(q, average, _read_stacker(files), experts, levels, margin)
        if len(models.grid) != saved["arguments"]["num_actions"]:
            raise KdgatError(f"{files.dqn}: not the grid of {files.info}; run `{rebuild}`")
        return models, info

    def score(self, variant: str, data: Experience) -> np.ndarray:
        """Fused attack scores of every window of ``data``."""
        if variant == "stack":
            return self.stacker.attack_probability(data.states)
        return fuse(data.experts, self.weights(variant, data))

    def weights(self, variant: str, data: Experience) -> np.ndarray:
        """Per window: the weight the variant gives each expert, ``[N, E]``.

        The DQN chooses them per window, so their mean per scenario says which expert it
        trusts there; the average's are fixed. The stacker has none (a logistic model).
        """
        if variant == "dqn":
            return choose_weights(self.q, data.states, self.grid, self.anchor)
        if variant == "avg":
            return np.tile(self.average, (len(data.y), 1))
        raise ValueError(f"fusion variant {variant!r} weighs no experts")

    def all_weights(self, data: Experience) -> dict[str, np.ndarray]:
        """``weights`` of every variant that has them, by variant name."""
        return {variant: self.weights(variant, data) for variant in WEIGHTED}

    def scores(
        self, data: Experience, weights: dict[str, np.ndarray] | None = None
    ) -> dict[str, np.ndarray]:
        """Fused scores of every variant, by variant name.

        ``weights``: ``all_weights(data)`` when the caller has them already (the DQN's
        cost a forward pass).
        """
        weights = self.all_weights(data) if weights is None else weights
        fused = {v: fuse(data.experts, weights[v]) for v in WEIGHTED}
        return {**fused, "stack": self.stacker.attack_probability(data.states)}


def _description(
    info: Any, files: FusionFiles, rebuild: str
) -> tuple[tuple[str, ...], int, np.ndarray, float]:
    """``fusion.json``'s experts, grid levels, average weights and margin, checked."""
    try:
        experts = tuple(info["experts"])
        average = np.array([float(info["average_weights"][name]) for name in experts])
        levels = int(info["levels"])
        margin = float(info["deviation_margin"])
        if not experts or any(name not in EXPERT_SCORES for name in experts):
            raise ValueError(f"unknown experts {experts}")
    except (KeyError, TypeError, ValueError) as err:
        raise KdgatError(
            f"{files.info}: no valid experts, levels, average_weights and deviation_margin "
            f"({err}); run `{rebuild}`"
        ) from None
    return experts, levels, average, margin


def _read_stacker(files: FusionFiles) -> Stacker:
    """The stacker's coefficients; a missing or foreign file names the stage to re-run."""
    try:
        return Stacker.from_json(json.loads(files.stacker.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise KdgatError(
            f"{files.stacker}: unreadable ({type(err).__name__}: {err}); "
            "re-run `dvc repro train_dqn` to rebuild it"
        ) from None
