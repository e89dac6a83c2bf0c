"""Stage ``train_dqn@<dataset>-<seed>``: the DQN fusion agent and the static fusions per pair.

Writes ``models/<dataset>/<seed>/fusion/<pair>/``: the DQN, the stacker and ``fusion.json``
(the average's alpha, every variant's validation threshold, where choices were made).
"""

from __future__ import annotations

from typing import Any

from kdgat.config import DQNParams, Params
from kdgat.evaluation.thresholds import choose_threshold
from kdgat.fusion.dqn import DQNSettings, alpha_grid, train_dqn
from kdgat.fusion.models import FusionModels
from kdgat.fusion.state import read_state
from kdgat.fusion.static import fit_stacker, selection_set, tune_alpha
from kdgat.io import replace_dir
from kdgat.layout import TRAIN, VAL, FusionFiles, Layout
from kdgat.pipeline import entry
from kdgat.pipeline.models import PAIRS


def dqn_settings(d: DQNParams) -> DQNSettings:
    """``dqn`` of params.yaml as the agent takes it (``alphas`` is its number of actions)."""
    return DQNSettings(num_actions=d.alphas, **d.model_dump(exclude={"alphas"}))


def run(dataset: str, p: Params, layout: Layout) -> dict[str, Any]:
    """DQN, weighted average and stacker for both pairs: ``models/<dataset>/fusion``."""
    # The state folder is written whole or not at all: without it, say which stage makes it.
    entry.require(layout.fusion_state(dataset), f"fusion_state@{layout.key(dataset)}")
    s, method = dqn_settings(p.dqn), p.threshold.method
    summary = {}
    with replace_dir(layout.fusion_models(dataset), "fusion_models") as tmp:
        for pair in PAIRS:
            train = read_state(layout.state(dataset, pair, TRAIN))
            val = read_state(layout.state(dataset, pair, VAL))
            select, where = selection_set(val, train)
            q, dqn_summary = train_dqn(train, select, s, p.seed)
            alpha = tune_alpha(select, alpha_grid(s.num_actions), method)
            models = FusionModels(q, alpha, fit_stacker(train, p.seed))
            thresholds = {
                name: choose_threshold(score, val.y, method)
                for name, score in models.scores(val).items()
            }
            summary[pair] = {
                "selected_on": where,
                "thresholds": thresholds,
                "threshold_method": method,
                "dqn": dqn_summary,
                "parameters": sum(t.numel() for t in q.parameters()),
            }
            models.save(FusionFiles(tmp / pair), summary[pair])
            summary[pair]["average_alpha"] = alpha
    return summary


def main(argv: list[str] | None = None) -> None:
    """``python stages/train_dqn.py DATASET``."""
    entry.main(run, argv)
